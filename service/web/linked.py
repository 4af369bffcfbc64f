"""Linked data: every resource IRI of the data, the ontology, the policies, the code lists and the
shapes dereferences here. HTML for browsers; Turtle, JSON-LD, N-Triples or RDF/XML by Accept or by a
file extension (/id/partnership/x.ttl); 404 for what the store does not describe."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request

from ..namespaces import PREFIXES, ROOT
from ..queries.results import GRAPH_TYPES, graph_bytes
from . import query

bp = Blueprint("linked", __name__)

KINDS = ("id", "def", "obligation", "policy", "criterion", "code", "shape")
EXTENSIONS = {".ttl": "turtle", ".jsonld": "jsonld", ".nt": "ntriples", ".rdf": "rdfxml", ".html": "html"}
HTML_TYPES = ("text/html", "application/xhtml+xml")


def _base(kind: str) -> str:
    if kind == "id":
        return current_app.config["PARTNERKG"].base_iri
    return ROOT + kind + ("" if kind == "def" else "/")


def local_path(iri: str) -> str | None:
    """The path on this service that dereferences an IRI, if it is one of ours."""
    data_base = current_app.config["PARTNERKG"].base_iri
    if iri.startswith(data_base):
        return "/id/" + iri[len(data_base) :]
    if iri.startswith(ROOT + "def"):
        return "/def"
    if iri.startswith(ROOT):
        return "/" + iri[len(ROOT) :]
    return None


def _describe(iri: str):
    text = f"""CONSTRUCT {{ <{iri}> ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 }} WHERE {{
        <{iri}> ?p ?o .
        OPTIONAL {{ ?o ?p2 ?o2 . FILTER (isBlank(?o))
            OPTIONAL {{ ?o2 ?p3 ?o3 . FILTER (isBlank(?o2)) }} }} }}"""
    return query(text, "describe")


def _format(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    offered = list(HTML_TYPES) + [mime for mime, _ in GRAPH_TYPES.values()]
    best = request.accept_mimetypes.best_match(offered) if request.headers.get("Accept") else "text/html"
    if best is None:
        return None
    if best in HTML_TYPES:
        return "html"
    return next(name for name, (mime, _) in GRAPH_TYPES.items() if mime == best)


@bp.route("/def")
@bp.route("/def.<ext>")
def ontology(ext: str | None = None) -> Response:
    """The ontology itself."""
    return _resource(ROOT + "def", "." + ext if ext else None)


@bp.route("/<kind>/<path:rest>")
def resource(kind: str, rest: str) -> Response:
    """One resource, as a page or as RDF."""
    if kind not in KINDS:
        abort(404)
    extension = next((e for e in EXTENSIONS if rest.endswith(e)), None)
    if extension:
        rest = rest[: -len(extension)]
    return _resource(_base(kind) + rest, extension)


def _resource(iri: str, extension: str | None) -> Response:
    if extension is not None and extension not in EXTENSIONS:
        abort(404)
    fmt = _format(EXTENSIONS.get(extension) if extension else None)
    if fmt is None:
        return Response("none of the accepted types is offered\n", status=406, mimetype="text/plain")
    if iri == ROOT + "def" and fmt != "html":  # the ontology's IRI stands for every term in it
        described = query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ROOT}graph/ontology> {{ ?s ?p ?o }} }}", "ontology", union=False
        )
    else:
        described = _describe(iri)
    if not described.triples:
        return Response(f"nothing is known about {iri}\n", status=404, mimetype="text/plain")
    if fmt != "html":
        response = Response(graph_bytes(described, fmt, PREFIXES), mimetype=GRAPH_TYPES[fmt][0])
        response.headers["Vary"] = "Accept"
        return response
    from .entities import kind_of, organisation_page, partnership_page, person_page

    pages = {"partnership": partnership_page, "organisation": organisation_page, "person": person_page}
    kind = kind_of(iri)
    if kind in pages:
        response = Response(pages[kind](iri), mimetype="text/html")
        response.headers["Vary"] = "Accept"
        return response
    return _page(iri, described)


def _page(iri: str, described) -> Response:
    named = {t.object.value for t in described.triples if type(t.object).__name__ == "NamedNode"}
    labels = labels_of(named | {iri} | {t.predicate.value for t in described.triples})
    rows = [
        {"predicate": t.predicate.value, "object": t.object, "is_iri": type(t.object).__name__ == "NamedNode"}
        for t in described.triples
        if getattr(t.subject, "value", None) == iri
    ]
    incoming = query(f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{iri}> }} LIMIT 200", "incoming").rows
    incoming = [(s, p) for s, p in incoming if type(s).__name__ == "NamedNode"]
    incoming_labels = labels_of({s.value for s, _ in incoming} | {p.value for _, p in incoming})
    labels.update(incoming_labels)
    html = render_template(
        "resource.html",
        iri=iri,
        title=labels.get(iri) or iri,
        rows=sorted(rows, key=lambda r: r["predicate"]),
        incoming=[(s.value, p.value) for s, p in incoming],
        labels=labels,
        local=local_path,
        alternates=[(ext, GRAPH_TYPES[name][0]) for ext, name in EXTENSIONS.items() if name != "html"],
    )
    response = Response(html, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


def labels_of(iris: set[str]) -> dict[str, str]:
    """What people call each of these IRIs (its label, name or title), where the store says."""
    iris = {i for i in iris if i and ":" in i and not any(c in i for c in '<>" {}|^`\\')}
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    rows = query(
        f"""SELECT ?x (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?x {{ {values} }}
        ?x rdfs:label|foaf:name|skos:prefLabel|dcterms:title ?l }} GROUP BY ?x""",
        "labels",
    ).rows
    return {x.value: label.value for x, label in rows if label is not None}
