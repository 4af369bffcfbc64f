"""The embedded store: Oxigraph (pyoxigraph) on disk, one process at a time.

Chosen by measurement (docs/performance.md): against rdflib's memory store it parses a register
about 8 times faster, holds it in a third of the memory and answers filters and aggregates 10 to 20
times faster, while rdflib stays the toolkit for formats, pyshacl and owlrl.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import io
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Triple, parse
from pyoxigraph import Store as OxStore

from ..entailment import HANGING_TERMS, RULES_DIGEST, StoreLookup, changes
from ..namespaces import GRAPH, ONTOLOGY_IRI, PK, PREFIXES
from .base import STAGING, GraphInfo, StoreBusy, StoreError, is_data_graph

ENTAILED = NamedNode(str(GRAPH["entailed"]))
HANGING = NamedNode(str(GRAPH["hanging"]))
_SOURCES = NamedNode(str(GRAPH["sources"]))
_DATA_VERSION = NamedNode(str(PK.dataVersion))
_DATA_DIGEST = NamedNode(str(PK.dataDigest))
ENTAILED_LIMIT = 10_000
"""A data write of more quads than this leaves the stored entailments to the next full run. Following
a change costs about 0.1 ms a quad in this store's lookups (at 10,000 partnerships, 4.5 s for a load
of 47,113 quads that took 0.45 s itself); the next full run computes the whole register's in 2-3 s."""
_ONTOLOGY, _TYPE = NamedNode(str(ONTOLOGY_IRI)), NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_OWL_ONTOLOGY = NamedNode("http://www.w3.org/2002/07/owl#Ontology")
_JOURNAL = NamedNode(STAGING + "journal")
_REMOVE_FROM = NamedNode(STAGING + "remove")
_LOADING = NamedNode(STAGING + "bulk-loading")
_ADD_TO = NamedNode(STAGING + "add")
_DROPPING = NamedNode(STAGING + "dropping")
_MOVING = NamedNode(STAGING + "moving")


def _trim_heap() -> None:
    """Hand the heap's freed pages back to the system, where the C library is glibc (malloc_trim):
    Oxigraph's large deletes are transactions held in memory, and glibc kept what they freed. At
    10,000 partnerships, after the register graph was emptied, the process held 3.0 GB of which
    1.7 GB was free, and a bulk load after it peaked at 4.1 GB (with the trim, the whole
    replacement peaked at 3.26 GB)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where there is none."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim if sys.platform.startswith("linux") else None
    except (OSError, AttributeError):
        return None


def _as_data(quads: Iterable[Quad]) -> str:
    """Quads naming their graphs, as the data of a SPARQL INSERT DATA or DELETE DATA (no blank nodes:
    an update would give them new labels)."""
    return " ".join(f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in quads)


VERSION_FILE = "version"
"""In the store's cache directory (STORE.cache/): the name of the data's state, or "changing" while
a write is under way (EmbeddedStore.data_version)."""
_CHANGING = "changing"


BULK_WRITE = 20_000
"""Above this many new quads, a write into new graphs uses the bulk loader (journalled)."""
BULK_BATCH = 100_000
"""The bulk loader is given this many quads at a time: it holds each batch's index entries in memory
(a 1.3 M-quad report at once raised a run's peak by 1 GiB), and sorts each batch before it writes it.
A 10,000-partnership report (1,147,684 quads) into the store holding its register took 5.4-5.7 s in
batches of 100,000; 25,000 or 50,000: 5.8-5.9 s; 250,000: 6.7-7.2 s; 500,000: 7.2 s; 2,000,000: 9.0 s."""
BULK_TEXT = 2_000_000
"""Derived N-Triples of fewer bytes than this (about 15,000 triples) go into a new graph as one
transaction, not through the bulk loader and the compaction it costs (EmbeddedStore.load_new_graph)."""
COMPACT_AFTER = 500_000
"""After a journalled change of more than this many quads, the store is compacted (EmbeddedStore._compact),
as it is after every bulk write."""
COPY_WRITERS = 2
"""Threads writing the data graphs out for a run's working copy (EmbeddedStore.copy_graphs_into): one a
core of the 2-core machine the targets are set on. At 10,000 partnerships the copy took 14-16 s with
two, 17-19.5 s with three, and 19.5-22 s with one (before the parse read whole chunks)."""
COMPACTING_FILE = "compacting"
"""In the store's cache directory: present from the start of a compaction to its end, so a compaction
that a stopped process left unfinished is run again when the store is next opened for writing."""


class _Following:
    """A file-like reader over files other threads are still writing, in order: it waits for each to
    begin, follows it a whole chunk at a time until it is finished, and keeps a copy of everything read
    (with its SHA-256)."""

    def __init__(
        self, parts: list[Path], started: list[threading.Event], finished: list[threading.Event], keep: Path
    ) -> None:
        self.parts, self.started, self.finished = parts, started, finished
        self.index = 0
        self.current: IO[bytes] | None = None
        self.hasher = hashlib.sha256()
        self.keep = keep.open("wb")

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        size = 1 << 20 if size is None or size < 0 else size
        while self.index < len(self.parts):
            if self.current is None:
                self.started[self.index].wait()
                try:
                    self.current = self.parts[self.index].open("rb")
                except FileNotFoundError:  # the writer failed before creating it
                    self.index += 1
                    continue
            done = self.finished[self.index].is_set()  # read before the bytes: none are missed
            if not done and os.fstat(self.current.fileno()).st_size - self.current.tell() < size:
                time.sleep(0.005)
                continue
            chunk = self.current.read(size)
            if chunk:
                self.hasher.update(chunk)
                self.keep.write(chunk)
                return chunk
            if done:
                self.current.close()
                self.current = None
                self.index += 1
                continue
            time.sleep(0.002)
        return b""

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
        self.keep.close()


class _Keeping:
    """A file-like reader that keeps a copy of what it hands on: a replacement reads its file once
    and loads the same bytes twice (EmbeddedStore.replace_graph)."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.chunks: list[bytes] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        chunk = self.source.read(size)
        self.chunks.append(chunk)
        return chunk

    def kept(self) -> bytes:
        """What was read, handed over once (the copy is let go)."""
        text, self.chunks = b"".join(self.chunks), []
        return text


class _Writes:
    """The store's write lock (reentrant), counting each write's start and end: an even count that has
    not moved means no write began meanwhile (EmbeddedStore.graphs keeps its counts by it)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # a write within a write counts once
        self.count = 0

    def __enter__(self) -> _Writes:
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1:
            self.count += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.count += 1
        self._lock.release()


class EmbeddedStore:
    """A persistent Oxigraph store in a directory."""

    def __init__(self, location: str | Path, *, read_only: bool = False) -> None:
        self.location = str(location)
        self.read_only = read_only
        path = Path(location)
        try:
            if read_only:
                self._store = OxStore.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = OxStore(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(
                    f"the store at {path} is in use by another process (is `partnerkg serve` running?); "
                    "stop it, or query it over HTTP"
                ) from exc
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self.cache_directory = Path(str(location) + ".cache")
        """Beside the store: what runs keep of it (compliance.validate's run cache) and its version."""
        self._compacting: threading.Thread | None = None
        self._deferring = 0  # how many compaction_deferred are under way (the service's threads)
        self._owed = False  # a compaction was asked for meanwhile
        self._deferral = threading.Lock()
        self._writing = _Writes()  # one write (and its entailments' upkeep) at a time
        self._counted: tuple[int, list[GraphInfo]] | None = None  # graphs(), and the writes it followed
        if not read_only:
            self._recover()

    def _recover(self) -> None:
        """Finish a replacement a crash interrupted, then drop staging graphs nothing refers to."""
        finished = self._apply_journal()
        leftovers = [g for g in self._store.named_graphs() if isinstance(g, NamedNode) and g.value.startswith(STAGING)]
        for graph in leftovers:
            self._store.remove_graph(graph)
        if finished or self._read_version() in (None, _CHANGING):  # a write died part-way, or none named the data
            self._changed()
        if (self.cache_directory / COMPACTING_FILE).exists():  # a process stopped before its compaction ended
            self._compact()

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = False,
        default_graph: list | None = None,
        named_graphs: list | None = None,
        substitutions: dict | None = None,
    ) -> object:
        """Run a SPARQL query with the project's prefixes available; default_graph and named_graphs set
        the dataset as the protocol's default-graph-uri and named-graph-uri do (they override FROM)."""
        kwargs: dict[str, object] = {}
        if default_graph is not None:
            kwargs["default_graph"] = default_graph
        if named_graphs is not None:
            kwargs["named_graphs"] = named_graphs
        if substitutions:
            kwargs["substitutions"] = substitutions
        return self._store.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=union_default_graph, **kwargs)

    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction (it may change any graph: the data's state is renamed)."""
        self.settle()
        with self._writing, self._changing_data(atomic=True):
            self._store.update(sparql, prefixes=PREFIXES)

    def data_version(self) -> str | None:
        """A name for the state of the data, kept in a file of the cache directory: each write that
        changes a graph other than derived ones (write_graphs' `derived`) marks it "changing" before it
        starts and gives it a new name once done, so a name read before reading the data is never
        paired with data older than it. None while a write is under way, when the file cannot be read,
        and for a read-only store (another process may write meanwhile)."""
        if self.read_only:
            return None
        version = self._read_version()
        return None if version == _CHANGING else version

    def _read_version(self) -> str | None:
        try:
            return (self.cache_directory / VERSION_FILE).read_text(encoding="ascii").strip() or None
        except OSError:
            return None

    def _write_version(self, text: str) -> None:
        """Write the version file durably (written aside, synced, renamed) before the data changes
        and after: a crash leaves "changing" or the new name, never an old name over new data."""
        try:
            self.cache_directory.mkdir(parents=True, exist_ok=True)
            aside = self.cache_directory / f".{VERSION_FILE}.{uuid.uuid4().hex}"
            with open(aside, "w", encoding="ascii") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(aside, self.cache_directory / VERSION_FILE)
        except OSError:  # the cache is only a speed-up: without the file, runs read the store
            (self.cache_directory / VERSION_FILE).unlink(missing_ok=True)

    def _changed(self) -> None:
        self._write_version(uuid.uuid4().hex)

    @contextmanager
    def _changing_data(
        self, data: bool = True, *, atomic: bool = False, undo: Callable[[], bool] | None = None
    ) -> Iterator[None]:
        """Around a write of data: "changing" before, a new name after. If the write dies part-way the
        name stays "changing" until the store is opened again, unless it was `atomic` (one
        transaction: then nothing changed, and a new name is as good as the old) or `undo` takes back
        what it wrote and says so (True): then the data is as it was, and so is its name. A write that
        is not of data keeps the name whatever happens; `undo` still takes back what it wrote."""
        if not data:
            try:
                yield
            except BaseException:
                if undo is not None:
                    undo()
                raise
            return
        before = self._read_version() if undo is not None else None
        self._write_version(_CHANGING)
        try:
            yield
        except BaseException:
            if undo is not None and undo() and before not in (None, _CHANGING):
                self._write_version(before)
            elif atomic:
                self._changed()
            raise
        self._changed()

    def graph_quads(self, graph: str) -> Iterator[Quad]:
        """The quads of one named graph, streamed."""
        return self._store.quads_for_pattern(None, None, None, NamedNode(graph))

    def match(self, subject=None, predicate=None, obj=None, graph=None):  # noqa: ANN001, ANN201
        """The quads matching a pattern (None matches anything), straight from the store's indexes."""
        return self._store.quads_for_pattern(subject, predicate, obj, graph)

    def copy_graphs_into(self, graphs: list[str], work: OxStore, keep: Path) -> hashlib._Hash:
        """Copy named graphs into the default graph of an in-memory store, as N-Triples that are also
        written to `keep`; returns their SHA-256 (a hash object, to go on with). Each graph is written
        out one predicate at a time (a CONSTRUCT over Oxigraph's graph-predicate index), by COPY_WRITERS
        threads, each predicate to a file of its own, while this thread parses the files in order:
        all of them release Python's lock. At 10,000 partnerships Oxigraph's dump of the register graph
        took 16 s alone and the copy 19-21 s with it; two writers take 6.5 s alone and the copy 14-16 s
        (parsing into the in-memory store is 8.7 s of it). The text is the same triples in another
        order. The parser is handed whole chunks (_Following): following every write, it cost half as
        much again. Each predicate is read in a snapshot of its own, as each graph was before: a write
        meanwhile would leave a mixed copy under the version read before it, which no later run asks
        for. Full runs come from the CLI, which holds the store alone, so nothing writes meanwhile.
        Nothing is left beside `keep` when the copy fails."""
        units = [(NamedNode(g), p) for g in graphs for p in self._predicates(g)]
        parts = [keep.with_name(f"{keep.name}.part{i}") for i in range(len(units))]
        started = [threading.Event() for _ in units]
        finished = [threading.Event() for _ in units]
        failure: list[BaseException] = []
        taken = iter(range(len(units)))  # shared by the writers: each takes the next unit not yet taken
        lock = threading.Lock()

        def write() -> None:
            try:
                while not failure:
                    with lock:
                        i = next(taken, None)
                    if i is None:
                        return
                    graph, predicate = units[i]
                    parts[i].write_bytes(b"")
                    started[i].set()
                    triples = self._store.query(
                        f"CONSTRUCT {{ ?s {predicate} ?o }} WHERE {{ GRAPH {graph} {{ ?s {predicate} ?o }} }}"
                    )
                    triples.serialize(str(parts[i]), RdfFormat.N_TRIPLES)  # type: ignore[union-attr]
                    del triples  # Oxigraph's answer must not be dropped in another thread (a failure's frame)
                    finished[i].set()
            except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
                failure.append(exc)
                for event in (*started, *finished):  # the reader stops waiting
                    event.set()

        reader = _Following(parts, started, finished, keep)
        writers = [threading.Thread(target=write, name="partnerkg-copy", daemon=True) for _ in range(COPY_WRITERS)]
        for writer in writers:
            writer.start()
        try:
            try:
                # keeps their labels; Oxigraph wrote the text from its own store, so IRIs are not checked again
                work.extend(parse(reader, RdfFormat.N_TRIPLES, rename_blank_nodes=False, lenient=True))
            except SyntaxError:
                # a writer that fails lets the reader go on past the unit another writer is still writing:
                # the parse then meets a line cut short, and the writer's error is the one to report
                if not failure:
                    raise
            finally:
                if not all(e.is_set() for e in finished):  # the parse failed: the writers stop after their unit
                    failure.append(StoreError("the copy was stopped"))
                for writer in writers:
                    writer.join()
                reader.close()
                for part in parts:
                    part.unlink(missing_ok=True)
            if failure:
                raise StoreError(f"cannot copy the data graphs: {failure[0]}") from failure[0]
        except BaseException:
            keep.unlink(missing_ok=True)
            raise
        return reader.hasher

    def _predicates(self, graph: str) -> list[NamedNode]:
        """The predicates a graph uses, in IRI order."""
        rows = self._store.query(f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return sorted((row["p"] for row in rows), key=lambda p: p.value)  # type: ignore[index,union-attr]

    def graph_names(self) -> list[str]:
        """The IRIs of every named graph (cheap: no counting)."""
        return sorted(g.value for g in self._store.named_graphs() if not g.value.startswith(STAGING))

    def graphs(self) -> list[GraphInfo]:
        """Every named graph with its triple count. Counting is a scan of every quad (2.2 s at 10,000
        partnerships, on each view of the dashboard), so a store open for writing keeps the counts
        until its next write begins; a read-only one counts each time (another process may write)."""
        kept, writes = self._counted, self._writing.count
        if kept is not None and kept[0] == writes and not self.read_only:
            return list(kept[1])
        result = self._store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
        infos = [GraphInfo(row["g"].value, int(row["n"].value)) for row in result]
        infos = [i for i in infos if not i.name.startswith(STAGING)]
        if writes % 2 == 0 and self._writing.count == writes:  # no write began or was under way meanwhile
            self._counted = (writes, infos)
        return list(infos)

    def quad_count(self) -> int:
        """How many quads the store holds."""
        return len(self._store)

    def default_graph_is_empty(self) -> bool:
        """True when the store's own default graph holds nothing (partnerkg's loads never write it)."""
        return next(iter(self._store.quads_for_pattern(None, None, None, DefaultGraph())), None) is None

    def is_empty(self) -> bool:
        """True when the store holds no quad."""
        return next(iter(self._store.quads_for_pattern(None, None, None, None)), None) is None

    def has_graph(self, graph: NamedNode) -> bool:
        """True when the named graph holds at least one quad."""
        return (
            self._store.contains_named_graph(graph)
            and next(iter(self._store.quads_for_pattern(None, None, None, graph)), None) is not None
        )

    def load_new_graph(
        self,
        source: IO[bytes] | bytes,
        fmt: RdfFormat,
        graph: NamedNode,
        base_iri: str | None = None,
        progress: Callable[[int], None] | None = None,  # one local bulk load: nothing to report
        annotations: Callable[[], Iterable[Quad]] = tuple,
        *,
        derived: bool = False,
        labelled: Iterable[Quad] = (),
    ) -> int:
        """Store a triple file into a graph that holds nothing yet with Oxigraph's bulk loader, reading
        it once, with the `annotations` made once it is read (where it came from); return the graph's
        size. A file that does not parse, or annotations that raise, leave the store as it was.
        `derived` triples (entailments) keep the data's name (write_graphs); given as bytes and
        fewer than BULK_TEXT, they go in as one transaction, as a bulk load costs a compaction. The
        bulk loader gives a file's blank nodes new labels: `labelled` quads of the graph, which name
        stored blank nodes, are written beside the file as they are.

        The bulk loader is several times faster than a transaction and needs a fraction of the memory
        (docs/performance.md), leaves Python's lock while it reads bytes, and is its own parser: the
        file is not parsed beforehand to find errors (7 s of a 10,000-partnership load). It can commit
        in batches, so the load is journalled: what it wrote is dropped again if it fails, and if the
        process dies part-way the marker left makes the next open drop the half-loaded graph. The
        marker's removal and the annotations are one update.
        """
        if fmt.supports_datasets:
            raise StoreError(f"{fmt.name} can name graphs; load it through write_graphs")
        self.settle()
        if self.has_graph(graph):
            raise StoreError(f"graph {graph.value} already holds data")
        if derived and isinstance(source, bytes) and len(source) < BULK_TEXT:
            quads = [Quad(t.subject, t.predicate, t.object, graph) for t in parse(source, fmt, base_iri=base_iri)]
            quads += labelled
            with self._writing:
                self._store.extend([*quads, *annotations()])
            return len(quads)
        marker = Quad(graph, _LOADING, graph, _JOURNAL)

        def undo() -> bool:
            if not self._apply_journal():  # drops the graph the marker names
                return False
            self._drop_empty_journal()
            return True

        def load() -> None:
            self._store.add(marker)
            self._store.bulk_load(source, format=fmt, base_iri=base_iri, to_graph=graph)
            # under the marker still, so the bulk writer serves (a transaction took 0.94 s against 0.43 s
            # for a full run's 55,000 at 10,000 partnerships): what it wrote goes with the graph on a failure
            self._store.bulk_extend(labelled)
            self._commit_fresh([marker], list(annotations()))

        with self._writing:
            before = self._read_version()
            with self._changing_data(not derived, undo=undo):
                load()
            if not derived:
                self._keep_entailed(self._store.quads_for_pattern(None, None, None, graph), before)
        # a bulk-loaded graph left uncompacted slows the queries of later read-only opens: at 10,000
        # partnerships, meetings-with-late-agendas 4.0 s instead of 1.4 s (see _compact). The graph is
        # counted while the compaction runs: both leave Python's lock (at 10,000 partnerships 9.6 s for
        # the two instead of 10.6 s and 1.8 s one after the other)
        self._compact(wait=False)
        return self._size(graph)

    def replace_graph(
        self,
        source: IO[bytes],
        fmt: RdfFormat,
        graph: NamedNode,
        base_iri: str | None = None,
        annotations: Callable[[], Iterable[Quad]] = tuple,
    ) -> int:
        """Replace a graph's triples by a triple file's, with the `annotations` made once it is read
        replacing the graph's earlier ones in their graphs; return the graph's size. For large files
        (a whole register loaded again): write_graphs compares old and new quad by quad, and a file's
        blank nodes get new labels at every read, so half a register counts as changed (at 10,000
        partnerships a reload took 422 s and peaked at 11.6 GB).

        The bulk loader reads the file into a staging graph under a journal marker, so a file that does
        not parse leaves the store as it was. One update then turns the marker into a move (staging
        graph to graph) and writes the annotations; from there the replacement is finished even if the
        process stops part-way. The graph is emptied a predicate at a time, the bytes read the first
        time loaded into it by the bulk loader again (at 10,000 partnerships about 20 s, where copying
        the staged triples took 57.5 s), and the staging graph dropped. A stop or a failure after the
        move began is finished from the staged triples instead, copied in with their labels (here, or
        at the next open for writing): the staging graph goes only once the graph holds the file. The
        stored entailments are left to the next full run."""
        if fmt.supports_datasets:
            raise StoreError(f"{fmt.name} can name graphs; load it through write_graphs")
        self.settle()
        staging = NamedNode(f"{STAGING}{uuid.uuid4().hex}:replacing")
        loading = Quad(staging, _LOADING, staging, _JOURNAL)
        moving = Quad(staging, _MOVING, graph, _JOURNAL)
        moved = False

        def undo() -> bool:  # before the move began: the staging graph goes, the data is as it was
            finished = self._apply_journal()
            self._drop_empty_journal()
            return finished and not moved

        with self._writing, self._changing_data(True, undo=undo):
            self._store.add(loading)
            reader = _Keeping(source)
            self._store.bulk_load(reader, format=fmt, base_iri=base_iri, to_graph=staging)
            notes = list(annotations())
            steps = [f"DELETE WHERE {{ GRAPH {where} {{ {graph} ?p ?o }} }}" for where in {q.graph_name for q in notes}]
            steps.append(f"DELETE DATA {{ {_as_data([loading])} }}")
            steps.append(f"INSERT DATA {{ {_as_data([moving, *notes])} }}")
            self._store.update(" ;\n".join(steps))
            moved = True
            self._drop_graph(graph)
            self._load_again(reader.kept(), fmt, base_iri, graph)
            self._moved(staging, graph)
            self._apply_journal()  # drops the staging graph, and the journal
        self._compact(wait=False)
        return self._size(graph)

    def _size(self, graph: NamedNode) -> int:
        """How many triples a graph holds (what a load returns)."""
        result = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        return int(next(iter(result))["n"].value)  # type: ignore[index]

    def write_graphs(
        self,
        quads: Iterable[Quad],
        targets: Iterable[NamedNode],
        *,
        append: bool = False,
        annotations: Iterable[Quad] = (),
        derived: bool = False,
    ) -> None:
        """Replace (or, with append, extend) the target graphs, all or nothing.

        Unless the targets are `derived` (entailments, inferences, a run's report: computed from the
        data, not data), a write that changes them renames the data's state (data_version).

        Annotations are statements about the targets kept in other graphs (where each came from,
        when): a replaced target's earlier annotations are replaced too.

        Only the difference is written: a graph loaded again unchanged costs a read, not a rewrite.
        Adding alone is one atomic extend. When quads must also go, Python has no multi-step Oxigraph
        transaction short of SPARQL Update (which copies quad by quad: 13 s for 200,000 quads), so the
        change is journalled: additions, removals and a journal entry go into staging graphs in one
        atomic extend, then the journal is applied. A crash before that extend leaves the store as it
        was; a crash after it is finished when the store is next opened for writing.
        """
        self.settle()
        with self._writing:
            before = self._read_version()
            changed = self._write_graphs(quads, targets, append=append, annotations=annotations, derived=derived)
            if changed:
                self._keep_entailed(changed, before)

    def _write_graphs(
        self,
        quads: Iterable[Quad],
        targets: Iterable[NamedNode],
        *,
        append: bool,
        annotations: Iterable[Quad],
        derived: bool,
    ) -> list[Quad]:
        """write_graphs' work: what of the data it changed (nothing for a derived write)."""
        targets = {t.value: t for t in targets}
        quads, notes = list(quads), list(annotations)
        for q in quads:
            if not isinstance(q.graph_name, NamedNode):
                raise StoreError("every written quad must name its graph; loads never write the default graph")
            targets.setdefault(q.graph_name.value, q.graph_name)
        if append:
            data = not derived and bool(quads)  # notes alone are not data
            with self._changing_data(data):
                self._store.extend(quads + notes)
            return quads if data else []
        old: set[Quad] = set()
        for target in targets.values():
            old.update(self._store.quads_for_pattern(None, None, None, target))
        for target in targets.values():
            for graph in {q.graph_name for q in notes}:
                old.update(self._store.quads_for_pattern(target, None, None, graph))
        if not old:  # nothing to compare with (a run's report): no sets of a million quads are built
            additions, removals = quads + notes, set()
        else:
            new = set(quads) | set(notes)
            additions, removals = new - old, old - new
        named = set(targets.values())
        data = not derived and any(q.graph_name in named for q in [*additions, *removals])
        with self._changing_data(data):
            self._replace(additions, removals, targets, old)
        return [*additions, *removals] if data else []

    def drop_graphs(self, graphs: Iterable[NamedNode], *, forget: Iterable[tuple[NamedNode, NamedNode]] = ()) -> None:
        """Drop whole derived graphs and forget what a graph says of some subjects (Store.drop_graphs).
        One update removes the statements and writes a journal marker for each graph to drop; from then
        on the drop is finished even if the process stops part-way (the next open for writing ends it,
        as it drops a half-loaded graph). Then the graphs go, and the store is compacted: at 10,000
        partnerships a run's report is over a million quads, whose deleted keys would slow every scan."""
        graphs = list(dict.fromkeys(graphs))
        forget = list(forget)
        if not graphs and not forget:
            return
        self.settle()
        steps = [f"DELETE WHERE {{ GRAPH {graph} {{ {subject} ?p ?o }} }}" for graph, subject in forget]
        if graphs:
            steps.append(f"INSERT DATA {{ {_as_data([Quad(g, _DROPPING, g, _JOURNAL) for g in graphs])} }}")
        with self._writing:
            self._store.update(" ;\n".join(steps))
            if graphs:
                self._apply_journal()
        if graphs:
            self._compact(wait=False)

    def _keep_entailed(self, changed: Iterable[Quad], before: str | None) -> None:
        """Bring the stored entailments (graph `entailed`, and the hanging index in graph `hanging`,
        written by a full validation run) up to date with a data write just made, when they were
        current before it: their stamp (pk:dataVersion in graph `sources`) names the data's state
        before the write and the rules of service.entailment.
        The triples the change reaches are computed again from the store's indexes (entailment.changes)
        and the difference written in one journalled step with the new stamp, so a crash leaves the old
        set under the old stamp. Otherwise (a large write, a change the steps do not follow, a stamp
        for other data or rules) nothing is written: the stamp no longer names the data, and the next
        full run computes the set again. A remote store, and a SPARQL update here, leave them that way."""
        after = self._read_version()
        if before in (None, _CHANGING) or after in (None, _CHANGING) or before == after:
            return
        stamps = list(self._store.quads_for_pattern(ENTAILED, None, None, _SOURCES))
        expected = f"{before}+{RULES_DIGEST}"
        if not any(q.predicate == _DATA_VERSION and q.object.value == expected for q in stamps):
            return
        look = StoreLookup(self._store.quads_for_pattern, lambda g: isinstance(g, NamedNode) and is_data_graph(g.value))
        if not look.holds(_ONTOLOGY, _TYPE, _OWL_ONTOLOGY):
            return  # a run adds the ontology (its roles' hierarchy) from the project's files: not read here
        data = []
        for q in changed:
            if isinstance(q.graph_name, NamedNode) and is_data_graph(q.graph_name.value):
                data.append(q)
                if len(data) > ENTAILED_LIMIT:
                    return

        def stored(node: object) -> set[Triple]:
            return {
                Triple(q.subject, q.predicate, q.object)
                for graph in (ENTAILED, HANGING)
                for q in self._store.quads_for_pattern(node, None, None, graph)
            }

        def quad(t: Triple) -> Quad:  # the hanging index has a graph of its own
            return Quad(t.subject, t.predicate, t.object, HANGING if t.predicate in HANGING_TERMS else ENTAILED)

        difference = changes(look, stored, data)
        if difference is None:
            return
        additions, removals = difference
        added = [quad(t) for t in additions]
        added.append(Quad(ENTAILED, _DATA_VERSION, Literal(f"{after}+{RULES_DIGEST}"), _SOURCES))
        removed = {quad(t) for t in removals}
        removed.update(q for q in stamps if q.predicate in (_DATA_VERSION, _DATA_DIGEST))
        self._replace(added, removed, {}, set())

    def _replace(self, additions, removals, targets: dict[str, NamedNode], old: set[Quad]) -> None:  # noqa: ANN001
        """Write a change: in bulk into new graphs, at once when it only adds, else journalled."""
        fresh = {t for t in targets.values() if not any(q.graph_name == t for q in old)}
        if not removals and len(additions) > BULK_WRITE and fresh:
            self._write_fresh(additions, fresh)
            return
        if not removals:
            self._store.extend(additions)
            return
        run = STAGING + uuid.uuid4().hex + ":"
        staged: list[Quad] = []
        for verb, group in ((_ADD_TO, additions), (_REMOVE_FROM, removals)):
            by_graph: dict[NamedNode, list[Quad]] = {}
            for q in group:
                by_graph.setdefault(q.graph_name, []).append(q)
            for graph, members in by_graph.items():
                holder = NamedNode(f"{run}{len(staged)}")
                staged.append(Quad(holder, verb, graph, _JOURNAL))
                staged += [Quad(q.subject, q.predicate, q.object, holder) for q in members]
        self._store.extend(staged)
        self._apply_journal()
        if len(staged) > COMPACT_AFTER:
            self._compact(wait=False)

    def _write_fresh(self, additions: Iterable[Quad], fresh: set[NamedNode]) -> None:
        """Add many quads, most of them to graphs that hold nothing yet (a validation run's report).
        Those go in with the bulk loader under a journal marker (a transaction costs about 27 us a
        quad: 4 s for a 1,000-partnership report); the rest, and the markers' removal, in one update
        (atomic), so a crash leaves either everything or nothing. The update would give the rest's
        blank nodes new labels: with any, the whole write is one transaction instead."""
        into_fresh: list[Quad] = []
        rest: list[Quad] = []
        for q in additions:
            (into_fresh if q.graph_name in fresh else rest).append(q)
        if any(isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode) for q in rest):
            self._store.extend(into_fresh + rest)
            return
        markers = [Quad(graph, _LOADING, graph, _JOURNAL) for graph in fresh]
        self._store.extend(markers)
        for start in range(0, len(into_fresh), BULK_BATCH):  # the loader buffers what it is given
            self._store.bulk_extend(into_fresh[start : start + BULK_BATCH])
        self._commit_fresh(markers, rest)
        # scans stay fast after a bulk write, lookups of one node do not, whatever its size: see _compact
        self._compact(wait=False)

    def _commit_fresh(self, markers: list[Quad], rest: list[Quad]) -> None:
        """End a bulk write into new graphs: its journal markers out and the rest of the change in, as
        one update (atomic), so a crash leaves either everything or nothing."""
        self._store.update(f"DELETE DATA {{ {_as_data(markers)} }} ; INSERT DATA {{ {_as_data(rest)} }}")
        self._drop_empty_journal()

    def _drop_empty_journal(self) -> None:
        """Forget the journal graph's name once its markers are gone: Oxigraph keeps the name of a
        graph whose quads were removed one by one, and SPARQL's `GRAPH ?g {}` would list it."""
        if next(iter(self._store.quads_for_pattern(None, None, None, _JOURNAL)), None) is None:
            self._store.remove_graph(_JOURNAL)

    def _compact(self, *, wait: bool = True) -> None:
        """Compact the store's files after a large journalled change, any bulk write into new graphs or
        a bulk load:
        the staging graphs written and dropped again, and the quads removed, leave deleted keys that
        every later read must skip, and bulk-written files slow down every lookup of one node, even
        a small write's: at 1,000 partnerships one report of 120,000 quads left uncompacted made the
        one-partnership runs after it 0.13 s (median) and 0.7 s (slowest) instead of 0.05 and 0.17 s.
        After one validation run of 10,000 partnerships (its entailments replaced through the
        journal), reading the register graph went from 20 s to more than 100 s, and compacting (5-8 s)
        brought it back.

        Without `wait`, the compaction runs in a second thread while the caller goes on: reads are
        answered meanwhile, the next write and close() wait for it (settle), and a file in the cache
        directory (COMPACTING_FILE) makes the next open for writing compact again if the process is
        stopped first. It is not left to RocksDB: RocksDB compacts by itself only while a process
        holds the store open for writing, and a CLI run closes it at once. Two bulk-written reports
        left uncompacted made each lookup some 1,000 times slower for later read-only opens (a one-
        partnership run at 10,000: 60 s instead of 0.2 s)."""
        self.settle()
        marker = self.cache_directory / COMPACTING_FILE
        try:
            self.cache_directory.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # without the marker, a compaction cut short is not redone: lookups stay slower
        if not wait:
            with self._deferral:
                if self._deferring:
                    self._owed = True  # the marker stays: a process stopped before the end compacts on next open
                    return

        def compact() -> None:
            self._store.optimize()
            marker.unlink(missing_ok=True)

        if wait:
            compact()
            return
        self._compacting = threading.Thread(target=compact, name="partnerkg-compact")
        self._compacting.start()

    @contextmanager
    def compaction_deferred(self) -> Iterator[None]:
        """Within it, the compactions writes leave to run in the background wait for its end, and run
        once then: a validation run that writes its entailments and then its report compacts once,
        after both, instead of also in the middle while it is still working (at 10,000 partnerships
        that compaction took 5 s of a 2-core machine's time while the run derived dates). Reads
        meanwhile are answered, slower for lookups of one node; a run reads its working copy."""
        with self._deferral:
            self._deferring += 1
        try:
            yield
        finally:
            with self._deferral:
                self._deferring -= 1
                owed = self._owed and not self._deferring
                if owed:
                    self._owed = False
            if owed:
                self._compact(wait=False)

    def settle(self) -> None:
        """Wait for a compaction under way in the background (_compact) to end. The service writes from
        several threads: a compaction another thread started meanwhile is not forgotten."""
        thread = self._compacting
        if thread is not None:
            thread.join()
            if self._compacting is thread:
                self._compacting = None

    def _apply_journal(self) -> bool:
        """Finish a journalled change; safe to run again after a crash part-way through. True when
        there was one to finish."""
        entries = [
            (q.subject, q.predicate, q.object) for q in self._store.quads_for_pattern(None, None, None, _JOURNAL)
        ]
        for holder, verb, graph in sorted(entries, key=lambda e: e[1] != _REMOVE_FROM):
            if verb in (_LOADING, _DROPPING):  # a bulk load died part-way, or a drop began: the graph goes
                self._drop_graph(graph)
                continue
            if verb == _MOVING:  # a staged graph replaces `graph`: done again from the start if cut short
                self._drop_graph(graph)
                self._copy_graph(holder, graph)
                self._moved(holder, graph)
                self._drop_graph(holder)
                continue
            held = [
                Quad(q.subject, q.predicate, q.object, graph)
                for q in self._store.quads_for_pattern(None, None, None, holder)
            ]
            if verb == _REMOVE_FROM:
                for q in held:
                    self._store.remove(q)
            else:
                self._store.extend(held)
        if entries:
            self._store.remove_graph(_JOURNAL)
            for holder, verb, _ in entries:
                if verb not in (_LOADING, _DROPPING, _MOVING):
                    self._store.remove_graph(holder)
        return bool(entries)

    def _moved(self, staging: NamedNode, graph: NamedNode) -> None:
        """The journal's move from a staging graph into `graph` is done: the staging graph is to go."""
        moving, dropping = Quad(staging, _MOVING, graph, _JOURNAL), Quad(staging, _DROPPING, staging, _JOURNAL)
        self._store.update(f"DELETE DATA {{ {_as_data([moving])} }} ;\nINSERT DATA {{ {_as_data([dropping])} }}")

    def _load_again(self, text: bytes, fmt: RdfFormat, base_iri: str | None, graph: NamedNode) -> None:
        """A replacement's second load of its file's bytes, into the emptied graph (replace_graph)."""
        _trim_heap()  # what emptying the graph freed: the bulk loader's own memory comes on top
        self._store.bulk_load(io.BytesIO(text), format=fmt, base_iri=base_iri, to_graph=graph)

    def _copy_graph(self, source: NamedNode, target: NamedNode) -> None:
        """Copy a graph's triples into another, one predicate at a time, each an update of its own (blank
        nodes keep their labels: they are the values matched, not new ones)."""
        for predicate in self._predicates(source.value):
            self._store.update(
                f"INSERT {{ GRAPH {target} {{ ?s {predicate} ?o }} }} WHERE {{ GRAPH {source} {{ ?s {predicate} ?o }} }}"
            )

    def _drop_graph(self, graph: NamedNode) -> None:
        """Empty a graph one predicate at a time, each an update of its own, then drop its name. Oxigraph's
        remove_graph is one transaction, which holds every removal in memory: at 10,000 partnerships a
        run's report (1.2 million quads, 17 predicates) took 41.9 s and peaked at 1.8 GB; quad by quad
        25.8 s and 0.8 GB; by predicate 9.9 s and 0.96 GB. Only under a journal marker, which finishes
        what a stop cut short."""
        for predicate in self._predicates(graph.value):
            self._store.update(f"DELETE WHERE {{ GRAPH {graph} {{ ?s {predicate} ?o }} }}")
            _trim_heap()
        self._store.remove_graph(graph)

    def dump(self, output: IO[bytes], fmt: RdfFormat, graph: NamedNode | None = None) -> None:
        """Serialise one graph, or the whole dataset for N-Quads and TriG."""
        prefixes = PREFIXES if fmt in (RdfFormat.TURTLE, RdfFormat.TRIG) else None
        if graph is None and not fmt.supports_datasets:
            raise StoreError(f"{fmt.name} holds one graph only: name it with --graph, or use nquads or trig")
        self._store.dump(output, fmt, from_graph=graph, prefixes=prefixes)

    def close(self) -> None:
        """Flush pending writes (a read-only store has none); the directory lock is released when
        the object is collected."""
        if not self.read_only:
            self.settle()
            self._store.flush()
        del self._store
