"""The README stays true: the two commands, every setting and every command."""

from __future__ import annotations

from pathlib import Path

from service.cli import main
from service.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    assert "make run" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_documents_every_setting_with_its_default():
    for setting in SETTINGS:
        assert f"| `{setting.env}` | `{setting.default}` |" in README, setting.env


def test_readme_documents_every_command():
    for name in main.commands:
        assert f"`partnerkg {name}" in README, name
