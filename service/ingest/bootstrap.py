"""Filling a new store: the ontology, the policies, the shapes and (optionally) the sample data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..namespaces import GRAPH
from ..store import Store
from .rdf import LoadReport, load_sources

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
SHAPES_DIR = PROJECT_ROOT / "shapes"
POLICIES_FILE = PROJECT_ROOT / "data" / "policies" / "obligations.ttl"
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


@dataclass(frozen=True)
class Part:
    """One named graph of a new store and the files it is made from."""

    graph: str
    files: tuple[Path, ...]


def parts(*, sample: bool) -> list[Part]:
    """The graphs `partnerkg init` writes, each from its files."""
    found = [
        Part(str(GRAPH["ontology"]), tuple(sorted(ONTOLOGY_DIR.glob("*.ttl")))),
        Part(str(GRAPH["policies"]), (POLICIES_FILE,)),
        Part(str(GRAPH["shapes"]), tuple(sorted(SHAPES_DIR.glob("*.ttl")))),
    ]
    if sample:
        found += [Part(str(GRAPH["sample/" + f.stem]), (f,)) for f in sorted(SAMPLE_DIR.glob("*.ttl"))]
    return [p for p in found if p.files]


def init_store(store: Store, *, sample: bool) -> LoadReport:
    """Load the ontology, policies and shapes (and the sample) into their own graphs, in one transaction."""
    return load_sources(store, [(f, part.graph) for part in parts(sample=sample) for f in part.files])
