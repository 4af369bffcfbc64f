"""Loading RDF files into the store: parse everything first, then write in one transaction.

A file that does not parse is reported with its name, line and column, and nothing is written:
parsing happens before the store is touched, and the write itself is atomic (see the store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import quote

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, parse

from ..namespaces import GRAPH, SCHEMA
from ..store import Store

FORMATS: dict[str, RdfFormat] = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}
"""Format names the CLI accepts."""

EXTENSIONS: dict[str, RdfFormat] = {
    ".ttl": RdfFormat.TURTLE,
    ".turtle": RdfFormat.TURTLE,
    ".nt": RdfFormat.N_TRIPLES,
    ".nq": RdfFormat.N_QUADS,
    ".trig": RdfFormat.TRIG,
    ".jsonld": RdfFormat.JSON_LD,
    ".json": RdfFormat.JSON_LD,
    ".rdf": RdfFormat.RDF_XML,
    ".owl": RdfFormat.RDF_XML,
    ".xml": RdfFormat.RDF_XML,
}

SOURCES_GRAPH = NamedNode(str(GRAPH["sources"]))
INTERNAL_PREFIX = str(GRAPH["internal/"])
INTERNAL_SOURCES_GRAPH = NamedNode(INTERNAL_PREFIX + "sources")
"""Where the provenance of internal graphs goes, so that it stays as private as they are."""
"""Where each loaded graph's origin is recorded: file name, SHA-256 and time loaded."""

DCT_SOURCE = NamedNode("http://purl.org/dc/terms/source")
PROV_GENERATED_AT = NamedNode("http://www.w3.org/ns/prov#generatedAtTime")
PROV_DERIVED_FROM = NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
PROV_ENTITY = NamedNode("http://www.w3.org/ns/prov#Entity")
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class LoadProblem:
    """One reason a file could not be loaded, located as precisely as the parser allows."""

    path: str
    reason: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f", line {self.line}" + (f", column {self.column}" if self.column is not None else "")
        return f"{where}: {self.reason}"


class LoadError(Exception):
    """One or more files could not be loaded; nothing was written."""

    def __init__(self, problems: Sequence[LoadProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class ParsedSource:
    """A parsed file: its quads (file triples in the default graph) and a checksum of its bytes."""

    path: Path
    quads: list[Quad]
    sha256: str


@dataclass
class LoadReport:
    """What a load wrote: triples per target graph."""

    graphs: dict[str, int] = field(default_factory=dict)

    @property
    def triples(self) -> int:
        """Triples written over all graphs."""
        return sum(self.graphs.values())


class _CountingReader:
    """A binary reader that hashes what passes through and reports progress in bytes."""

    def __init__(self, handle: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self._handle = handle
        self._progress = progress
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self.digest.update(chunk)
        if self._progress and chunk:
            self._progress(len(chunk))
        return chunk

    def readable(self) -> bool:
        return True


ENTITY_DECLARATION = b"<!ENTITY"


def refuse_entities(data: bytes, where: str) -> None:
    """Refuse RDF/XML that declares entities: the parser expands them, and a few hundred bytes of
    nested entities ('billion laughs') can grow without bound."""
    if ENTITY_DECLARATION in data:
        raise LoadError(
            [
                LoadProblem(
                    where,
                    "RDF/XML that declares entities (<!ENTITY ...>) is refused: entities can expand without bound",
                )
            ]
        )


def _check_rdfxml_file(path: Path, fmt: RdfFormat) -> None:
    if fmt == RdfFormat.RDF_XML:
        with open(path, "rb") as handle:
            refuse_entities(handle.read(), str(path))


def format_for(path: Path, name: str | None = None) -> RdfFormat:
    """The RDF format named, or guessed from the file's extension."""
    if name:
        if name not in FORMATS:
            raise LoadError([LoadProblem(str(path), f"unknown format {name!r}; use one of {', '.join(FORMATS)}")])
        return FORMATS[name]
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise LoadError(
            [LoadProblem(str(path), f"cannot tell the RDF format from the extension (known: {known}); pass --format")]
        )
    return fmt


def default_graph_for(path: Path) -> NamedNode:
    """The graph a file's triples go to when no graph is named: one graph per source file."""
    return NamedNode(str(GRAPH["file/" + quote(path.name)]))


def parse_file(path: Path, fmt: RdfFormat, progress: Callable[[int], None] | None = None) -> ParsedSource:
    """Parse a whole file into memory, with fresh blank nodes so files never share one by accident."""
    try:
        _check_rdfxml_file(path, fmt)
        with open(path, "rb") as handle:
            reader = _CountingReader(handle, progress)
            quads = list(parse(reader, fmt, base_iri=path.resolve().as_uri(), rename_blank_nodes=True))
    except SyntaxError as exc:
        raise LoadError([_syntax_problem(path, exc)]) from exc
    except (OSError, ValueError) as exc:
        raise LoadError([LoadProblem(str(path), str(exc))]) from exc
    return ParsedSource(path, quads, reader.digest.hexdigest())


REPLACE_IN_BULK = 8_000_000
"""A file of this many bytes or more (some 57,000 triples of Turtle) that replaces a graph of an embedded
store goes in by its bulk loader (EmbeddedStore.replace_graph). Smaller ones are compared with the graph
and only the difference written, which keeps stored entailments current; but a file's blank nodes get
new labels at every read, so for a whole register half of it differs, and the comparison holds both in
memory (at 10,000 partnerships a reload took 422 s and peaked at 11.6 GB)."""


def _load_in_one_pass(
    store: Store,
    source: tuple[Path, str | None],
    fmt: str | None,
    progress: Callable[[int], None] | None,
    internal: Callable[[str], bool] | None = None,
    upload: Callable[[int], None] | None = None,
) -> LoadReport | None:
    """The common case, one triple file into a graph that does not exist yet, or a large one replacing
    a graph of an embedded store (REPLACE_IN_BULK): the store reads it in one pass (hashed and counted
    on the way for the progress bar), refusing it whole if it does not parse. None when the case does
    not apply."""
    path, graph = source
    rdf_format = format_for(path, fmt)
    target = NamedNode(graph) if graph else default_graph_for(path)
    if rdf_format.supports_datasets:
        return None
    write: Callable[..., int] = store.load_new_graph
    options: dict[str, object] = {"progress": upload}
    if store.has_graph(target):
        replace = getattr(store, "replace_graph", None)
        if replace is None or path.stat().st_size < REPLACE_IN_BULK:
            return None  # compared quad by quad, and only the difference written (write_graphs)
        write, options = replace, {}
    try:
        _check_rdfxml_file(path, rdf_format)
        with open(path, "rb") as handle:
            reader = _CountingReader(handle, progress)
            # the provenance note is made once the file is read (its digest), and committed with the
            # graph: a crash leaves both or neither
            count = write(
                reader,
                rdf_format,
                target,
                base_iri=path.resolve().as_uri(),
                annotations=lambda: provenance({target.value: [(path, reader.digest.hexdigest())]}, internal),
                **options,
            )
    except SyntaxError as exc:
        raise LoadError([_syntax_problem(path, exc)]) from exc
    except (OSError, ValueError) as exc:
        raise LoadError([LoadProblem(str(path), str(exc))]) from exc
    return LoadReport({target.value: count})


def _syntax_problem(path: Path, exc: SyntaxError) -> LoadProblem:
    reason = str(exc.msg if hasattr(exc, "msg") else exc)
    if ": " in reason and reason.startswith("Parser error"):
        reason = reason.split(": ", 1)[1]
    return LoadProblem(str(path), reason, exc.lineno, exc.offset)


def provenance(origin: dict[str, list[tuple[Path, str]]], internal: Callable[[str], bool] | None = None) -> list[Quad]:
    """Provenance of each written graph, in PROV-O: generated now, derived from which files (named by
    their SHA-256, as `urn:sha256:...`), with the file names and checksums beside."""
    now = Literal(datetime.now(UTC).isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime"))
    notes = []
    for name, files in origin.items():
        subject = NamedNode(name)
        private = internal(name) if internal is not None else name.startswith(INTERNAL_PREFIX)
        where = INTERNAL_SOURCES_GRAPH if private else SOURCES_GRAPH
        notes.append(Quad(subject, RDF_TYPE, PROV_ENTITY, where))
        notes.append(Quad(subject, PROV_GENERATED_AT, now, where))
        for path, digest in files:
            notes.append(Quad(subject, PROV_DERIVED_FROM, NamedNode("urn:sha256:" + digest), where))
            notes.append(Quad(subject, DCT_SOURCE, Literal(path.name), where))
            notes.append(Quad(subject, NamedNode(str(SCHEMA.sha256)), Literal(digest), where))
    return notes


def load_files(
    store: Store,
    paths: Iterable[Path],
    *,
    graph: str | None = None,
    fmt: str | None = None,
    append: bool = False,
    progress: Callable[[int], None] | None = None,
    internal: Callable[[str], bool] | None = None,
    upload: Callable[[int], None] | None = None,
) -> LoadReport:
    """Load RDF files: each file's triples replace its own graph (or the named graph), atomically.

    Quad formats (N-Quads, TriG) keep their named graphs; their default-graph triples go where a
    triple file's would.
    """
    return load_sources(
        store,
        [(Path(p), graph) for p in paths],
        fmt=fmt,
        append=append,
        progress=progress,
        internal=internal,
        upload=upload,
    )


def load_sources(
    store: Store,
    sources: Sequence[tuple[Path, str | None]],
    *,
    fmt: str | None = None,
    append: bool = False,
    progress: Callable[[int], None] | None = None,
    internal: Callable[[str], bool] | None = None,
    upload: Callable[[int], None] | None = None,
) -> LoadReport:
    """Load (file, target graph or None) pairs in one transaction (`upload` hears of each batch a
    remote store is sent).

    Every file is parsed before anything is written, and all problems are reported together.
    """
    if len(sources) == 1 and not append:
        report = _load_in_one_pass(store, sources[0], fmt, progress, internal, upload)
        if report is not None:
            return report
    parsed: list[tuple[ParsedSource, str | None]] = []
    problems: list[LoadProblem] = []
    for path, graph in sources:
        try:
            parsed.append((parse_file(path, format_for(path, fmt), progress), graph))
        except LoadError as exc:
            problems.extend(exc.problems)
    if problems:
        raise LoadError(problems)

    quads: list[Quad] = []
    origin: dict[str, list[ParsedSource]] = {}
    counts: dict[str, int] = {}
    for source, graph in parsed:
        target = NamedNode(graph) if graph else default_graph_for(source.path)
        touched = {target.value}
        for q in source.quads:
            g = target if isinstance(q.graph_name, DefaultGraph) else q.graph_name
            quads.append(Quad(q.subject, q.predicate, q.object, g))
            touched.add(g.value)
        for name in touched:
            origin.setdefault(name, []).append(source)
    for q in quads:
        counts[q.graph_name.value] = counts.get(q.graph_name.value, 0) + 1
    notes = provenance({name: [(f.path, f.sha256) for f in files] for name, files in origin.items()}, internal)
    store.write_graphs(quads, [NamedNode(n) for n in origin], append=append, annotations=notes)
    return LoadReport(counts)
