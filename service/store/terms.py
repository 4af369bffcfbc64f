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


def _iri(value: str) -> URIRef:
    """An rdflib IRI made without rdflib's check of its characters: Oxigraph has checked them (it
    takes no IRI rdflib would refuse). The check is a third of the cost of making one (0.35 s per
    million; a 10,000-partnership run converts about 1.8 million)."""
    return str.__new__(URIRef, value)


def to_rdflib(term: object) -> Node:
    """An rdflib term equal to a pyoxigraph one."""
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:  # RDF 1.1: a simple literal is an xsd:string
            return Literal(term.value)
        return Literal(term.value, datatype=_iri(term.datatype.value))
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


class GraphView:
    """Read access to one graph of a pyoxigraph store through the part of rdflib's Graph API that the
    compliance code uses (value, objects, subjects, subject_objects, predicate_objects, triples,
    transitive_objects, `in`), so code written against an rdflib graph runs on the store as it is,
    without copying millions of triples into rdflib first."""

    def __init__(self, store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None:
        self.store = store
        self.graph = graph if graph is not None else ox.DefaultGraph()
        self._terms: dict[Node, object] = {}
        self.labels: dict[Node, str] | None = None
        """Node labels read at once, when a caller has set them (compliance.validate.label_map)."""
        self.cache: dict[object, object] = {}
        """What callers worked out from the view, kept for its life (the store is not changed under it)."""

    def _ox(self, term: Node | None) -> object:
        if term is None:
            return None
        found = self._terms.get(term)
        if found is None:
            found = self._terms[term] = from_rdflib(term)
        return found

    def _quads(self, s: Node | None, p: Node | None, o: Node | None) -> Iterator[ox.Quad]:
        if isinstance(s, Literal) or isinstance(p, (Literal, BNode)):
            return iter(())  # no triple has one there
        return self.store.quads_for_pattern(self._ox(s), self._ox(p), self._ox(o), self.graph)  # type: ignore[arg-type]

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[tuple[Node, Node, Node]]:
        for q in self._quads(*pattern):
            yield to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)

    def __contains__(self, triple: tuple[Node, Node, Node]) -> bool:
        return next(iter(self._quads(*triple)), None) is not None

    def value(self, subject: Node | None = None, predicate: Node | None = None) -> Node | None:
        if subject is None:
            return None
        quad = next(iter(self._quads(subject, predicate, None)), None)
        return None if quad is None else to_rdflib(quad.object)

    def objects(self, subject: Node | None = None, predicate: Node | None = None) -> Iterator[Node]:
        for q in self._quads(subject, predicate, None):
            yield to_rdflib(q.object)

    def subjects(self, predicate: Node | None = None, obj: Node | None = None) -> Iterator[Node]:
        for q in self._quads(None, predicate, obj):
            yield to_rdflib(q.subject)

    def subject_objects(self, predicate: Node | None = None) -> Iterator[tuple[Node, Node]]:
        for q in self._quads(None, predicate, None):
            yield to_rdflib(q.subject), to_rdflib(q.object)

    def predicate_objects(self, subject: Node | None = None) -> Iterator[tuple[Node, Node]]:
        for q in self._quads(subject, None, None):
            yield to_rdflib(q.predicate), to_rdflib(q.object)

    def transitive_objects(self, subject: Node, predicate: Node) -> Iterator[Node]:
        """The subject and everything reached from it through the predicate (as rdflib gives them)."""
        seen = {subject}
        todo = [subject]
        yield subject
        while todo:
            for node in self.objects(todo.pop(), predicate):
                if node not in seen:
                    seen.add(node)
                    todo.append(node)
                    yield node
