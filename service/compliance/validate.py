"""Validation runs: one core call, `validate()`, shared by the CLI and (later) the web pages.

A run reads the data from the store, derives the values the shapes need (derive.py), validates with
pySHACL, turns each SHACL result into a Finding that names its obligation, clause, document and
partnership, and stores the run: the SHACL report (with readable messages) in a named graph of its
own and PROV-O metadata in the runs graph.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import gc
import hashlib
import logging
import os
import tempfile
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, SKOS, XSD
from rdflib.term import Node

from ..entailment import (
    HANGS_FROM,
    HELD_FROM,
    HELD_WITH,
    INCOMING,
    LINKS,
    PARTS,
    RULES_DIGEST,
    entailed_and_hanging,
    entailed_triples,
)
from ..ingest.bootstrap import ONTOLOGY_DIR, POLICIES_FILE, SHAPES_DIR
from ..namespaces import GRAPH, ID, OBLIGATION, ONTOLOGY_IRI, ORG, PK, SH, sparql_prefixes
from ..reasoning import data_graphs, data_query
from ..store import Store
from ..store.terms import GraphView, from_rdflib, graph_from_triples, quads_into, to_rdflib
from .derive import Thresholds, dated_values
from .engine import Engine, Result, Unsupported

LOG = logging.getLogger(__name__)
ENGINES = ("sparql", "pyshacl")

RUNS_GRAPH = GRAPH["runs"]
ENTAILED_GRAPH = GRAPH["entailed"]
HANGING_GRAPH = GRAPH["hanging"]
"""The hanging index (service.entailment), stored and kept current with the entailments, under their stamp."""

SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
RANK = {"Violation": 3, "Warning": 2, "Info": 1}
FRAMEWORKS = {
    "CAM": "cambridge-principles",
    "CCC": "cumbria-constitution-5e",
    "SOE": "standards-of-excellence",
    "CSP": "csp-principles",
}


@dataclass(frozen=True)
class Finding:
    """One breach: which obligation, where, and in words."""

    obligation: str
    obligation_text: str
    document: str
    seed: str
    clause: str
    council: str
    severity: str
    focus: str
    focus_label: str
    partnerships: tuple[str, ...]
    partnership_labels: tuple[str, ...]
    path: str
    value: str
    value_label: str
    message: str
    shape: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes two runs' findings the same finding."""
        return (self.obligation, self.focus, self.path, self.value)

    def as_dict(self) -> dict:
        """A plain mapping (for JSON and CSV)."""
        data = dict(self.__dict__)  # its fields, in order (asdict() deep-copies: 5x slower; getattr: 4x)
        data["partnerships"] = list(self.partnerships)
        data["partnership_labels"] = list(self.partnership_labels)
        return data


def tally(scorecard: dict) -> dict[str, dict[str, int]]:
    """For each obligation, how many partnerships have each status in a scorecard."""
    counts: dict[str, dict[str, int]] = {}
    for card in scorecard.values():
        for obligation, row in card.get("obligations", {}).items():
            by_status = counts.setdefault(obligation, {})
            by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    return counts


@dataclass
class Run:
    """A validation run and what it found."""

    iri: str
    as_at: date
    started: datetime
    ended: datetime
    scope: str
    findings: list[Finding]
    shapes_digest: str
    data_digest: str
    report_quads: list[ox.Quad] = field(repr=False)
    """The SHACL report, as quads of the run's own graph (graph/run/<id>)."""
    report_digest: str = ""
    """SHA-256 of what the report and the scorecard say (report_digest, then the scorecard's JSON), made
    for a run that is to be kept: a kept run whose report and scorecard say the same shares the earlier
    run's report graph and scorecard (save_run)."""
    scorecard: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict, repr=False)
    working: list[ox.Store] = field(default_factory=list, repr=False, compare=False)
    """The store the run worked on (1.3 GiB at 10,000 partnerships), when it was asked to leave it to its
    caller (validate's let_go_later) instead of letting go of it before the report's write."""

    @functools.cached_property
    def scorecard_json(self) -> bytes:
        """The scorecard as JSON with its keys sorted, made once (60 MB at 10,000 partnerships): the
        report digest covers it."""
        return orjson.dumps(self.scorecard, option=orjson.OPT_SORT_KEYS)

    def tally(self) -> dict[str, dict[str, int]]:
        """For each obligation, how many partnerships have each status in the scorecard."""
        return tally(self.scorecard)

    def let_go(self) -> None:
        """Free the store the run worked on. Oxigraph holds Python's lock while it frees one (1.5-3 s at
        10,000 partnerships), so a caller about to wait without the lock (the CLI closing the store, which
        waits for the compaction the report's write left running) does this in a thread beside that wait
        (let_go_beside)."""
        self.working.clear()

    def let_go_beside(self) -> threading.Thread:
        """let_go in a thread of its own, started, for the caller to wait beside (and join if it must)."""
        freeing = threading.Thread(target=self.let_go, name="partnerkg-let-go")
        freeing.start()
        return freeing

    @property
    def report(self) -> Graph:
        """The run's SHACL validation report (with readable messages, obligations and partnerships)."""
        return graph_from_triples(self.report_quads)

    @property
    def id(self) -> str:
        """The run's short id, the last segment of its IRI."""
        return self.iri.rsplit("/", 1)[-1]

    def counts(self) -> dict[str, int]:
        """Findings by severity."""
        out = {name: 0 for name in RANK}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def fails(self, threshold: str) -> bool:
        """True when a finding at or above the threshold exists ('none' never fails)."""
        if threshold == "none":
            return False
        level = RANK[threshold.capitalize()]
        return any(RANK[f.severity] >= level for f in self.findings)


class ValidationError(ValueError):
    """The run cannot start: an unknown partnership or framework, no shapes in the store."""


def _data_version(store: Store) -> str | None:
    """The name of the data's state (EmbeddedStore.data_version); None for a store that keeps none."""
    return getattr(store, "data_version", lambda: None)()


def read_shapes(store: Store) -> Graph:
    """The store's shapes graph, or the project's shapes/ files when the store has none. The graph is
    shared by the runs of a process while the shapes are unchanged (parsing the files took 70 ms of a
    one-partnership run's 300): read it, do not change it. While the store's data version (which any
    write of the shapes renames) is the one it was read at, it is not read again (7 ms of a
    one-partnership run's 120)."""
    global _SHAPES_AT  # noqa: PLW0603 - one pair, replaced whole: threads of the service read it
    version = _data_version(store)
    at_version, at_key = _SHAPES_AT
    known = _SHAPES.get(at_key) if version is not None and version == at_version else None
    if known is not None:
        return known[0]
    stored = list(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH['shapes']}> {{ ?s ?p ?o }} }}"))  # type: ignore[call-overload]
    # a stored shapes graph is known by its triples, the project's files by their size and time
    if any(t.object == _NODE_SHAPE for t in stored):
        key: object = frozenset(stored)
    else:
        key = tuple((p.name, (st := p.stat()).st_mtime_ns, st.st_size) for p in sorted(SHAPES_DIR.glob("*.ttl")))
    kept = _SHAPES.get(key)
    if kept is None:
        shapes = graph_from_triples(stored)
        if not isinstance(key, frozenset):
            for path in sorted(SHAPES_DIR.glob("*.ttl")):
                shapes.parse(path)
        kept = (shapes, digest(shapes))
        _SHAPES.clear()  # one set of shapes at a time
        _SHAPES[key] = kept
    if version is not None:
        _SHAPES_AT = (version, key)
    return kept[0]


_SHAPES: dict[object, tuple[Graph, str]] = {}
"""The shapes read_shapes last read, with their digest."""
_SHAPES_AT: tuple[str | None, object] = (None, None)
"""The data version (a name no other store's state has) at which read_shapes last read the shapes,
and their key in _SHAPES."""
_NODE_SHAPE = ox.NamedNode(str(SH.NodeShape))
_ENGINES: dict[str, Engine] = {}


def shapes_digest(shapes: Graph) -> str:
    """digest() of a shapes graph, as read_shapes kept it when the graph is the one it keeps."""
    return next((d for graph, d in _SHAPES.values() if graph is shapes), None) or digest(shapes)


def compiled_engine(shapes: Graph) -> Engine:
    """The shapes compiled to SPARQL (engine.Engine), compiled once for all runs on the same shapes
    (70 ms); each run gets its own copy, whose term cache starts empty and goes with the run."""
    key = shapes_digest(shapes)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = Engine(shapes)  # raises Unsupported before anything is kept
        _ENGINES.clear()
        _ENGINES[key] = engine
    return engine.for_run()


def entailed_for(
    store: Store, work: ox.Store, data_digest: str, version: str | None = None, *, background: bool = False
) -> concurrent.futures.Future[None] | None:
    """The entailments of the data in the working store, added to it: read from the run cache or their
    named graph when they were computed from this very data by these very rules (the same digests),
    or kept current since with the data's state read before the copy (`version`: see
    EmbeddedStore._keep_entailed), else computed again on the working store and stored with both.
    With `background`, an embedded store that holds none yet stores them in a thread while the caller
    goes on, and the write under way is returned for the caller to wait for: Oxigraph's bulk loader of
    text leaves Python's lock, where its writer of quad objects held it (at 10,000 partnerships 4.5 s,
    and 2 s more to make the quads)."""
    sources = GRAPH["sources"]
    data_digest = f"{data_digest}+{RULES_DIGEST}"  # entailments computed by other rules are not reused
    nt = ox.RdfFormat.N_TRIPLES
    name = f"entailed-{hashlib.sha256(data_digest.encode('ascii')).hexdigest()[:32]}.nt"
    text = _cached(store, name)
    if text is None:
        rows = store.query(
            f"SELECT ?d WHERE {{ GRAPH <{sources}> {{ <{ENTAILED_GRAPH}> pk:dataDigest|pk:dataVersion ?d }} }}"
        )
        stamps = {row["d"].value for row in rows}  # type: ignore[attr-defined]
        if data_digest in stamps or (version is not None and f"{version}+{RULES_DIGEST}" in stamps):
            triples = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ENTAILED_GRAPH}> {{ ?s ?p ?o }} }}")
            # Oxigraph's own serialisation: a quad object each costs 3 s at 10,000 partnerships
            text = triples.serialize(format=nt) if hasattr(triples, "serialize") else ox.serialize(triples, format=nt)
            _keep(store, "entailed-", name, text)  # type: ignore[arg-type]
    if text is not None:
        # Oxigraph wrote the text (the cache's copy, or the store's answer): its IRIs need no second check
        work.extend(ox.parse(text, format=nt, rename_blank_nodes=False, lenient=True))  # type: ignore[arg-type]
        return None
    # the hanging index serves the one-partnership cut, which a store read triple by triple makes
    entailed, hanging = entailed_and_hanging(work) if hasattr(store, "match") else (entailed_triples(work), set())
    # written once, for the run cache; the working store parses it (at 10,000 partnerships, 416,257
    # triples: 0.6 s with the serialising, against 1.4 s for a quad object made for each in Python).
    # What names none of the data's blank nodes comes first, to be stored from the text (below)
    blank = ox.BlankNode
    named = [t for t in entailed if not isinstance(t.subject, blank) and not isinstance(t.object, blank)]
    others = entailed.difference(named)
    plain = ox.serialize(named, format=nt)
    text = plain + ox.serialize(others, format=nt)
    work.extend(ox.parse(text, format=nt, rename_blank_nodes=False, lenient=True))  # type: ignore[arg-type]
    target = ox.NamedNode(str(ENTAILED_GRAPH))
    notes = [ox.Quad(target, ox.NamedNode(str(PK.dataDigest)), ox.Literal(data_digest), ox.NamedNode(str(sources)))]
    if version is not None:
        stamp = ox.Literal(f"{version}+{RULES_DIGEST}")
        notes.append(ox.Quad(target, ox.NamedNode(str(PK.dataVersion)), stamp, ox.NamedNode(str(sources))))
    index = ox.NamedNode(str(HANGING_GRAPH))
    held = [ox.Quad(t.subject, t.predicate, t.object, index) for t in hanging]
    writing = None
    if hasattr(store, "match") and not store.has_graph(target):
        # the index first, the entailments with their stamps last: the index counts as current by their
        # stamps (working_copy_for), so a process stopped between the two leaves nothing that misleads.
        # What names a blank node of the data keeps its label, which a bulk load of text would change.
        labelled = [ox.Quad(t.subject, t.predicate, t.object, target) for t in others]

        def write() -> None:
            store.write_graphs(held, [index], derived=True)
            store.load_new_graph(plain, nt, target, annotations=lambda: notes, derived=True, labelled=labelled)

        if background:
            pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="partnerkg-entailed")
            writing = pool.submit(write)
            pool.shutdown(wait=False)  # its thread ends with the write
        else:
            write()
    else:  # replacing stored ones (journalled), or a remote store: all in one write
        quads = [ox.Quad(t.subject, t.predicate, t.object, target) for t in entailed]
        store.write_graphs(quads + held, [target, index], annotations=notes, derived=True)
    _keep(store, "entailed-", name, text)  # type: ignore[arg-type]
    return writing


def cache_directory(store: Store) -> Path | None:
    """Where runs keep copies of what they read from an embedded store, beside its directory (a remote
    store has none): the data as N-Triples under the store's data version, and the entailments under
    their digests. One of each is kept; at 10,000 partnerships they take about 560 MB."""
    return getattr(store, "cache_directory", None)


def _cached(store: Store, name: str) -> bytes | None:
    directory = cache_directory(store)
    if directory is None:
        return None
    try:
        return (directory / name).read_bytes()
    except OSError:
        return None


def _keep(store: Store, prefix: str, name: str, text: bytes) -> None:
    """Keep a copy in the run cache (written aside, then renamed into place), dropping older ones of its
    kind. A cache that cannot be written only makes the next run slower."""
    directory = cache_directory(store)
    if directory is None:
        return
    try:
        aside = _aside(directory, name)
        aside.write_bytes(text)
    except OSError as exc:
        LOG.warning("cannot keep %s in the run cache: %s", name, exc)
        return
    _place(store, prefix, name, aside)


def _aside(directory: Path, name: str) -> Path:
    """Where a file for the run cache is written before it is renamed into place (_place)."""
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f".{name}.{uuid.uuid4().hex}"


def _place(store: Store, prefix: str, name: str, aside: Path) -> None:
    """Rename a file written aside in the run cache into place, and drop older ones of its kind."""
    directory = aside.parent
    try:
        os.replace(aside, directory / name)
        for old in directory.glob(prefix + "*"):
            if old.name != name:
                old.unlink(missing_ok=True)
    except OSError as exc:
        aside.unlink(missing_ok=True)
        LOG.warning("cannot keep %s in the run cache: %s", name, exc)


def _file_digest(path: Path) -> hashlib._Hash:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256")


HOPS = 4
"""How far the cut follows links out of a partnership's own nodes: appointment, period, instant; or framework,
council, reorganisation, successor council."""


PER_GRAPH = 3
"""Up to how many data graphs a partnership's cut looks each node up graph by graph."""


def working_copy_for(store: Store, partnership: str) -> ox.Store | None:
    """A working store for one partnership's run: its own nodes (by the entailment rules, found on the
    stored data), what they link to within HOPS links, what links into them by the INCOMING links,
    and the ontology and policies: a few hundred triples instead of the register, so a one-partnership
    run costs milliseconds. Tests hold its findings equal to the partnership's share of a full run.
    None when the store cannot be read triple by triple (a remote store): the caller copies it all.
    What hangs from a node that is not the partnership's and links to another partnership's node
    is left out; the hanging index (HANGING_GRAPH), when current, names those records, so they are not read."""
    match = getattr(store, "match", None)
    if match is None:
        return None
    graphs = [ox.NamedNode(g) for g in data_graphs(store)]
    links = "|".join(p.n3() for p in LINKS)
    it = f"<{partnership}>"
    bodies = (
        f"SELECT DISTINCT ?b WHERE {{ {{ {it} org:hasSubOrganization ?b }} UNION {{ ?b pk:partOfPartnership {it} }} }}"
    )
    found = [ox.NamedNode(partnership)] + [row["b"] for row in store.query(bodies, default_graph=graphs)]  # type: ignore[index,union-attr]
    values = "VALUES ?body { " + " ".join(str(b) for b in found if isinstance(b, ox.NamedNode)) + " }"
    # the path starts from the bodies, so Oxigraph walks it backwards from them
    linked = f"SELECT DISTINCT ?n WHERE {{ {values} ?n ({links})+ ?body }}"
    owned = {row["n"] for row in store.query(linked, default_graph=graphs)}  # type: ignore[index,union-attr]
    seats = f"SELECT DISTINCT ?n WHERE {{ ?n pk:seatsOn/pk:scrutinises {it} }}"
    frontier = set(found) | owned | {row["n"] for row in store.query(seats, default_graph=graphs)}  # type: ignore[index,union-attr]
    quads: set[ox.Quad] = set()
    seen: set[object] = set()
    incoming = {ox.NamedNode(str(p)) for p in INCOMING}
    vocabularies = [g for g in graphs if g.value in (str(GRAPH["ontology"]), str(GRAPH["policies"]))]
    # the vocabularies are copied whole below; graphs left empty are not read
    walked = [g for g in graphs if g not in vocabularies and next(iter(match(None, None, None, g)), None) is not None]
    among = set(walked)

    def read(subject: object, predicate: object, obj: object) -> list[ox.Quad]:
        """The data graphs' quads matching a pattern: a lookup in each graph, or past PER_GRAPH graphs one
        lookup across all of them, filtered (slower for one graph: 0.40 s warm for the heaviest cut at
        10,000 partnerships against 0.13 s; but 24 graphs read one by one took 0.93 s)."""
        if len(walked) <= PER_GRAPH:
            return [q for graph in walked for q in match(subject, predicate, obj, graph)]
        return [q for q in match(subject, predicate, obj, None) if q.graph_name in among]

    # the bodies' and their linked nodes' own quads, read once for the first hop, and what they have by
    # PARTS (a partnership's objectives) taken from them: as a path in the query above it took 17 ms for
    # the heaviest partnership, and as a lookup per part 393 of the cut's 2,601 lookups
    parts = {ox.NamedNode(str(p)) for p in PARTS}
    read_first = {node: read(node, None, None) for node in [*found, *owned]}
    frontier |= {q.object for triples in read_first.values() for q in triples if q.predicate in parts}
    own = set(found)
    a, partnership_type = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PK.Partnership))
    part_of, has_sub = ox.NamedNode(str(PK.partOfPartnership)), ox.NamedNode(str(ORG.hasSubOrganization))

    def elsewhere(node: object, triples: list[ox.Quad] | None = None) -> bool:
        """Whether a node is another partnership or one of its bodies: what links into it or out of it
        (its appointments, memberships, meetings, sub-bodies) is that partnership's business, not this
        one's. Reached from a council or partner body that many partnerships share, walking on from
        them brought every partnership's appointments into the cut (at 1,000 generated partnerships,
        19,545 quads where this partnership's own share is about 1,000). Given the node's own
        `triples` (read already), only what links into it is looked up."""
        if node not in known:
            # most nodes asked about are other partnerships' bodies: that pattern first
            known[node] = bool(read(None, has_sub, node)) or (
                any(q.predicate == part_of or (q.predicate == a and q.object == partnership_type) for q in triples)
                if triples is not None
                else bool(read(node, a, partnership_type) or read(node, part_of, None))
            )
        return known[node]

    known: dict[object, bool] = {}
    # the data's state, read once before the data: None while a write is under way and for a read-only store
    version = _data_version(store)
    index = _hanging_index(version, match)
    held: dict[object, set[object]] | None = None  # node -> the records held from it with the partnership's nodes

    def linked_in(node: object) -> set[object]:
        """What links into a node by one of INCOMING, a lookup for each."""
        return {q.subject for predicate in incoming for q in read(None, predicate, node)}

    def linked_into_own(node: object) -> set[object]:
        """The same for one of the partnership's own nodes (`start`), which few links point into: one
        lookup of all of them, filtered (a lookup per link was 952 of the heaviest partnership's 2,601
        lookups at 10,000 partnerships). Not for shared nodes: every link into a council, read to keep
        a few, made the heaviest cut without its hanging index 10-12 s instead of 0.16-0.24 s."""
        return {q.subject for q in read(None, None, node) if q.predicate in incoming}

    def hanging_from(node: object) -> set[object]:
        """What links into a node that is not the partnership's by one of INCOMING, to be checked at the
        next hop. With the hanging index current, what hangs from the node and what is held from it with
        one of the partnership's bound nodes (`start`, all read at the first hop), leaving out unread what
        is held with other partnerships' nodes (at 10,000 partnerships, the 1,250 assessments of one
        partner body by other partnerships' boards were most of the heaviest cut); else all of it."""
        nonlocal held
        if index is None:
            return linked_in(node)
        if held is None:
            held = {}
            bound = [n for n in start if n in own or known.get(n)]
            for record in {q.subject for n in bound for q in match(None, HELD_WITH, n, index)}:
                for q in match(record, HELD_FROM, None, index):
                    held.setdefault(q.object, set()).add(record)
        return {q.subject for q in match(None, HANGS_FROM, node, index)} | held.get(node, set())

    start = set(frontier)
    hanging: set[object] = set()  # reached only by a link into a node that is not this partnership's
    for hop in range(HOPS + 1):
        following: set[object] = set()
        hung: set[object] = set()
        for node in frontier - seen:
            triples = read_first.pop(node) if node in read_first else read(node, None, None)
            if node in hanging and any(
                not isinstance(q.object, ox.Literal) and q.object not in start and elsewhere(q.object) for q in triples
            ):
                continue  # another partnership's (its board's assessment of a partner body both have)
            seen.add(node)
            quads.update(ox.Quad(q.subject, q.predicate, q.object) for q in triples)
            if node in hanging or (node not in own and elsewhere(node, triples)):
                continue  # its own triples are kept, nothing past them
            following.update(q.object for q in triples if not isinstance(q.object, ox.Literal))
            if hop < HOPS and node in start:
                following.update(linked_into_own(node))
            elif hop < HOPS:
                hung.update(hanging_from(node))
        frontier = following | hung
        hanging = hung - following
    work = ox.Store()
    work.extend(quads)
    work.extend(_vocabulary_quads(store, version, vocabularies, match))
    _add_vocabularies(work, hashlib.sha256())
    return work


def _hanging_index(version: str | None, match: Callable) -> ox.NamedNode | None:
    """The hanging index's graph when it is current: the entailments' stamp names the data's state
    `version` (None for a read-only store, whose state is not known, and while a write is under way)."""
    if version is None:
        return None
    stamp = f"{version}+{RULES_DIGEST}"
    stamps = match(
        ox.NamedNode(str(ENTAILED_GRAPH)), ox.NamedNode(str(PK.dataVersion)), None, ox.NamedNode(str(GRAPH["sources"]))
    )
    return ox.NamedNode(str(HANGING_GRAPH)) if any(q.object.value == stamp for q in stamps) else None


_VOCABULARIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per store: the data's state (a data version, or "read-only") and the ontology's and policies' quads
read under it (_vocabulary_quads)."""


def _vocabulary_quads(store: Store, version: str | None, graphs: list[ox.NamedNode], match: Callable) -> list[ox.Quad]:
    """The store's ontology and policies graphs' quads, in the default graph: read once per data state
    (a write to them names a new one) and kept for the next one-partnership run; a read-only store
    sees the data as it was when opened, so its are kept while it is open. At 10,000 partnerships the
    2,187 quads took 13 ms to read each run, a tenth of the heaviest partnership's cut."""
    # `version` was read before the graphs; None while a write is under way (nothing kept)
    state = "read-only" if getattr(store, "read_only", False) else version
    kept = _VOCABULARIES.get(store)
    if state is not None and kept is not None and kept[0] == state:
        return kept[1]
    quads = [ox.Quad(q.subject, q.predicate, q.object) for graph in graphs for q in match(None, None, None, graph)]
    if state is not None:
        _VOCABULARIES[store] = (state, quads)
    return quads


def _add_vocabularies(work: ox.Store, hasher: object) -> None:
    """The ontology and policies from the project's files, when the working store lacks them."""
    files = []
    if not work.query(f"ASK {{ ?o a <{PK.Obligation}> }}"):
        files.append(POLICIES_FILE)
    if not work.query(f"ASK {{ <{ONTOLOGY_IRI}> a <{OWL.Ontology}> }}"):
        files += sorted(ONTOLOGY_DIR.glob("*.ttl"))
    for path in files:
        content = path.read_bytes()
        hasher.update(content)  # type: ignore[attr-defined]
        work.extend(ox.parse(content, format=ox.RdfFormat.TURTLE, base_iri=path.as_uri(), rename_blank_nodes=False))


def working_copy(store: Store) -> tuple[ox.Store, str, str | None]:
    """An in-memory Oxigraph store holding, in its default graph, what a run validates: the data
    graphs with the ontology and policies (added from the project's files when the store lacks them);
    the SHA-256 of the data as N-Triples; and the data's state (an embedded store's data_version) read
    before the copy: None for a remote store or while a write is under way.

    The copy is made by Oxigraph itself (serialise and parse, blank node labels kept), never through
    rdflib terms: an embedded store writes its graphs in other threads while this one parses them
    (copy_graphs_into), a remote one answers a CONSTRUCT. An embedded store's data is read once per
    data version: later runs parse the copy kept in the run cache, hashing it in a second thread (at
    10,000 partnerships about 8 s; reading the store, 14-16 s)."""
    version = _data_version(store)  # read before the data
    graphs = data_graphs(store)
    query = data_query(store, graphs)
    name = f"data-{version}-{hashlib.sha256(query.encode('utf-8')).hexdigest()[:12]}.nt"
    directory = cache_directory(store) if version is not None else None
    nt = ox.RdfFormat.N_TRIPLES
    work = ox.Store()
    if directory is not None and (directory / name).is_file():
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            hashing = pool.submit(_file_digest, directory / name)  # hashing releases Python's lock too
            # labels kept; Oxigraph wrote the copy from the store, so its IRIs are not checked again (2 s
            # of 10 at 10,000 partnerships)
            work.extend(ox.parse(path=directory / name, format=nt, rename_blank_nodes=False, lenient=True))
            hasher = hashing.result()
    elif hasattr(store, "copy_graphs_into"):
        # an embedded store writes the graphs itself while this thread parses them (and keeps the copy)
        if directory is not None:
            aside = _aside(directory, name)
            hasher = store.copy_graphs_into(graphs, work, aside)
            _place(store, "data-", name, aside)
        else:  # no version, so nothing to keep: the text goes to a scratch directory
            with tempfile.TemporaryDirectory(prefix="partnerkg-copy-") as scratch:
                hasher = store.copy_graphs_into(graphs, work, Path(scratch) / name)
    else:
        result = store.query(query)
        text = result.serialize(format=nt) if hasattr(result, "serialize") else ox.serialize(result, format=nt)
        hasher = hashlib.sha256(text)
        if directory is not None:
            _keep(store, "data-", name, text)  # type: ignore[arg-type]
        work.extend(ox.parse(text, format=nt, rename_blank_nodes=False))  # type: ignore[arg-type]
    _add_vocabularies(work, hasher)
    return work, hasher.hexdigest(), version


def with_vocabularies(data: Graph) -> Graph:
    """The data, with the project's ontology and policies added when the store does not hold them
    (a store filled with `partnerkg load` alone, say): the shapes need both."""
    if not any(data.subjects(RDF.type, PK.Obligation)):
        data.parse(POLICIES_FILE)
    if (ONTOLOGY_IRI, RDF.type, OWL.Ontology) not in data:
        for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
            data.parse(path)
    return data


def digest(graph: Graph) -> str:
    """SHA-256 of a graph's sorted N-Triples (stable while the store's blank nodes are)."""
    lines = sorted(graph.serialize(format="nt").splitlines())
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


LABELS = (RDFS.label, FOAF.name, SKOS.prefLabel, DCTERMS.title)
"""What names a node, best first."""


def label_map(store: ox.Store) -> dict[Node, str]:
    """Every node's label (the first of LABELS it has), read from the store's default graph at once."""
    rank = {str(p): i for i, p in enumerate(LABELS)}
    best: dict[Node, tuple[int, str]] = {}
    values = " ".join(f"<{p}>" for p in LABELS)
    for row in store.query(f"SELECT ?s ?p ?l WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?l }}"):
        node, order = to_rdflib(row[0]), rank[row[1].value]  # type: ignore[index]
        if node not in best or order < best[node][0]:
            best[node] = (order, row[2].value)  # type: ignore[index]
    return {node: text for node, (_, text) in best.items()}


def label(graph: Graph, node: Node | None) -> str:
    """What a person calls a node."""
    if node is None:
        return ""
    known = getattr(graph, "labels", None)  # a GraphView's labels, read in one query (label_map)
    if known is not None:
        if node in known:
            return known[node]
    else:
        for predicate in LABELS:
            value = graph.value(node, predicate)
            if value is not None:
                return str(value)
    if isinstance(node, Literal):
        return str(node)
    text = str(node)
    return text.rsplit("/", 1)[-1].rsplit("#", 1)[-1] if isinstance(node, URIRef) else ""


def obligation_of(shapes: Graph, shape: Node) -> URIRef | None:
    """The obligation a result's shape (or the node shape that holds it) links to."""
    todo, seen = [shape], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for source in shapes.objects(current, DCTERMS.source):
            if str(source).startswith(str(OBLIGATION)):
                return source  # type: ignore[return-value]
        todo += list(shapes.subjects(SH.property, current)) + list(shapes.subjects(SH.sparql, current))
        todo += list(shapes.subjects(SH.node, current))
    return None


def _framework_shapes(shapes: Graph, framework: str | None) -> list[Node] | None:
    if framework is None:
        return None
    if framework not in FRAMEWORKS:
        raise ValidationError(f"unknown framework {framework!r}; use one of {', '.join(FRAMEWORKS)}")
    chosen = [
        s
        for s in shapes.subjects(RDF.type, SH.NodeShape)
        if (o := obligation_of(shapes, s)) is not None and str(o).rsplit("/", 1)[-1].startswith(framework + "-")
    ]
    return chosen


def _key(node: Node | None) -> str | None:
    """A node as a plain string, to look up and compare in C: rdflib's terms hash and compare in
    Python, and a full run asks who 540,000 focus nodes belong to at 10,000 partnerships. IRIs and
    blank node labels cannot be equal (an absolute IRI has a colon, a label none); a literal has no
    key, as nothing belongs to one."""
    return str(node) if isinstance(node, (URIRef, BNode)) else None


def _pairs(data: Graph, predicate: URIRef) -> Iterator[tuple[str | None, str | None]]:
    """A predicate's subjects and objects, as _key gives them. From a GraphView, straight from its
    store, without an rdflib term each (at 10,000 partnerships 400,000 pk:forPartnership pairs: 1 s
    of Attribution's 2.5)."""
    if not isinstance(data, GraphView):
        return ((_key(s), _key(o)) for s, o in data.subject_objects(predicate))
    found = data.store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None, data.graph)
    return ((q.subject.value, None if isinstance(q.object, ox.Literal) else q.object.value) for q in found)


def _subjects(data: Graph, predicate: URIRef, obj: Node) -> Iterator[str | None]:
    """The subjects of a predicate and object, as _key gives them (from a GraphView, as _pairs)."""
    if not isinstance(data, GraphView):
        return (_key(s) for s in data.subjects(predicate, obj))
    found = data.store.quads_for_pattern(None, from_rdflib(predicate), from_rdflib(obj), data.graph)  # type: ignore[arg-type]
    return (q.subject.value for q in found)


class Attribution:
    """Which partnership(s) a focus node's finding belongs to, as IRIs (strings)."""

    def __init__(self, data: Graph) -> None:
        self.data = data
        self._answers: dict[tuple[str | None, str | None], tuple[str, ...]] = {}
        self.owner = dict(_pairs(data, PK.forPartnership))
        self.by_member: dict[str | None, set[str | None]] = {}
        self.current = current = set(_subjects(data, PK.isCurrent, Literal(True)))
        for held, member in _pairs(data, ORG.member):
            if held in current and held in self.owner:
                self.by_member.setdefault(member, set()).add(self.owner[held])
        self.covered: dict[str | None, set[str | None]] = {}  # each framework's partnerships
        for p, scheme in data.subject_objects(PK.subjectToFramework):
            self.covered.setdefault(_key(scheme), set()).add(_key(p))
        self.councils: dict[str | None, set[str | None]] = {}  # each framework's council, and its successors
        for scheme, publisher in data.subject_objects(DCTERMS.publisher):
            found = self.councils.setdefault(_key(scheme), {_key(publisher)})
            for change in data.subjects(ORG.originalOrganization, publisher):
                found.update(_key(o) for o in data.objects(change, ORG.resultingOrganization))

    def partnerships(self, focus: Node, scheme: Node | None) -> tuple[str, ...]:
        """The focus node's partnership; for the framework's own council, the partnerships in force
        that the framework covers; for another person or organisation, the partnerships it currently takes
        part in (or, failing those, the framework's). Remembered: the findings and the scorecard ask
        again for the same nodes (557,000 times for 120,000 findings at 10,000 partnerships)."""
        key = (_key(focus), _key(scheme))
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = tuple(sorted(p for p in self._partnerships(*key) if p is not None))
        return found

    def _partnerships(self, focus: str | None, scheme: str | None) -> set[str | None]:
        if scheme is not None and focus in self.councils.get(scheme, ()):
            return self.covered.get(scheme, set()) & self.current
        if focus in self.owner:
            found = {self.owner[focus]}
        else:
            found = set(self.by_member.get(focus, ()))
            if not found and scheme is not None:
                found = set(self.covered.get(scheme, ()))
        if scheme is not None:
            found &= self.covered.get(scheme, set())
        return found


def focus_nodes_for(data: Graph, partnership: URIRef) -> list[URIRef]:
    """Everything whose findings belong to one partnership: its own nodes, the people and
    organisations currently taking part, and the councils whose frameworks cover it."""
    owner = dict(data.subject_objects(PK.forPartnership))
    current = set(data.subjects(PK.isCurrent, Literal(True)))
    nodes = {n for n, p in owner.items() if p == partnership}
    nodes |= {m for s, m in data.subject_objects(ORG.member) if s in current and owner.get(s) == partnership}
    for scheme in data.objects(partnership, PK.subjectToFramework):
        for council in data.objects(scheme, DCTERMS.publisher):
            nodes.add(council)
            for change in data.subjects(ORG.originalOrganization, council):
                nodes |= set(data.objects(change, ORG.resultingOrganization))
    # pySHACL applies its focus-node filter to the value nodes nested shapes check as well (an
    # assessment under sh:qualifiedValueShape), and a filtered-out value node counts as conforming.
    # Adding every node one step away keeps those checks honest; findings for other partnerships
    # that this brings in are dropped by the caller.
    near = set()
    for node in nodes:
        near |= {o for o in data.objects(node, None) if isinstance(o, URIRef)}
        near |= {s for s in data.subjects(None, node) if isinstance(s, URIRef)}
    return sorted(n for n in nodes | near if isinstance(n, URIRef) and str(n).startswith(("http:", "https:", "urn:")))


class _CollectorPause:
    """Python's cyclic garbage collector held off while runs build their millions of short-lived
    objects (results, findings, quads), and let go again when the last run under way ends. Each full
    collection walks every live object, and at 10,000 partnerships they cost a run some 6 s; what a
    run leaves behind is almost all freed by reference counting anyway."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs = 0
        self.was_enabled = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self.lock:
            if self.runs == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.runs += 1
        try:
            yield
        finally:
            with self.lock:
                self.runs -= 1
                if self.runs == 0 and self.was_enabled:
                    gc.enable()


collector_paused = _CollectorPause()


def _one_compaction(run: Callable[..., Run]) -> Callable[..., Run]:
    """Around a run: the compactions its writes ask for wait for its end and run once then
    (EmbeddedStore.compaction_deferred; other stores have none)."""

    @functools.wraps(run)
    def compacting_once(store: Store, *args: object, **kwargs: object) -> Run:
        with getattr(store, "compaction_deferred", contextlib.nullcontext)():
            return run(store, *args, **kwargs)

    return compacting_once


@collector_paused()
@_one_compaction
def validate(
    store: Store,
    *,
    as_at: date | None = None,
    thresholds: Thresholds | None = None,
    partnership: str | None = None,
    framework: str | None = None,
    save: bool = True,
    engine: str = "sparql",
    let_go_later: bool = False,
) -> Run:
    """Validate the store's data as at a date (today by default) and, with save, keep the run.
    `engine` is "sparql" (the shapes run as SPARQL on Oxigraph, engine.py) or "pyshacl" (the
    reference); the first falls back to the second for shapes it does not cover. The garbage
    collector is held off while it runs (collector_paused). With `let_go_later`, the store the run
    worked on is left on the run for the caller to free (Run.let_go) rather than freed before the
    report's write, where it held Python's lock for 1.5-3 s at 10,000 partnerships."""
    started = datetime.now(UTC)
    as_at = as_at or started.date()
    thresholds = thresholds or Thresholds()
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    run_iri = ID["run/" + run_id]
    cut = working_copy_for(store, partnership) if partnership is not None else None
    if cut is not None:
        work, data_digest = cut, ""  # nothing cached is reused, so no digest of the whole data is needed
        work.extend(ox.Quad(t.subject, t.predicate, t.object) for t in entailed_triples(work))
    else:
        work, data_digest, version = working_copy(store)
    shapes = read_shapes(store)
    if not any(shapes.subjects(RDF.type, SH.NodeShape)):
        raise ValidationError(f"no shapes in the store nor in {SHAPES_DIR}")
    if partnership is not None and not work.query(f"ASK {{ <{partnership}> a <{PK.Partnership}> }}"):
        raise ValidationError(f"no partnership {partnership} in the store")
    # stored while the run goes on (an embedded store without them), and waited for before the run ends
    writing = entailed_for(store, work, data_digest, version, background=True) if cut is None else None
    try:
        work.extend(dated_values(work, as_at, thresholds, run_iri))
        view = GraphView(work)
        focus = focus_nodes_for(view, URIRef(partnership)) if partnership is not None else None  # type: ignore[arg-type]
        use_shapes = _framework_shapes(shapes, framework)
        from .report import render_message, scorecard  # report imports this module: imported here, not at the top

        # the checks' queries run while this thread reads the labels and who owns what, and makes the
        # findings of each check as its answer comes (at 10,000 partnerships, a full run 1-6 s sooner)
        with _checking(work, shapes, engine, focus, use_shapes) as (results, targets):
            view.labels = label_map(work)
            attribution = Attribution(view)  # type: ignore[arg-type]
            pairs = _findings(results, shapes, view, thresholds, render_message, attribution)  # type: ignore[arg-type]
        if partnership is not None:
            pairs = [(result, f) for result, f in pairs if partnership in f.partnerships]
        scope = "partnership " + partnership if partnership else "framework " + framework if framework else "all"
        shapes_said = shapes_digest(shapes)
        run = Run(
            str(run_iri),
            as_at,
            started,
            datetime.now(UTC),
            scope,
            [f for _, f in pairs],
            shapes_said,
            data_digest,
            _report_quads(pairs, shapes, ox.NamedNode(str(GRAPH["run/" + run_id]))),
            report_digest(pairs, shapes_said) if save else "",
        )

        # the scorecard first, then the report: made while the report was being written, in a thread of
        # its own, the scorecard (1.8 s alone at 10,000 partnerships) took 11-13 s, since the bulk writer
        # holds Python's lock for all but about 1% of its time, and the two took 18-20 s together
        run.scorecard = scorecard(run, view, shapes, targets, attribution)  # type: ignore[arg-type]
        if run.report_digest:
            said = run.report_digest.encode("ascii") + b"\n" + run.scorecard_json
            run.report_digest = hashlib.sha256(said).hexdigest()
        # the working store is let go of before the report is written, unless the caller will (Run.let_go):
        # kept through the write, it raised the peak at 10,000 partnerships by 180-240 MiB (to 3.2-3.3 GiB).
        # What Python made of it goes now either way: held, it is more for the collector to walk
        if let_go_later:
            run.working.append(work)
        del work, cut, view, attribution, pairs, results
        if writing is not None:
            writing.result()  # its failure is the run's
        if save:
            save_run(store, run)
    finally:
        if writing is not None:
            concurrent.futures.wait([writing])  # a run that fails leaves no write behind it
    return run


@contextlib.contextmanager
def _checking(
    work: ox.Store, shapes: Graph, engine: str, focus: list[URIRef] | None, use_shapes: list[Node] | None
) -> Iterator[tuple[Iterable[Result], dict[Node, list[Node]]]]:
    """Validate the working store with the chosen engine: the SHACL results, to be read within the
    block (the SPARQL engine's come check by check while the later checks run), and each target's nodes."""
    if engine not in ENGINES:
        raise ValidationError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "sparql":
        try:
            compiled = compiled_engine(shapes)
        except Unsupported as e:
            LOG.warning("the SPARQL engine does not cover these shapes (%s): validating with pySHACL", e)
        else:
            by_shape, targets = compiled.targets(work)
            chosen = set(use_shapes) if use_shapes is not None else None
            wanted = set(focus) if focus is not None else None
            by_shape = {
                shape: [n for n in nodes if wanted is None or n in wanted]
                for shape, nodes in by_shape.items()
                if chosen is None or shape in chosen
            }
            with compiled.checking(work, by_shape) as found:
                yield (result for results in found for result in results), targets
            return
    import pyshacl  # the reference engine, imported when it is used: 0.2 s of every CLI command's start

    merged = graph_from_triples(work.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    targeted, targets = resolve_sparql_targets(work, shapes)
    _, report, _ = pyshacl.validate(
        merged,
        shacl_graph=targeted,
        advanced=True,
        inference="none",
        allow_warnings=True,
        allow_infos=True,
        focus_nodes=focus,
        use_shapes=use_shapes,
    )
    yield results_of(report), targets


def results_of(report: Graph) -> list[Result]:
    """The results of a SHACL validation report graph (pySHACL's)."""
    out = []
    for top in report.subjects(RDF.type, SH.ValidationReport):
        for node in report.objects(top, SH.result):
            value = report.value
            out.append(
                Result(
                    focus=value(node, SH.focusNode),  # type: ignore[arg-type]
                    shape=value(node, SH.sourceShape),  # type: ignore[arg-type]
                    component=value(node, SH.sourceConstraintComponent),  # type: ignore[arg-type]
                    severity=value(node, SH.resultSeverity),  # type: ignore[arg-type]
                    path=value(node, SH.resultPath),
                    value=value(node, SH.value),
                    messages=list(report.objects(node, SH.resultMessage)),  # type: ignore[arg-type]
                    constraint=value(node, SH.sourceConstraint),
                    paths=report,
                )
            )
    return out


def resolve_sparql_targets(data: Graph | ox.Store, shapes: Graph) -> tuple[Graph, dict[Node, list[Node]]]:
    """Evaluate every SPARQL-based target (sh:SPARQLTarget's sh:select) on Oxigraph, once, and return
    the shapes with each such target replaced by the sh:targetNode list it selects, and the focus nodes
    of each target node.

    The nodes are the same ones pySHACL would select itself, but rdflib's SPARQL engine takes most of a
    run to find them (24 of 25 s at 100 synthetic partnerships), and the scorecard needs them again.
    """
    prologue = sparql_prefixes()
    if isinstance(data, ox.Store):
        store = data
    else:
        store = ox.Store()
        store.extend(ox.Quad(*(from_rdflib(t) for t in triple), ox.DefaultGraph()) for triple in data)  # type: ignore[misc]
    rewritten = Graph()
    rewritten += shapes
    for prefix, namespace in shapes.namespaces():
        rewritten.bind(prefix, namespace, override=True)
    found: dict[Node, list[Node]] = {}
    for shape, target in list(shapes.subject_objects(SH.target)):
        select = shapes.value(target, SH.select)
        if select is None:
            continue
        result = store.query(prologue + str(select))
        nodes = list(dict.fromkeys(to_rdflib(row[0]) for row in result if row[0] is not None))  # type: ignore[union-attr]
        found[target] = nodes
        rewritten.remove((shape, SH.target, target))
        for node in nodes:
            rewritten.add((shape, SH.targetNode, node))
    return rewritten, found


def _findings(
    results: Iterable[Result], shapes: Graph, data: Graph, thresholds: Thresholds, render, attribution: Attribution
) -> list[tuple[Result, Finding]]:
    """Each SHACL result as a Finding, paired with the result it came from, sorted by partnership."""
    labels = Labels(data)
    cited: dict[Node, _Cited] = {}  # what each shape's findings cite, worked out once per shape
    paths: dict[tuple[int, Node | None], str] = {}
    findings = []
    for result in results:
        shape, focus, value = result.shape, result.focus, result.value
        cites = cited.get(shape)
        if cites is None:
            cites = cited[shape] = _cites(shapes, shape, labels)
        where = result.paths if result.paths is not None else shapes
        if (id(where), result.path) not in paths:
            paths[(id(where), result.path)] = _path_text(where, result.path)
        partnerships = attribution.partnerships(focus, cites.scheme)
        raw = _message(result, cites.general)
        findings.append(
            (
                result,
                Finding(
                    **cites.fields,
                    severity=SEVERITIES.get(result.severity, "Violation"),
                    focus=str(focus),
                    focus_label=_focus_label(data, focus),
                    partnerships=partnerships,
                    partnership_labels=tuple(labels(URIRef(p)) for p in partnerships),
                    path=paths[(id(where), result.path)],
                    value="" if value is None or value == focus else str(value),
                    value_label="" if value is None or value == focus else labels(value),
                    message=render(raw, data, focus, value, thresholds),
                    shape=str(shape) if isinstance(shape, URIRef) else cites.iri,
                ),
            )
        )
    findings.sort(key=lambda pair: (pair[1].partnership_labels, pair[1].obligation, pair[1].focus, pair[1].value))
    return findings


@dataclass(frozen=True)
class _Cited:
    """What every finding of one shape cites: its obligation, document, clause and council (`fields`,
    the Finding's fields of those names)."""

    iri: str
    scheme: Node | None
    general: set[str]
    fields: dict[str, str]


def _cites(shapes: Graph, shape: Node, labels: Labels) -> _Cited:
    obligation = obligation_of(shapes, shape)
    scheme = labels.value(obligation, SKOS.inScheme) if obligation is not None else None
    return _Cited(
        iri=str(obligation or ""),
        scheme=scheme,
        general={str(m) for m in shapes.objects(shape, SH.message)},
        fields={
            "obligation": str(labels.value(obligation, SKOS.notation) or ""),
            "obligation_text": str(labels.value(obligation, SKOS.definition) or ""),
            "document": labels(scheme),
            "seed": str(labels.value(scheme, PK.sourceFile) or ""),
            "clause": str(labels.value(obligation, PK.clause) or ""),
            "council": labels(labels.value(scheme, DCTERMS.publisher)) if scheme is not None else "",
        },
    )


class Labels:
    """label() and single values of the vocabulary nodes, remembered for the length of a run."""

    def __init__(self, data: Graph) -> None:
        self.data = data
        self._labels: dict[Node | None, str] = {}
        self._values: dict[tuple[Node | None, Node], Node | None] = {}

    def __call__(self, node: Node | None) -> str:
        if node not in self._labels:
            self._labels[node] = label(self.data, node)
        return self._labels[node]

    def value(self, node: Node | None, predicate: Node) -> Node | None:
        if node is None:
            return None
        key = (node, predicate)
        if key not in self._values:
            self._values[key] = self.data.value(node, predicate)
        return self._values[key]


def _message(result: Result, general: set[str]) -> str:
    """The result's message. A SPARQL-based constraint's result carries its own message (with the
    row's values filled in) and, from pySHACL, its shape's too (`general`): the constraint's own is
    the one kept."""
    messages = sorted(str(m) for m in result.messages)
    specific = [m for m in messages if m not in general]
    return (specific or messages or sorted(general) or [""])[0]


def _focus_label(data: Graph, focus: Node) -> str:
    """What a person calls a focus node: a meeting by its body and date, an appointment by who, what
    and where. Remembered for the length of a run when the data is a GraphView."""
    cache = getattr(data, "cache", None)
    if cache is None:
        return _describe(data, focus)
    key = ("focus label", focus)
    if key not in cache:
        cache[key] = _describe(data, focus)
    return cache[key]


_A, _MEETING, _MEETING_OF, _MEETING_DATE = RDF.type, PK.Meeting, PK.meetingOf, PK.meetingDate
_APPOINTMENT, _MEMBER, _ROLE, _ORGANIZATION = PK.Appointment, ORG.member, ORG.role, ORG.organization


def _describe(data: Graph, focus: Node) -> str:
    if (focus, _A, _MEETING) in data:
        body = label(data, data.value(focus, _MEETING_OF))
        return f"{body} meeting, {data.value(focus, _MEETING_DATE)}"
    if (focus, _A, _APPOINTMENT) in data:
        person = label(data, data.value(focus, _MEMBER))
        role = label(data, data.value(focus, _ROLE))
        return f"{person}, {role}, {label(data, data.value(focus, _ORGANIZATION))}"
    return label(data, focus)


def _path_text(report: Graph, path: Node | None) -> str:
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return str(path)
    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return f"^{inverse}"
    items = []
    node = path
    while node is not None and node != RDF.nil:
        first = report.value(node, RDF.first)
        if first is None:
            break
        items.append(str(first))
        node = report.value(node, RDF.rest)
    return "/".join(items)


def _report_quads(pairs: list[tuple[Result, Finding]], shapes: Graph, graph: ox.NamedNode) -> list[ox.Quad]:
    """The SHACL validation report of the kept results, as quads of the run's report graph: each result
    with its readable message, obligation and partnership."""
    terms: dict[Node, object] = {}
    iris: dict[str, ox.NamedNode] = {}

    def term(node: Node) -> object:
        found = terms.get(node)
        if found is None:
            found = terms[node] = from_rdflib(node)
        return found

    def named(iri: str) -> ox.NamedNode:
        found = iris.get(iri)
        if found is None:
            found = iris[iri] = ox.NamedNode(iri)
        return found

    a, result_, focus_, shape_, component_, severity_, message_, value_, constraint_, path_, source_, partnership_ = (
        term(t)
        for t in (
            RDF.type,
            SH.result,
            SH.focusNode,
            SH.sourceShape,
            SH.sourceConstraintComponent,
            SH.resultSeverity,
            SH.resultMessage,
            SH.value,
            SH.sourceConstraint,
            SH.resultPath,
            DCTERMS.source,
            PK.forPartnership,
        )
    )
    top = ox.BlankNode()
    out = [
        ox.Quad(top, a, term(SH.ValidationReport), graph),  # type: ignore[arg-type]
        ox.Quad(top, term(SH.conforms), term(Literal(not any(f.severity == "Violation" for _, f in pairs))), graph),  # type: ignore[arg-type]
    ]
    validation_result = term(SH.ValidationResult)
    described: set[tuple[int, Node]] = set()  # the paths whose triples are in the report already
    quad: Callable[..., ox.Quad] = ox.Quad  # its terms are made by term() and named()
    for result, finding in pairs:
        node = ox.BlankNode()
        # each quad made at once: through a tuple and Quad(*t, graph) took a third longer (1 s at 10,000)
        out += (
            quad(top, result_, node, graph),
            quad(node, a, validation_result, graph),
            quad(node, focus_, term(result.focus), graph),
            quad(node, shape_, term(result.shape), graph),
            quad(node, component_, term(result.component), graph),
            quad(node, severity_, term(result.severity), graph),
            quad(node, message_, ox.Literal(finding.message, language="en"), graph),
        )
        if result.value is not None:
            out.append(quad(node, value_, term(result.value), graph))
        if result.constraint is not None:
            out.append(quad(node, constraint_, term(result.constraint), graph))
        if result.path is not None:
            out.append(quad(node, path_, term(result.path), graph))
            if isinstance(result.path, BNode):
                where = result.paths if result.paths is not None else shapes
                key = (id(where), result.path)
                if key not in described:  # once, however many results share the path (67,000 quads at 10,000)
                    described.add(key)
                    out += [quad(term(s), term(p), term(o), graph) for s, p, o in where.cbd(result.path)]
        if finding.obligation:
            out.append(quad(node, source_, named(str(OBLIGATION) + finding.obligation), graph))
        for p in finding.partnerships:
            out.append(quad(node, partnership_, named(p), graph))
    return out


def report_digest(pairs: list[tuple[Result, Finding]], shapes_digest: str) -> str:
    """SHA-256 of everything a run's report graph says (_report_quads) but the names of its own blank
    nodes, which are new in every run: each result's terms (with their kinds: an IRI, a blank node, a
    literal with its language or datatype), message, obligation and partnerships, in sorted order,
    after the digest of the shapes whose blank nodes the report names. At 10,000 partnerships 111,000
    results take about 0.4 s. Empty (nothing to share) when a result's path is described by its own
    results graph (pySHACL's), whose blank nodes are new in every run."""
    if any(r.paths is not None for r, _ in pairs):
        return ""
    keys: dict[object, str] = {}

    def key(term: Node | None) -> str:
        if term is None:
            return ""
        found = keys.get(term)
        if found is None:
            if isinstance(term, Literal):
                found = f'"{term}"@{term.language or ""}^^{term.datatype or ""}'
            else:
                found = ("_:" if isinstance(term, BNode) else "<") + str(term)
            keys[term] = found
        return found

    rows = sorted(
        "\x1f".join(
            (
                key(r.focus),
                key(r.shape),
                key(r.component),
                key(r.severity),
                key(r.value),
                key(r.constraint),
                key(r.path),
                f.message,
                f.obligation,
                "\x1e".join(f.partnerships),
            )
        )
        for r, f in pairs
    )
    hasher = hashlib.sha256(shapes_digest.encode("ascii"))
    for row in rows:
        hasher.update(row.encode("utf-8"))
        hasher.update(b"\n")
    return hasher.hexdigest()


def save_run(store: Store, run: Run) -> None:
    """Keep the run: its metadata (with its tally) in the runs graph, and its report with each
    partnership's row of the scorecard (pk:partnershipScorecard) in a named graph of its own, unless
    a kept run's report and scorecard say the same (the same report_digest: a nightly run on unchanged
    data finds what the last one found). Then the run names that run's report graph as its own
    (pk:reportGraph), its scorecard is the one in that graph, and only its metadata is written, a few
    small quads: at 10,000 partnerships a report is 1.15 million quads, and each one kept made every
    later compaction of the store some 2.5 s longer. The scorecard is kept row by row because whole
    it is a 60 MB literal at 10,000 partnerships: a partnership's page parsed all of it (0.5-0.7 s a
    view), and written again by a small write and left uncompacted it made the one-partnership runs of
    later processes over a thousand times slower (docs/performance.md)."""
    graph = GRAPH["run/" + run.id]
    runs = ox.NamedNode(str(RUNS_GRAPH))
    shared = _report_saying(store, run.report_digest) if run.report_digest else None
    if shared is not None:
        meta = _run_metadata(run, shared)
        store.write_graphs(list(quads_into(meta, runs)), [runs], append=True, derived=True)
        return
    into = ox.NamedNode(str(graph))
    store.write_graphs(
        # made in the run's graph (a second quad object each cost 5 s at 10,000); the run's own report
        # (Run.report, the CLI's ttl output) stays the SHACL report alone
        [*run.report_quads, *_scorecard_quads(run, into)],
        [into],
        annotations=quads_into(_run_metadata(run, graph), runs),
        derived=True,
    )


def _scorecard_quads(run: Run, graph: ox.NamedNode) -> list[ox.Quad]:
    """Each partnership's row of the scorecard (its label and each obligation's status) as JSON, in
    the run's report graph."""
    card, json_type = ox.NamedNode(str(PK.partnershipScorecard)), ox.NamedNode(str(RDF.JSON))
    return [
        ox.Quad(
            ox.NamedNode(key) if ":" in key else ox.BlankNode(key),  # a partnership without an IRI: its label
            card,
            ox.Literal(orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode(), datatype=json_type),
            graph,
        )
        for key, row in run.scorecard.items()
    ]


def _report_saying(store: Store, digest: str) -> URIRef | None:
    """The report graph of a kept run whose report has this digest, if it is still in the store."""
    rows = store.query(
        f"""SELECT DISTINCT ?g WHERE {{ GRAPH <{RUNS_GRAPH}> {{ ?run pk:reportDigest "{digest}" ; pk:reportGraph ?g }} }}"""
    )
    for row in rows:
        graph = row["g"]  # type: ignore[index]
        if store.has_graph(ox.NamedNode(graph.value)):
            return URIRef(graph.value)
    return None


def _run_metadata(run: Run, graph: URIRef) -> Graph:
    """What the runs graph says of a run."""
    meta = Graph()
    subject = URIRef(run.iri)
    counts = run.counts()
    for p, o in (
        (RDF.type, PK.ValidationRun),
        (RDF.type, PROV.Activity),
        (RDFS.label, Literal(f"Validation run {run.id}")),
        (PROV.startedAtTime, Literal(run.started.isoformat(timespec="milliseconds"), datatype=XSD.dateTime)),
        (PROV.endedAtTime, Literal(run.ended.isoformat(timespec="milliseconds"), datatype=XSD.dateTime)),
        (PK.asAt, Literal(run.as_at, datatype=XSD.date)),
        (PK.scope, Literal(run.scope)),
        (PK.shapesDigest, Literal(run.shapes_digest)),
        (PK.dataDigest, Literal(run.data_digest)),
        *([(PK.reportDigest, Literal(run.report_digest))] if run.report_digest else []),
        (PK.violationCount, Literal(counts["Violation"])),
        (PK.warningCount, Literal(counts["Warning"])),
        (PK.infoCount, Literal(counts["Info"])),
        (PK.reportGraph, graph),
        (
            PK.obligationTally,
            Literal(orjson.dumps(run.tally(), option=orjson.OPT_SORT_KEYS).decode(), datatype=RDF.JSON),
        ),
        (PROV.used, GRAPH["shapes"]),
    ):
        meta.add((subject, p, o))
    return meta


@dataclass(frozen=True)
class RunSummary:
    """A stored run, as `partnerkg runs` lists it."""

    id: str
    iri: str
    started: str
    as_at: str
    scope: str
    violations: int
    warnings: int
    infos: int
    report_graph: str
    """The named graph of the run's report: its own, or an earlier run's that says the same (save_run)."""


def stored_scorecard(store: Store, run: RunSummary, partnership: str | None = None) -> dict:
    """The scorecard a stored run kept in its report graph (its own, or the one it shares: runs with
    the same digest have the same scorecard), by partnership; with `partnership`, that row alone, read
    by itself. Empty if it kept none. Runs kept before the scorecard was stored row by row kept it
    whole, as the run's pk:scorecard: that is read instead."""
    if partnership is None:
        query = f"SELECT ?p ?card WHERE {{ GRAPH <{run.report_graph}> {{ ?p pk:partnershipScorecard ?card }} }}"
    else:
        query = f"SELECT ?p ?card WHERE {{ VALUES ?p {{ <{partnership}> }} GRAPH <{run.report_graph}> {{ ?p pk:partnershipScorecard ?card }} }}"
    card = {row["p"].value: orjson.loads(row["card"].value) for row in store.query(query)}  # type: ignore[index,union-attr]
    if card:
        return card
    rows = list(
        store.query(
            f"""SELECT ?card WHERE {{ GRAPH <{RUNS_GRAPH}> {{ ?run pk:reportGraph <{run.report_graph}> ; pk:scorecard ?card }} }}
            LIMIT 1"""
        )
    )
    whole = orjson.loads(rows[0]["card"].value) if rows else {}  # type: ignore[index]
    return whole if partnership is None else {k: v for k, v in whole.items() if k == partnership}


def stored_tally(store: Store, run: RunSummary) -> dict[str, dict[str, int]]:
    """For each obligation, how many partnerships had each status in a stored run's scorecard: kept with
    the run (pk:obligationTally), or counted from its scorecard for a run kept without it."""
    rows = list(
        store.query(f"SELECT ?t WHERE {{ GRAPH <{RUNS_GRAPH}> {{ <{run.iri}> pk:obligationTally ?t }} }} LIMIT 1")
    )
    if rows:
        return orjson.loads(rows[0]["t"].value)  # type: ignore[index]
    return tally(stored_scorecard(store, run))


def list_runs(store: Store) -> list[RunSummary]:
    """The stored runs, oldest first."""
    rows = store.query(
        f"""SELECT ?run ?started ?asAt ?scope ?v ?w ?i ?graph WHERE {{ GRAPH <{RUNS_GRAPH}> {{
            ?run a pk:ValidationRun ; prov:startedAtTime ?started ; pk:asAt ?asAt ; pk:scope ?scope ;
                 pk:violationCount ?v ; pk:warningCount ?w ; pk:infoCount ?i .
            OPTIONAL {{ ?run pk:reportGraph ?graph }} }} }} ORDER BY ?started ?run"""
    )
    return [
        RunSummary(
            r["run"].value.rsplit("/", 1)[-1],
            r["run"].value,
            r["started"].value,
            r["asAt"].value,
            r["scope"].value,
            int(r["v"].value),
            int(r["w"].value),
            int(r["i"].value),
            r["graph"].value if r["graph"] is not None else str(GRAPH["run/" + r["run"].value.rsplit("/", 1)[-1]]),
        )
        for r in rows
    ]


def find_run(store: Store, run_id: str) -> RunSummary | None:
    """The stored run with this id, if there is one."""
    return next((r for r in list_runs(store) if r.id == run_id), None)


@dataclass(frozen=True)
class Pruned:
    """What prune_runs forgot: the runs, oldest first, and the report graphs no kept run uses."""

    runs: list[RunSummary]
    graphs: list[str]


def prune_runs(store: Store, keep_last: int, *, dry_run: bool = False) -> Pruned:
    """Forget all but the `keep_last` latest stored runs and the latest run over all partnerships (the
    one the web pages show, kept even when one-partnership runs came after it): their records in the
    runs graph, and the report graphs (with their scorecard rows) that no kept run shares. A kept
    run's report stays whole, even when an older run wrote it. All or nothing (Store.drop_graphs);
    with `dry_run`, only say what would go. Each run whose findings changed keeps a report of its
    own: at 10,000 partnerships over a million quads, which make every later compaction of an
    embedded store longer."""
    if keep_last < 1:
        raise ValidationError(f"keep at least the latest run: --keep-last is {keep_last}, and must be 1 or more")
    runs = list_runs(store)
    whole = [r.id for r in runs if r.scope == "all"][-1:]
    kept = [r for i, r in enumerate(runs) if i >= len(runs) - keep_last or r.id in whole]
    gone = [r for r in runs if r not in kept]
    used = {r.report_graph for r in kept}
    graphs = sorted({r.report_graph for r in gone} - used)
    if gone and not dry_run:
        runs_graph = ox.NamedNode(str(RUNS_GRAPH))
        store.drop_graphs([ox.NamedNode(g) for g in graphs], forget=[(runs_graph, ox.NamedNode(r.iri)) for r in gone])
    return Pruned(gone, graphs)


def stored_findings(store: Store, run_id: str) -> dict[tuple[str, str, str, str], dict[str, str]]:
    """A stored run's findings by key, from its report graph."""
    run = find_run(store, run_id)
    if run is None:
        raise ValidationError(f"no run {run_id!r} (see `partnerkg runs`)")
    graph = run.report_graph
    rows = store.query(
        f"""SELECT ?focus ?obligation ?severity ?message ?value ?path WHERE {{ GRAPH <{graph}> {{
            ?r a sh:ValidationResult ; sh:focusNode ?focus ; sh:resultSeverity ?severity ; sh:resultMessage ?message .
            OPTIONAL {{ ?r dcterms:source ?obligation }}
            OPTIONAL {{ ?r sh:value ?value }}
            OPTIONAL {{ ?r sh:resultPath ?path . FILTER (isIRI(?path)) }} }} }}"""
    )
    out = {}
    for r in rows:
        focus = r["focus"].value
        value = r["value"].value if r["value"] is not None and r["value"].value != focus else ""
        obligation = _local(r, "obligation").removeprefix(str(OBLIGATION))
        out[(obligation, focus, r["path"].value if r["path"] is not None else "", value)] = {
            "severity": r["severity"].value.rsplit("#", 1)[-1],
            "message": r["message"].value,
        }
    return out


def _local(row: object, name: str) -> str:
    return row[name].value if row[name] is not None else ""  # type: ignore[index]


def diff_runs(
    store: Store, first: str, second: str
) -> dict[str, list[tuple[tuple[str, str, str, str], dict[str, str]]]]:
    """Findings new in the second run, resolved since the first, and unchanged."""
    a, b = stored_findings(store, first), stored_findings(store, second)
    return {
        "new": sorted((k, v) for k, v in b.items() if k not in a),
        "resolved": sorted((k, v) for k, v in a.items() if k not in b),
        "unchanged": sorted((k, v) for k, v in b.items() if k in a),
    }
