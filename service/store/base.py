"""The one store interface that everything above the store talks to.

Two implementations: the embedded Oxigraph store (embedded.py) and any SPARQL 1.1 server through the
Query, Update and Graph Store protocols (remote.py). Nothing above this interface knows which is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol

from pyoxigraph import NamedNode, Quad, RdfFormat

from ..namespaces import GRAPH

STAGING = "urn:partnerkg:staging:"
"""Graphs under this prefix hold an embedded store's replacement in flight; never shown to readers."""
NOT_DATA = tuple(str(GRAPH[g]) for g in ("shapes", "inferred", "entailed", "hanging", "sources", "runs"))
"""Graphs that are not ontology, policies or data: the shapes, what reasoning and validation derive,
load bookkeeping and the record of runs (each run's own report graph, under graph/run/, neither)."""
RUN_GRAPH_PREFIX = str(GRAPH["run/"])


def is_data_graph(name: str) -> bool:
    """True for the graphs validation and reasoning read: every graph but shapes, runs, inferences and
    staging."""
    return name not in NOT_DATA and not name.startswith((RUN_GRAPH_PREFIX, STAGING))


class StoreError(RuntimeError):
    """The store cannot do what was asked; the message says why."""


class StoreBusy(StoreError):
    """Another process holds the store open for writing."""


@dataclass(frozen=True)
class GraphInfo:
    """A named graph and how many triples it holds."""

    name: str
    triples: int


class Store(Protocol):
    """What partnerkg needs of a quad store."""

    location: str

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = False,
        default_graph: list | None = None,
        named_graphs: list | None = None,
        substitutions: dict | None = None,
    ) -> object:
        """Run a SPARQL query: a bool for ASK, triples for CONSTRUCT/DESCRIBE, solutions for SELECT."""

    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction."""

    def graph_quads(self, graph: str) -> Iterator[Quad]:
        """The quads of one named graph, streamed."""
        ...

    def graph_names(self) -> list[str]:
        """The IRIs of every named graph (cheap: no counting)."""
        ...

    def graphs(self) -> list[GraphInfo]:
        """Every named graph with its triple count, by name."""

    def quad_count(self) -> int:
        """How many quads the store holds, default graph included."""

    def default_graph_is_empty(self) -> bool:
        """True when the store's own default graph holds nothing."""

    def is_empty(self) -> bool:
        """True when the store holds no quad at all."""

    def write_graphs(
        self,
        quads: Iterable[Quad],
        targets: Iterable[NamedNode],
        *,
        append: bool = False,
        annotations: Iterable[Quad] = (),
        derived: bool = False,
    ) -> None:
        """Atomically replace (or, with append, add to) the target graphs; annotations about a replaced
        target (in other graphs) replace its earlier ones. `derived` says the quads are computed from the
        data (entailments, inferences, a run's report): a store that names its data's state
        (EmbeddedStore.data_version) keeps the name."""

    def drop_graphs(self, graphs: Iterable[NamedNode], *, forget: Iterable[tuple[NamedNode, NamedNode]] = ()) -> None:
        """All or nothing, drop whole derived graphs (runs' reports) and, for each (graph, subject) in
        `forget`, every statement that graph makes about the subject (the runs' records). The data's
        state keeps its name: nothing dropped is data."""

    def has_graph(self, graph: NamedNode) -> bool:
        """True when the named graph holds at least one quad."""

    def load_new_graph(
        self,
        source: IO[bytes] | bytes,
        fmt: RdfFormat,
        graph: NamedNode,
        base_iri: str | None = None,
        progress: Callable[[int], None] | None = None,
        annotations: Callable[[], Iterable[Quad]] = tuple,
        *,
        derived: bool = False,
        labelled: Iterable[Quad] = (),
    ) -> int:
        """All or nothing, store a triple file, read from `source` (or given as bytes), into a graph that
        holds nothing yet, with the annotations made once it is read; return its triple count. A file
        that does not parse, or annotations that raise, leave the store as it was. A store that sends the
        file in batches reports each batch's triples. `derived` as in write_graphs; `labelled` quads
        of the graph name stored blank nodes, and are written with the labels they have (a loader may
        give a file's blank nodes new ones)."""

    def dump(self, output: IO[bytes], fmt: RdfFormat, graph: NamedNode | None = None) -> None:
        """Serialise one graph, or the whole dataset for a quad format."""

    def close(self) -> None:
        """Flush and release the store."""
