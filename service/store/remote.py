"""A remote store: any SPARQL 1.1 server, spoken to only through the standard protocols.

Queries and updates go through SPARQLWrapper (SPARQL 1.1 Query and Update); graphs are read and
written with the Graph Store HTTP Protocol over plain HTTP, which SPARQLWrapper does not speak.
Everything that differs between servers (endpoint paths, authentication, whether the default graph
is already the union of everything, system graphs to hide, whether `PUT ?default` is allowed) is in
`Dialect`, one place; docs/deployment.md has a worked configuration for each.

A replacement is staged: each target's new content is PUT into a staging graph, then one SPARQL
Update request moves every staging graph onto its target and rewrites the annotations. Servers run
one update request as one transaction (Oxigraph does; Virtuoso runs it as one statement batch), so
readers see the old graphs or the new ones. A failure while staging leaves the targets untouched.

Bulk loads stream in batches into a staging graph named after the file's digest, and a journal file
beside the working directory records the batches done, so a load that failed part-way resumes after
its last good batch, never sending a batch twice. Blank nodes are replaced by Skolem IRIs derived
from the file's digest so that a blank node split across two batches stays one node.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pyoxigraph import (
    BlankNode,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
    serialize,
)

from ..namespaces import PREFIXES
from ..sparqltext import bind_values
from .base import GraphInfo, StoreError

STAGING = "urn:x-partnerkg:staging:"
EMPTY = "urn:x-partnerkg:empty"
"""A graph nothing is ever written to: the default graph of a query that must see nothing there."""

_FORM = re.compile(r"^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)
_COMMENTS = re.compile(r"^\s*#.*$", re.M)


@dataclass(frozen=True)
class Dialect:
    """How one kind of server is reached, and where it departs from the plain protocols."""

    name: str
    query: str  # endpoint paths, relative to the store's base URL
    update: str
    gsp: str
    default_is_union: bool = False  # the server's default graph is already the union of every graph: used as
    # is for union queries (Virtuoso evaluates transitive paths wrongly over a list of default graphs)
    system_graphs: tuple[str, ...] = ()  # graph IRI prefixes of the server's own, never ours
    put_default: bool = True  # the Graph Store accepts PUT ?default
    auth: str = "basic"  # basic or digest, when credentials are given
    boolean_digits: bool = False  # writes stored xsd:boolean values as "0" / "1" (valid, not canonical)


DIALECTS = {
    "oxigraph": Dialect("oxigraph", "/query", "/update", "/store"),
    "fuseki": Dialect("fuseki", "/query", "/update", "/data"),
    "graphdb": Dialect("graphdb", "", "/statements", "/rdf-graphs/service"),
    "virtuoso": Dialect(
        "virtuoso",
        "/sparql",
        "/sparql-auth",
        "/sparql-graph-crud-auth",
        default_is_union=True,
        system_graphs=(
            "http://www.openlinksw.com/",
            "http://www.w3.org/ns/ldp",
            "http://www.w3.org/2002/07/owl",
            "urn:activitystreams-owl:map",
            "urn:core:services:sparql",
            "http://localhost:8890/",
            "http://localhost:8890/DAV/",
            "virtrdf-label",
        ),
        put_default=False,
        auth="digest",
        boolean_digits=True,
    ),
}


class TripleList(list):
    """CONSTRUCT or DESCRIBE triples from a remote store (what QueryTriples is for the embedded one)."""


class RemoteStore:
    """partnerkg's store interface over a SPARQL 1.1 server."""

    def __init__(
        self,
        location: str,
        *,
        dialect: str = "oxigraph",
        query_url: str = "",
        update_url: str = "",
        gsp_url: str = "",
        user: str = "",
        password: str = "",
        timeout: float = 60.0,
        batch: int = 50_000,
        work: Path | None = None,
    ) -> None:
        if dialect not in DIALECTS:
            raise StoreError(f"unknown store dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
        self.dialect = DIALECTS[dialect]
        base = location.rstrip("/")
        self.location = location
        self.query_url = query_url or base + self.dialect.query
        self.update_url = update_url or base + self.dialect.update
        self.gsp_url = gsp_url or base + self.dialect.gsp
        self.timeout = timeout
        self.batch = batch
        self.work = work or Path.home() / ".cache" / "partnerkg"
        handlers: list[urllib.request.BaseHandler] = []
        if user:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in (self.query_url, self.update_url, self.gsp_url):
                passwords.add_password(None, url, user, password)
            handler = (
                urllib.request.HTTPDigestAuthHandler
                if self.dialect.auth == "digest"
                else urllib.request.HTTPBasicAuthHandler
            )
            handlers.append(handler(passwords))
        self._opener = urllib.request.build_opener(*handlers)
        self._user, self._password = user, password

    # ------------------------------------------------------------------ HTTP
    def _request(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            if exc.code == 400:
                raise SyntaxError(detail or "the store refused the request as malformed") from None
            raise StoreError(f"{method} {url.split('?')[0]}: HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise StoreError(f"{method} {url.split('?')[0]}: {exc}") from None

    @staticmethod
    def _with_prefixes(sparql: str) -> str:
        declared = {m.lower() for m in re.findall(r"PREFIX\s+(\w*):", sparql, re.I)}
        lines = [f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items() if name.lower() not in declared]
        return "\n".join(lines) + "\n" + sparql

    # ------------------------------------------------------------------ query and update
    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = False,
        default_graph: list | None = None,
        named_graphs: list | None = None,
        substitutions: dict | None = None,
    ) -> object:
        """Run a query on the server; the same result types as the embedded store."""
        if substitutions:
            sparql = bind_values(sparql, {variable.value: term for variable, term in substitutions.items()})
        text = self._with_prefixes(sparql)
        form = _FORM.match(_COMMENTS.sub("", text))
        kind = form.group(1).upper() if form else "SELECT"
        params: list[tuple[str, str]] = [("query", text)]
        names_dataset = bool(re.search(r"\bFROM\b", sparql, re.I))
        if default_graph is not None:
            named = [g.value for g in default_graph if isinstance(g, NamedNode)]
            if not named and (self.dialect.default_is_union or len(default_graph) == 0):
                named = [EMPTY]  # the server's own default graph is not ours to read, or none was asked for
            params += [("default-graph-uri", g) for g in named]
        elif union_default_graph and self.dialect.default_is_union:
            # the server's own dataset: its default graph is the union (Virtuoso's holds its system graphs
            # too); naming graphs instead would empty the default graph or trip its path evaluation. Named
            # graphs asked for beside the union are not kept: the protocol cannot say "the server's default
            # graph, and these named graphs", so GRAPH ?g ranges over every graph there
            named_graphs = ()
        elif union_default_graph:
            params += [("default-graph-uri", g) for g in self.graph_names() or [EMPTY]]
        elif self.dialect.default_is_union and not names_dataset:
            params.append(("default-graph-uri", EMPTY))  # partnerkg never writes the default graph
        if named_graphs is None and self.dialect.system_graphs and not names_dataset:
            named_graphs = [NamedNode(g) for g in self.graph_names()]  # hide the server's system graphs
        if named_graphs:
            params += [("named-graph-uri", g.value) for g in named_graphs]
        elif named_graphs is not None and named_graphs != ():
            params.append(("named-graph-uri", EMPTY))  # an empty list: no named graphs at all
        accept = "application/n-triples" if kind in ("CONSTRUCT", "DESCRIBE") else "application/sparql-results+json"
        body = self._request(
            "POST",
            self.query_url,
            urllib.parse.urlencode(params).encode("utf-8"),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )
        if kind in ("CONSTRUCT", "DESCRIBE"):
            if self.dialect.boolean_digits:
                body = _BOOLEAN_NT.sub(
                    lambda m: f'"{"true" if m.group(1) == "1" else "false"}"^^<{XSD_BOOLEAN}>', body.decode("utf-8")
                ).encode("utf-8")
            return TripleList(parse(body, RdfFormat.N_TRIPLES))
        if self.dialect.boolean_digits:
            body = _canonical_booleans(body)
        return parse_query_results(body, QueryResultsFormat.JSON)

    def update(self, sparql: str) -> None:
        """Run an update request on the server."""
        body = urllib.parse.urlencode({"update": self._with_prefixes(sparql)}).encode("utf-8")
        self._request("POST", self.update_url, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def _system(self, graph: str) -> bool:
        return graph.startswith(self.dialect.system_graphs) or graph.startswith(STAGING) or graph == EMPTY

    # ------------------------------------------------------------------ graphs
    def graph_names(self) -> list[str]:
        """Every named graph of ours on the server (asked without a dataset, so the server's own list)."""
        body = self._request(
            "POST",
            self.query_url,
            urllib.parse.urlencode({"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
        )
        rows = parse_query_results(body, QueryResultsFormat.JSON)
        return sorted(r["g"].value for r in rows if not self._system(r["g"].value))  # type: ignore[union-attr]

    def graph_quads(self, graph: str) -> Iterator[Quad]:
        """The quads of one named graph."""
        name = NamedNode(graph)
        for triple in self._graph_triples(graph):
            yield Quad(triple.subject, triple.predicate, triple.object, name)

    def _graph_triples(self, graph: str) -> list[Triple]:
        url = self.gsp_url + "?" + urllib.parse.urlencode({"graph": graph})
        try:
            body = self._request("GET", url, headers={"Accept": "application/n-triples"})
        except StoreError as exc:
            if "HTTP 404" in str(exc):
                return []
            raise
        return list(parse(body, RdfFormat.N_TRIPLES))

    def graphs(self) -> list[GraphInfo]:
        """Every named graph of ours with its triple count."""
        ours = self.graph_names()
        if not ours:
            return []
        rows = self.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
            default_graph=[NamedNode(EMPTY)],
            named_graphs=[NamedNode(g) for g in ours],
        )
        return [GraphInfo(r["g"].value, int(r["n"].value)) for r in rows if not self._system(r["g"].value)]  # type: ignore[attr-defined]

    def quad_count(self) -> int:
        """Quads in our named graphs, plus the default graph where the server keeps one of its own."""
        total = sum(g.triples for g in self.graphs())
        if not self.dialect.default_is_union:
            rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            total += int(next(iter(rows))["n"].value)  # type: ignore[call-overload]
        return total

    def default_graph_is_empty(self) -> bool:
        """True when the server's own default graph holds nothing (always, where it is a union)."""
        if self.dialect.default_is_union:
            return True
        return not bool(self.query("ASK { ?s ?p ?o }"))

    def is_empty(self) -> bool:
        """True when the store holds nothing of ours."""
        return self.default_graph_is_empty() and not self.graph_names()

    def has_graph(self, graph: NamedNode) -> bool:
        """True when the named graph holds at least one triple."""
        return bool(self.query(f"ASK {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}", named_graphs=[graph]))

    # ------------------------------------------------------------------ writes
    def _put(self, graph: str, triples: Iterable[Triple], *, method: str = "PUT") -> None:
        buffer = io.BytesIO()
        serialize(list(triples), buffer, RdfFormat.N_TRIPLES)
        url = self.gsp_url + "?" + urllib.parse.urlencode({"graph": graph})
        self._request(method, url, buffer.getvalue(), {"Content-Type": "application/n-triples"})

    def write_graphs(
        self,
        quads: Iterable[Quad],
        targets: Iterable[NamedNode],
        *,
        append: bool = False,
        annotations: Iterable[Quad] = (),
        derived: bool = False,
    ) -> None:
        """Replace (or add to) the target graphs: stage each one, then move them all in one update."""
        by_graph: dict[str, list[Triple]] = {t.value: [] for t in targets}
        for quad in quads:
            if not isinstance(quad.graph_name, NamedNode):
                raise StoreError("every written quad must name its graph; loads never write the default graph")
            by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
        token = hashlib.sha256(json.dumps(sorted(by_graph)).encode()).hexdigest()[:16]
        staged = {name: f"{STAGING}{token}:{i}" for i, name in enumerate(sorted(by_graph))}
        try:
            for name, triples in by_graph.items():
                if triples:
                    self._put(staged[name], triples)
            notes = list(annotations)
            operations = []
            for name in sorted(by_graph):
                has_content = bool(by_graph[name])
                if append:
                    if has_content:
                        operations.append(f"ADD SILENT <{staged[name]}> TO <{name}>")
                elif has_content:
                    operations.append(f"MOVE SILENT <{staged[name]}> TO <{name}>")
                else:
                    operations.append(f"DROP SILENT GRAPH <{name}>")
            if notes:
                where = sorted({q.graph_name.value for q in notes})  # type: ignore[union-attr]
                if not append:
                    for graph in where:
                        for name in sorted(by_graph):
                            operations.append(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{name}> ?p ?o }} }}")
                data = " ".join(
                    f"GRAPH <{q.graph_name.value}> {{ {q.subject} {q.predicate} {q.object} }}"  # type: ignore[union-attr]
                    for q in notes
                )
                operations.append(f"INSERT DATA {{ {data} }}")
            if operations:
                self.update(" ;\n".join(operations))
        finally:
            for name in staged.values():
                try:
                    self.update(f"DROP SILENT GRAPH <{name}>")
                except StoreError:
                    pass

    def drop_graphs(self, graphs: Iterable[NamedNode], *, forget: Iterable[tuple[NamedNode, NamedNode]] = ()) -> None:
        """Drop whole graphs and forget what a graph says of some subjects, in one update request."""
        steps = [f"DELETE WHERE {{ GRAPH <{graph.value}> {{ <{subject.value}> ?p ?o }} }}" for graph, subject in forget]
        steps += [f"DROP SILENT GRAPH <{g.value}>" for g in dict.fromkeys(graphs)]
        if steps:
            self.update(" ;\n".join(steps))

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
        """Send a triple file into a new graph in batches; resumable after a failed batch. The file is
        parsed through once before anything is sent: one that does not parse sends nothing. `derived`
        triples (entailments), with the `labelled` quads, are sent whole and moved into place with
        their annotations in one update (write_graphs): the server labels blank nodes as it does for
        any write."""
        data = source if isinstance(source, bytes) else source.read()
        if derived:
            quads = [Quad(t.subject, t.predicate, t.object, graph) for t in parse(data, fmt, base_iri=base_iri)]
            quads += labelled
            self.write_graphs(quads, [graph], annotations=annotations(), derived=True)
            return len(quads)
        for _ in parse(data, fmt, base_iri=base_iri):
            pass
        digest = hashlib.sha256(data).hexdigest()
        staging = f"{STAGING}load:{digest[:32]}"
        journal = self.work / f"load-{digest[:32]}.json"
        done = json.loads(journal.read_text()).get("batches", 0) if journal.exists() else 0
        self.work.mkdir(parents=True, exist_ok=True)
        skolem = f"urn:x-partnerkg:bnode:{digest[:16]}:"
        count, number, batch = 0, 0, []
        for triple in parse(data, fmt, base_iri=base_iri):
            batch.append(_skolemise(triple, skolem))
            count += 1
            if len(batch) >= self.batch:
                number = self._send_batch(staging, batch, number, done, journal)
                if progress is not None:
                    progress(len(batch))
                batch = []
        if batch:
            self._send_batch(staging, batch, number, done, journal)
            if progress is not None:
                progress(len(batch))
        self.update(f"DROP SILENT GRAPH <{graph.value}> ; MOVE SILENT <{staging}> TO <{graph.value}>")
        journal.unlink(missing_ok=True)
        if notes := list(annotations()):
            self.write_graphs([], [], append=True, annotations=notes)
        return count

    def _send_batch(self, staging: str, batch: list[Triple], number: int, done: int, journal: Path) -> int:
        if number >= done:  # batches before `done` reached the server before a failure: not again
            self._put(staging, batch, method="POST")
            journal.write_text(json.dumps({"batches": number + 1}))
        return number + 1

    def dump(self, output: IO[bytes], fmt: RdfFormat, graph: NamedNode | None = None) -> None:
        """Serialise one graph, or every graph of ours for a quad format."""
        if graph is not None:
            serialize(
                self._graph_triples(graph.value), output, fmt, prefixes=PREFIXES if fmt == RdfFormat.TURTLE else None
            )
            return
        if not fmt.supports_datasets:
            raise StoreError(f"{fmt.name} holds one graph only: name it with --graph, or use nquads or trig")
        quads = [q for name in self.graph_names() for q in self.graph_quads(name)]
        serialize(quads, output, fmt, prefixes=PREFIXES if fmt == RdfFormat.TRIG else None)

    def close(self) -> None:
        """Nothing to release: every request is its own connection."""


XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEAN_NT = re.compile(r'"([01])"\^\^<' + re.escape(XSD_BOOLEAN) + ">")


def _canonical_booleans(body: bytes) -> bytes:
    """SPARQL JSON results with xsd:boolean values in their canonical form (true / false)."""
    document = json.loads(body)
    for row in document.get("results", {}).get("bindings", []):
        for value in row.values():
            if value.get("datatype") == XSD_BOOLEAN and value.get("value") in ("0", "1"):
                value["value"] = "true" if value["value"] == "1" else "false"
    return json.dumps(document).encode("utf-8")


def _skolemise(triple: Triple, prefix: str) -> Triple:
    def term(value):
        return NamedNode(prefix + value.value) if isinstance(value, BlankNode) else value

    return Triple(term(triple.subject), triple.predicate, term(triple.object))
