"""Converting terms between pyoxigraph (the store) and rdflib (formats, owlrl, pyshacl).

Blank node labels are kept on both sides, so a triple computed in rdflib about a stored blank node
refers to the same node when written back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term: object) -> Node:
    """An rdflib term equal to a pyoxigraph one."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:  # RDF 1.1: a simple literal is an xsd:string
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"no rdflib equivalent for {term!r}")


def from_rdflib(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A pyoxigraph term equal to an rdflib one."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"no pyoxigraph equivalent for {term!r}")


def graph_from_triples(triples: Iterable[object]) -> Graph:
    """An rdflib graph of pyoxigraph triples (or quads, whose graph names are dropped)."""
    graph = Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))  # type: ignore[attr-defined]
    return graph


def quads_into(graph: Iterable[tuple[Node, Node, Node]], graph_name: ox.NamedNode) -> Iterator[ox.Quad]:
    """rdflib triples as pyoxigraph quads in the named graph; generalised triples (a literal as
    subject, as OWL-RL reasoners produce) are not RDF and are left out."""
    for s, p, o in graph:
        if isinstance(s, Literal) or not isinstance(p, URIRef):
            continue
        yield ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o), graph_name)  # type: ignore[arg-type]
