"""Shared fixtures: the ontology and sample parsed once, a fresh store per test, a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from service.ingest.bootstrap import ONTOLOGY_DIR, PROJECT_ROOT, SAMPLE_DIR, init_store
from service.store import EmbeddedStore

SHARED = Path(os.environ.get("PARTNERKG_SHARED", PROJECT_ROOT.parent / "shared"))
OBLIGATIONS_CSV = SHARED / "policies" / "obligations.csv"


def parse_all(paths) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path)
    return graph


@pytest.fixture(scope="session")
def ontology() -> Graph:
    """ontology/*.ttl as one graph."""
    return parse_all(sorted(ONTOLOGY_DIR.glob("*.ttl")))


@pytest.fixture(scope="session")
def sample() -> Graph:
    """data/sample/*.ttl as one graph."""
    return parse_all(sorted(SAMPLE_DIR.glob("*.ttl")))


@pytest.fixture(scope="session")
def obligations_csv() -> Path:
    """The obligations table in the shared folder beside the checkout."""
    if not OBLIGATIONS_CSV.exists():
        pytest.fail(f"{OBLIGATIONS_CSV} is missing: the shared folder must sit beside the checkout")
    return OBLIGATIONS_CSV


@pytest.fixture
def store(tmp_path):
    """An empty embedded store in a temporary directory."""
    s = EmbeddedStore(tmp_path / "store")
    yield s
    s.close()


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """A store holding ontology, policies and sample, shared by the tests of one module (read only)."""
    s = EmbeddedStore(tmp_path_factory.mktemp("sample") / "store")
    init_store(s, sample=True)
    yield s
    s.close()


@pytest.fixture
def cli(tmp_path):
    """Run the partnerkg command on a store in tmp_path: cli('graphs', '--format', 'json')."""
    from service.cli import main

    runner = CliRunner()
    location = str(tmp_path / "cli-store")

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, ["--store", location, *args], input=input, catch_exceptions=False)

    run.location = location  # type: ignore[attr-defined]
    return run
