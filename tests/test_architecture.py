"""Which module may import which: namespaces and settings import nothing of ours; the core never
imports flask or click; web and cli do not import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"
CORE = ("store", "ingest", "reasoning", "compliance", "linking", "queries", "policies", "ontology_doc")


def imports_of(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved inside service)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(SERVICE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}
    return found


def files(*parts: str) -> list[Path]:
    out = []
    for part in parts:
        p = SERVICE / part
        out += (
            sorted(p.rglob("*.py")) if p.is_dir() else ([p.with_suffix(".py")] if p.with_suffix(".py").exists() else [])
        )
    return out


@pytest.mark.parametrize("path", files("namespaces", "settings"), ids=lambda p: p.name)
def test_foundations_import_nothing_of_ours(path):
    assert not {m for m in imports_of(path) if m.startswith("service")}


@pytest.mark.parametrize("path", files(*CORE), ids=lambda p: str(p.relative_to(SERVICE)))
def test_core_does_not_import_flask_or_click(path):
    bad = {
        m
        for m in imports_of(path)
        if m.split(".")[0] in ("flask", "click", "waitress") or m.startswith(("service.web", "service.cli"))
    }
    assert not bad


def test_web_and_cli_do_not_import_each_other():
    assert not {m for p in files("web") for m in imports_of(p) if m.startswith("service.cli")}
    assert not {m for m in imports_of(SERVICE / "cli.py") if m.startswith("service.web")}
