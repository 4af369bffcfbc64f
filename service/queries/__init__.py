"""Running SPARQL: one function, `run_query`, that every caller goes through. It refuses SERVICE
calls to endpoints off the allowlist, applies the timeout and the row cap, and logs the query's
name, rows and milliseconds. Oxigraph never fetches FROM / FROM NAMED graphs: they name graphs of
the store only."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pyoxigraph import DefaultGraph, NamedNode, QueryBoolean, QuerySolutions, QueryTriples

from ..namespaces import PREFIXES
from ..sparqltext import per_text
from ..store import Store

log = logging.getLogger("partnerkg.query")

_SERVICE = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?(<[^>]*>|\S+)", re.IGNORECASE)
_FROM = re.compile(r"\bFROM\s+(?:NAMED\s+)?<", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*#.*$|(?<=\s)#[^\n>]*$", re.MULTILINE)


@per_text
def _uncommented(query: str) -> str:
    """A query's text without its comments."""
    return _COMMENT.sub("", query)


class QueryError(Exception):
    """A query that cannot be answered; `status` is the HTTP status that says why."""

    status = 400


class QueryRefused(QueryError):
    """The query asks for something not allowed here (a SERVICE endpoint off the allowlist)."""

    status = 403


class QueryTimeout(QueryError):
    """The query ran past the time limit."""

    status = 503


class QueryTooLarge(QueryError):
    """The result has more rows than the cap."""

    status = 413


@dataclass
class QueryResult:
    """A finished query: a boolean, solutions (variables and rows) or triples."""

    kind: str  # "boolean", "solutions" or "triples"
    boolean: bool = False
    variables: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    triples: list = field(default_factory=list)


@per_text
def service_endpoints(query: str) -> tuple[str, ...]:
    """The SERVICE targets a query names, as written (an IRI in angle brackets, or anything else)."""
    return tuple(m.group(1) for m in _SERVICE.finditer(_uncommented(query)))


@per_text
def _names_dataset(query: str) -> bool:
    """Whether a query names its dataset (FROM / FROM NAMED)."""
    return bool(_FROM.search(_uncommented(query)))


_DATASET = re.compile(r"\bFROM\s+(NAMED\s+)?<([^>]*)>", re.IGNORECASE)


def dataset_of(query: str) -> tuple[list[str], list[str]]:
    """The graphs a query's FROM and FROM NAMED clauses name (default graphs, named graphs)."""
    default, named = [], []
    for match in _DATASET.finditer(_uncommented(query)):
        (named if match.group(1) else default).append(match.group(2))
    return default, named


_IRI_REF = re.compile(r"<([^<>\"{}|^`\\\s]*)>")
_PREFIX_DECL = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.IGNORECASE)
_PNAME = re.compile(r"(?<![\w:<?$])([A-Za-z][\w.-]*)?:([\w-](?:[\w.-]*[\w-])?)")


def named_iris(query: str, prefixes: dict[str, str] | None = None) -> set[str]:
    """Every IRI a query spells out: in angle brackets, or as a prefixed name of its own prologue or of
    `prefixes`. Generous by design (a name in a string counts too): it says which graphs a query names."""
    text = _uncommented(query)
    spaces = dict(prefixes or {})
    spaces.update((m.group(1) or "", m.group(2)) for m in _PREFIX_DECL.finditer(text))
    found = {m.group(1) for m in _IRI_REF.finditer(text)}
    for m in _PNAME.finditer(_IRI_REF.sub(" ", text)):
        if (m.group(1) or "") in spaces:
            found.add(spaces[m.group(1) or ""] + m.group(2))
    return found


def check_services(query: str, allowlist: tuple[str, ...]) -> None:
    """Refuse SERVICE to any endpoint that is not an IRI on the allowlist."""
    for target in service_endpoints(query):
        iri = target[1:-1] if target.startswith("<") and target.endswith(">") else None
        if iri is None or iri not in allowlist:
            raise QueryRefused(
                f"SERVICE {target} is not allowed: federated queries may only call allow-listed endpoints"
            )


def run_query(
    store: Store,
    query: str,
    *,
    timeout: float = 30.0,
    row_cap: int = 100_000,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    union_default_graph: bool = False,
    service_allowlist: tuple[str, ...] = (),
    name: str = "ad hoc",
    substitutions: dict | None = None,
    hidden: Callable[[str], bool] | None = None,
    unlisted: Callable[[str], bool] | None = None,
) -> QueryResult:
    """Evaluate a query with a deadline and a row cap; raise QueryError subclasses, or SyntaxError.

    `hidden` names graphs the query must not see (internal graphs, on public endpoints): the dataset
    is then spelled out, graph by graph, without them, whatever the request or the query's FROM asks.
    `unlisted` names graphs that, while the union of the graphs is the default graph, are not also
    named graphs of the dataset unless the query names them (`GRAPH <iri>`, a FILTER on the name, ...):
    the register's own graphs, so that `GRAPH ?g` ranges over the graphs clients wrote themselves.
    """
    check_services(query, service_allowlist)
    # a query that names its dataset (FROM / FROM NAMED) gets exactly that, not the union
    names_dataset = _names_dataset(query)
    union_default_graph = union_default_graph and not names_dataset
    every: list[str] | None = None
    if union_default_graph and unlisted is not None and default_graphs is None and named_graphs is None:
        every = store.graph_names()
        named = named_iris(query, PREFIXES)
        named_graphs = [g for g in every if not unlisted(g) or g in named]
    if hidden is not None:
        every = store.graph_names() if every is None else every
        if any(hidden(g) for g in every):
            if default_graphs is None and named_graphs is None and names_dataset:
                default_graphs, named_graphs = dataset_of(query)
            public = [g for g in every if not hidden(g)]
            if default_graphs is None:
                default_graphs = public if union_default_graph else [""]
            if named_graphs is None:
                named_graphs = public
            default_graphs = [g for g in default_graphs if not hidden(g)]
            named_graphs = [g for g in named_graphs if not hidden(g)]
    started = time.monotonic()
    deadline = started + timeout
    outcome: dict[str, object] = {}
    cancelled = threading.Event()

    def evaluate() -> None:
        try:
            outcome["result"] = _evaluate(
                store,
                query,
                default_graphs,
                named_graphs,
                union_default_graph,
                row_cap,
                deadline,
                cancelled,
                substitutions,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread as it is
            # pyoxigraph's result iterators must be dropped on the thread that made them: cut the
            # traceback, whose frames still hold one, before the exception crosses threads
            outcome["error"] = exc.with_traceback(None)

    if not _WORKERS.run(evaluate).wait(timeout):
        cancelled.set()  # the worker stops at its next solution; a blocking aggregate runs on unseen
        log.warning("query %s timed out after %.1f s", name, timeout)
        raise QueryTimeout(f"the query ran for more than {timeout:g} s and was stopped")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    result: QueryResult = outcome["result"]  # type: ignore[assignment]
    size = len(result.rows) if result.kind == "solutions" else len(result.triples) if result.kind == "triples" else 1
    log.info("query %s: %d rows in %.0f ms", name, size, (time.monotonic() - started) * 1000)
    return result


class _Workers:
    """The threads queries run in. A query in a thread of its own can be left to run on past its
    deadline while the caller answers. Starting a thread for each query cost about 0.35 ms (more than
    half of a 0.6 ms lookup): Oxigraph sets itself up in each new thread. So a thread that finished its
    query waits for the next one; a query that finds none idle gets a new thread, and one stopped late
    never holds another up. At most `keep` threads wait idle."""

    def __init__(self, keep: int = 16) -> None:
        self._idle: list[queue.SimpleQueue] = []
        self._lock = threading.Lock()
        self._keep = keep

    def run(self, work: Callable[[], None]) -> threading.Event:
        """Start `work` in an idle thread, or a new one; the event is set when it has finished."""
        done = threading.Event()
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name="query worker", daemon=True).start()
        inbox.put((work, done))
        return done

    def _serve(self, inbox: queue.SimpleQueue) -> None:
        while True:
            work, done = inbox.get()
            try:
                work()
            finally:
                # idle again before the caller hears: its next query finds this thread waiting
                with self._lock:
                    stay = len(self._idle) < self._keep
                    if stay:
                        self._idle.append(inbox)
                done.set()
            if not stay:
                return


_WORKERS = _Workers()


def _evaluate(store, query, default_graphs, named_graphs, union, row_cap, deadline, cancelled, substitutions=None):
    kwargs: dict[str, object] = {}
    if substitutions:
        kwargs["substitutions"] = substitutions
    if default_graphs is not None:
        kwargs["default_graph"] = [DefaultGraph() if g == "" else NamedNode(g) for g in default_graphs]
    if named_graphs is not None:
        kwargs["named_graphs"] = [NamedNode(g) for g in named_graphs]
    raw = store.query(query, union_default_graph=union and default_graphs is None, **kwargs)
    try:
        return _collect(raw, row_cap, deadline, cancelled)
    finally:
        del raw


def _collect(raw, row_cap, deadline, cancelled) -> QueryResult:
    if isinstance(raw, QueryBoolean):
        return QueryResult("boolean", boolean=bool(raw))
    if isinstance(raw, QuerySolutions):
        variables = [v.value for v in raw.variables]
        rows = []
        for solution in raw:
            rows.append(tuple(solution[i] for i in range(len(variables))))
            _check(len(rows), row_cap, deadline, cancelled)
        return QueryResult("solutions", variables=variables, rows=rows)
    if isinstance(raw, (QueryTriples, list)):  # a remote store's CONSTRUCT is a list of triples
        triples = []
        for triple in raw:
            triples.append(triple)
            _check(len(triples), row_cap, deadline, cancelled)
        return QueryResult("triples", triples=triples)
    raise QueryError(f"unexpected result {type(raw).__name__}")


def _check(count: int, row_cap: int, deadline: float, cancelled: threading.Event) -> None:
    if count > row_cap:
        raise QueryTooLarge(f"the result has more than {row_cap} rows; narrow the query or page it with LIMIT/OFFSET")
    if cancelled.is_set() or time.monotonic() > deadline:
        raise QueryTimeout("the query ran past its time limit and was stopped")
