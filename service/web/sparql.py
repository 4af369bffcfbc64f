"""SPARQL 1.1 Protocol at /sparql, SPARQL 1.1 Update at /update and the Graph Store HTTP Protocol at
/data. Reads are open; writes need a bearer token (service.auth)."""

from __future__ import annotations

import pyoxigraph
from flask import Blueprint, Response, current_app, request

from ..auth import TokenStore
from ..namespaces import GRAPH, PREFIXES
from ..queries import QueryError, QueryResult, run_query
from ..queries.results import GRAPH_TYPES, SOLUTION_TYPES, SOLUTION_WRITERS, graph_bytes
from . import get_store

bp = Blueprint("sparql", __name__)

RDF_UPLOADS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
}
ALIASES = {"application/json": "json", "text/xml": "xml", "application/xml": "xml", "application/x-turtle": "turtle"}
SD = "http://www.w3.org/ns/sparql-service-description#"


def _settings():
    return current_app.config["PARTNERKG"]


def _error(status: int, message: str, **headers: str) -> Response:
    response = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    for key, value in headers.items():
        response.headers[key.replace("_", "-")] = value
    return response


def _choose(kind: str) -> tuple[str, str] | Response:
    """(format name, media type) for a result kind, from ?format= or Accept; a 406 response if none fits."""
    offered = (
        {name: mime for name, mime in SOLUTION_TYPES.items()}
        if kind != "triples"
        else {name: mime for name, (mime, _) in GRAPH_TYPES.items()}
    )
    wanted = request.values.get("format")
    if wanted:
        wanted = ALIASES.get(wanted, wanted)
        for name, mime in offered.items():
            if wanted in (name, mime):
                return name, mime
        return _error(406, f"format {wanted!r} is not offered for this result; use one of {', '.join(offered)}")
    if not request.headers.get("Accept"):
        name = next(iter(offered))
        return name, offered[name]
    candidates = list(offered.values()) + [m for m, n in ALIASES.items() if n in offered]
    best = request.accept_mimetypes.best_match(candidates)
    if best is None:
        return _error(
            406,
            f"none of the accepted types ({request.headers.get('Accept')}) is offered; offered: {', '.join(offered.values())}",
        )
    name = ALIASES.get(best) or next(n for n, m in offered.items() if m == best)
    return name, offered[name]


def _render(result: QueryResult) -> Response:
    choice = _choose(result.kind)
    if isinstance(choice, Response):
        return choice
    name, mime = choice
    if result.kind == "triples":
        return Response(graph_bytes(result, name, PREFIXES), mimetype=mime)
    return Response(SOLUTION_WRITERS[name](result), content_type=f"{mime}; charset=utf-8")


def _posted(field: str, media_type: str) -> list[str] | Response:
    """The values of a POSTed query or update: a form field, or the whole body of its own media type;
    a 415 response for any other content type."""
    ctype = (request.mimetype or "").lower()
    if ctype == "application/x-www-form-urlencoded":
        return request.form.getlist(field)
    if ctype == media_type:
        return [request.get_data(as_text=True)]
    return _error(
        415,
        f"send the {field} as {media_type} or a form (application/x-www-form-urlencoded), not {ctype or 'no content type'}",
    )


def _query_text() -> str | Response:
    values = request.args.getlist("query") if request.method == "GET" else _posted("query", "application/sparql-query")
    if isinstance(values, Response):
        return values
    if len(values) > 1:
        return _error(400, "give one query, not several")
    return values[0] if values else ""


def _dataset_params() -> tuple[list[str] | None, list[str] | None]:
    source = (
        request.args
        if request.method == "GET" or request.mimetype != "application/x-www-form-urlencoded"
        else request.values
    )
    default = source.getlist("default-graph-uri") or None
    named = source.getlist("named-graph-uri") or None
    if named is not None and default is None:
        default = []
    return default, named


@bp.route("/sparql", methods=["GET", "POST", "HEAD"])
def sparql() -> Response:
    """Answer a SPARQL query; without one, describe the service."""
    text = _query_text()
    if isinstance(text, Response):
        return text
    if not text.strip():
        if request.method == "POST":
            return _error(400, "no query given")
        return _service_description()
    settings = _settings()
    default, named = _dataset_params()
    try:
        result = run_query(
            get_store(),
            text,
            timeout=settings.query_timeout,
            row_cap=settings.row_cap,
            default_graphs=default,
            named_graphs=named,
            # the union of the named graphs while the store's own default graph is empty: the register
            # never writes it, and data someone puts there (PUT /data?default) is queried as itself
            union_default_graph=settings.union_default_graph and get_store().default_graph_is_empty(),
            service_allowlist=tuple(settings.service_allowlist.split()),
            hidden=settings.is_internal,
            # the register's graphs make up the default graph; GRAPH ?g lists them only when named
            unlisted=_register_graph,
        )
    except SyntaxError as exc:
        return _error(400, f"the query does not parse: {exc}")
    except QueryError as exc:
        return _error(exc.status, str(exc))
    except (OSError, ValueError, RuntimeError) as exc:
        return _error(400, f"the query failed: {exc}")
    return _render(result)


def _register_graph(graph: str) -> bool:
    return graph.startswith(str(GRAPH))


def _service_description() -> Response:
    endpoint = request.base_url
    formats = "".join(
        f" <http://www.w3.org/ns/formats/{f}>"
        for f in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "JSON-LD",
            "N-Triples",
            "RDF_XML",
        )
    )
    union = f"<{SD}UnionDefaultGraph>" if _settings().union_default_graph else f"<{SD}BasicFederatedQuery>"
    text = f"""@prefix sd: <{SD}> .
[] a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query , sd:SPARQL11Update ;
    sd:resultFormat {formats.strip().replace("> <", "> , <")} ;
    sd:feature {union} ;
    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .
"""
    return _render(QueryResult("triples", triples=list(pyoxigraph.parse(text, pyoxigraph.RdfFormat.TURTLE))))


def _authorise() -> Response | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _error(
            401, "writes need a bearer token (partnerkg token create)", WWW_Authenticate='Bearer realm="partnerkg"'
        )
    if TokenStore(_settings().tokens).verify(header[len("Bearer ") :].strip()) is None:
        return _error(403, "the token is not valid")
    return None


@bp.route("/update", methods=["GET", "POST"])
def update() -> Response:
    """Run a SPARQL 1.1 Update (all or nothing)."""
    if request.method == "GET":
        return _error(405, "send updates with POST", Allow="POST")
    denied = _authorise()
    if denied is not None:
        return denied
    values = _posted("update", "application/sparql-update")
    if isinstance(values, Response):
        return values
    if len(values) != 1 or not values[0].strip():
        return _error(400, "give exactly one update")
    if request.values.getlist("using-graph-uri") or request.values.getlist("using-named-graph-uri"):
        return _error(
            400,
            "using-graph-uri and using-named-graph-uri are not supported here; write USING (NAMED) in the update itself",
        )
    try:
        get_store().update(values[0])
    except SyntaxError as exc:
        return _error(400, f"the update does not parse: {exc}")
    except (OSError, ValueError, RuntimeError) as exc:
        return _error(400, f"the update failed and nothing was changed: {exc}")
    return Response(status=204)


def _target() -> tuple[str | None, Response | None]:
    """The graph a Graph Store request names: an IRI, or None for the default graph."""
    graph = request.args.get("graph")
    if graph is not None and "default" in request.args:
        return None, _error(400, "name a graph or the default graph, not both")
    if graph is None and "default" not in request.args:
        return None, _error(400, "name the graph: ?graph=IRI or ?default")
    return graph, None


def _graph_clause(graph: str | None) -> str:
    return "DEFAULT" if graph is None else f"GRAPH <{graph}>"


@bp.route("/data", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def data() -> Response:
    """The Graph Store HTTP Protocol over named graphs and the default graph."""
    graph, problem = _target()
    if problem is not None:
        return problem
    store = get_store()
    exists = graph is None or store.has_graph(pyoxigraph.NamedNode(graph))
    if request.method in ("GET", "HEAD"):
        if not exists or (graph is not None and _settings().is_internal(graph) and _authorise() is not None):
            return _error(404, f"no graph {graph}")  # an internal graph is there only for token holders
        where = "{ ?s ?p ?o }" if graph is None else f"{{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        result = run_query(
            store,
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {where}",
            union_default_graph=False,
            timeout=_settings().query_timeout,
            row_cap=10**9,
        )
        return _render(result)
    denied = _authorise()
    if denied is not None:
        return denied
    if request.method == "DELETE":
        if not exists:
            return _error(404, f"no graph {graph}")
        store.update(f"DROP {_graph_clause(graph)}")
        return Response(status=204)
    fmt = RDF_UPLOADS.get((request.mimetype or "").lower())
    if fmt is None:
        return _error(
            415, f"send RDF as one of {', '.join(sorted(RDF_UPLOADS))}, not {request.mimetype or 'no content type'}"
        )
    from ..ingest.rdf import ENTITY_DECLARATION

    if fmt == "rdfxml" and ENTITY_DECLARATION in request.get_data():
        return _error(
            400, "RDF/XML that declares entities (<!ENTITY ...>) is refused: entities can expand without bound"
        )
    formats = {
        "turtle": pyoxigraph.RdfFormat.TURTLE,
        "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
        "rdfxml": pyoxigraph.RdfFormat.RDF_XML,
        "jsonld": pyoxigraph.RdfFormat.JSON_LD,
    }
    try:
        triples = list(
            pyoxigraph.parse(
                request.get_data(),
                formats[fmt],
                base_iri=graph or request.base_url,
                without_named_graphs=True,
                rename_blank_nodes=True,
            )
        )
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        return _error(400, f"the {fmt} body does not parse{where}: {exc}")
    except ValueError as exc:
        return _error(400, f"the {fmt} body does not parse: {exc}")
    if graph is not None and triples:
        # through the store's own write (all or nothing, only the difference written): on the embedded
        # store it also keeps the stored entailments current, which a SPARQL update cannot
        target = pyoxigraph.NamedNode(graph)
        quads = [pyoxigraph.Quad(t.subject, t.predicate, t.object, target) for t in triples]
        store.write_graphs(quads, [target], append=request.method == "POST")
        return Response(status=204 if exists else 201)
    body = " .\n".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
    insert = (
        f"INSERT DATA {{ {'' if graph is None else f'GRAPH <{graph}> {{'} {body} {'' if graph is None else '}'} }}"
        if triples
        else ""
    )
    operations = ([f"DROP SILENT {_graph_clause(graph)}"] if request.method == "PUT" else []) + (
        [insert] if insert else []
    )
    if graph is not None and not triples and request.method == "PUT":
        operations.append(f"CREATE SILENT GRAPH <{graph}>")
    if operations:
        store.update(" ;\n".join(operations))
    return Response(status=204 if exists else 201)
