"""docs/ontology.md from the ontology: a class diagram (Mermaid) and tables of classes and properties.

Run `python -m service.ontology_doc` after changing ontology/; a test holds the page current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, URIRef

from .namespaces import PK, PREFIXES

ROOT = Path(__file__).resolve().parents[1]


def _short(term: URIRef | None) -> str:
    if term is None:
        return ""
    for prefix, base in PREFIXES.items():
        if str(term).startswith(base):
            return f"{prefix}:{str(term)[len(base) :]}"
    return str(term)


def _own(graph: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(PK._NS)))


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(graph: Graph) -> str:
    """The page as Markdown."""
    classes = _own(graph, OWL.Class)
    properties = sorted(set(_own(graph, OWL.ObjectProperty)) | set(_own(graph, OWL.DatatypeProperty)))
    lines = [
        "# The partnerkg ontology",
        "",
        "Generated from `ontology/partnership.ttl` by `python -m service.ontology_doc`; do not edit by hand.",
        f"Namespace `{PK._NS}` (prefix `pk:`). Code lists (roles, sectors, nations, ...) are in `ontology/codes.ttl`.",
        "",
        "## Diagram",
        "",
        "Subclass links (`<|--`) and object properties between our own classes.",
        "",
        "```mermaid",
        "classDiagram",
    ]
    for cls in classes:
        for parent in sorted(graph.objects(cls, RDFS.subClassOf)):
            lines.append(f"  `{_short(parent)}` <|-- `{_short(cls)}`")
    for prop in properties:
        domain, rng = graph.value(prop, RDFS.domain), graph.value(prop, RDFS.range)
        if (prop, RDF.type, OWL.ObjectProperty) in graph and domain in classes and rng in classes:
            lines.append(f"  `{_short(domain)}` --> `{_short(rng)}` : {_short(prop)[3:]}")
    lines += ["```", "", "## Classes", "", "| class | subclass of | meaning |", "| --- | --- | --- |"]
    for cls in classes:
        parents = ", ".join(f"`{_short(p)}`" for p in sorted(graph.objects(cls, RDFS.subClassOf)))
        lines.append(f"| `{_short(cls)}` | {parents} | {_cell(graph.value(cls, RDFS.comment))} |")
    lines += ["", "## Properties", "", "| property | domain | range | meaning |", "| --- | --- | --- | --- |"]
    for prop in properties:
        domain, rng = graph.value(prop, RDFS.domain), graph.value(prop, RDFS.range)
        lines.append(
            f"| `{_short(prop)}` | {f'`{_short(domain)}`' if domain else ''} | {f'`{_short(rng)}`' if rng else ''} "
            f"| {_cell(graph.value(prop, RDFS.comment))} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write docs/ontology.md."""
    graph = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path)
    (ROOT / "docs" / "ontology.md").write_text(render(graph), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
