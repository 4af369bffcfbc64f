"""OWL 2 RL reasoning: the closure of ontology and data, kept in its own named graph, and a check
that the data does not contradict the ontology (no member of owl:Nothing, no individual in two
disjoint classes)."""

from __future__ import annotations

from dataclasses import dataclass, field

import owlrl
import pyoxigraph as ox
from rdflib import OWL, RDF, Graph
from rdflib.collection import Collection
from rdflib.term import Node

from .namespaces import GRAPH
from .store import Store
from .store.base import is_data_graph
from .store.terms import graph_from_triples, quads_into

INFERRED_GRAPH = GRAPH["inferred"]


def data_graphs(store: Store) -> list[str]:
    """The IRIs of the store's data graphs (is_data_graph)."""
    return [g for g in store.graph_names() if is_data_graph(g)]


def data_query(store: Store, graphs: list[str] | None = None) -> str:
    """A CONSTRUCT of the data graphs' triples (of `graphs`, when the caller has listed them). The
    graphs are listed in a VALUES block rather than filtered triple by triple, which halves the time
    Oxigraph takes to copy them."""
    names = " ".join(f"<{g}>" for g in (data_graphs(store) if graphs is None else graphs))
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}"


@dataclass
class ReasoningReport:
    """What a closure run found."""

    graph: str
    inferred: int
    inconsistencies: list[str] = field(default_factory=list)


def closure(graph: Graph) -> Graph:
    """The OWL-RL closure of a graph, as a new graph (the input is left alone)."""
    closed = Graph()
    for triple in graph:
        closed.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closed)
    return closed


def _disjoint_pairs(graph: Graph) -> set[tuple[Node, Node]]:
    pairs = {(a, b) for a, b in graph.subject_objects(OWL.disjointWith)}
    for group in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(graph, graph.value(group, OWL.members)))
        pairs |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
    return pairs


def inconsistencies(closed: Graph) -> list[str]:
    """Contradictions in a closed graph: members of owl:Nothing and members of two disjoint classes."""
    found = [f"{s} is a member of owl:Nothing" for s in closed.subjects(RDF.type, OWL.Nothing)]
    for a, b in sorted(_disjoint_pairs(closed)):
        both = set(closed.subjects(RDF.type, a)) & set(closed.subjects(RDF.type, b))
        found += [f"{s} is both a {a} and a {b}, which are disjoint" for s in sorted(both)]
    return found


def read_data(store: Store) -> Graph:
    """Ontology, policies and data, merged into one rdflib graph: what reasoning and validation read."""
    return graph_from_triples(store.query(data_query(store)))  # type: ignore[arg-type]


def materialise(store: Store) -> ReasoningReport:
    """Compute the closure and replace the inferred graph with what it adds."""
    asserted = read_data(store)
    closed = closure(asserted)
    inferred = closed - asserted
    target = ox.NamedNode(str(INFERRED_GRAPH))
    store.write_graphs(quads_into(inferred, target), [target], derived=True)
    return ReasoningReport(str(INFERRED_GRAPH), len(inferred), inconsistencies(closed))
