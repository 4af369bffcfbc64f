"""What data portals harvest: the DCAT catalogue at /catalog (with fixed-format addresses for simple
harvesters), VoID at /.well-known/void, and the dumps it points to. Only public graphs appear."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request
from pyoxigraph import NamedNode, RdfFormat
from rdflib import Graph

from ..linking.publish import catalogue, dump_path, graph_of_dump, public_graphs, void_description, write_dump
from . import get_store

bp = Blueprint("catalog", __name__)

RDF_OUT = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "rdf": ("application/rdf+xml", "xml"),
    "nt": ("application/n-triples", "nt"),
}
HTML = ("text/html", "application/xhtml+xml")


def _settings():
    return current_app.config["PARTNERKG"]


def _choose(ext: str | None, html: bool) -> str | None:
    """The extension to answer with: the one asked for, else by Accept (*/* gets Turtle)."""
    if ext is not None:
        if ext not in RDF_OUT:
            abort(404)
        return ext
    header = request.headers.get("Accept", "")
    if not header or header.strip() == "*/*":
        return "ttl"
    offered = [mime for mime, _ in RDF_OUT.values()] + (list(HTML) if html else [])
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        return None
    if best in HTML:
        return "html"
    return next(e for e, (mime, _) in RDF_OUT.items() if mime == best)


def _rdf(graph: Graph, ext: str) -> Response:
    mime, fmt = RDF_OUT[ext]
    response = Response(graph.serialize(format=fmt, encoding="utf-8"), mimetype=mime)
    response.headers["Vary"] = "Accept"
    return response


def _not_acceptable() -> Response:
    offered = ", ".join(m for m, _ in RDF_OUT.values())
    return Response(f"none of the accepted types is offered; offered: {offered}\n", status=406, mimetype="text/plain")


@bp.get("/catalog")
@bp.get("/catalog.<ext>")
def catalog(ext: str | None = None) -> Response:
    """The DCAT catalogue: Turtle, JSON-LD, RDF/XML, N-Triples or an HTML page."""
    settings = _settings()
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 0
    if page < 1:
        return Response("page must be a whole number from 1\n", status=400, mimetype="text/plain")
    chosen = _choose(ext, html=True)
    if chosen is None:
        return _not_acceptable()
    graph = catalogue(
        get_store(),
        request.url_root,
        internal=settings.is_internal,
        publisher=settings.publisher,
        contact_email=settings.contact_email,
        page=page,
        page_size=settings.catalog_page_size,
    )
    if chosen == "html":
        return Response(render_template("catalog.html", **_summary(graph)), mimetype="text/html")
    return _rdf(graph, chosen)


def _summary(graph: Graph) -> dict:
    from rdflib.namespace import DCAT, DCTERMS, RDF

    datasets = []
    for dataset in sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str):
        distributions = [
            {"title": str(graph.value(d, DCTERMS.title)), "url": str(graph.value(d, DCAT.accessURL))}
            for d in graph.objects(dataset, DCAT.distribution)
        ]
        datasets.append(
            {
                "title": str(graph.value(dataset, DCTERMS.title)),
                "description": str(graph.value(dataset, DCTERMS.description)),
                "modified": graph.value(dataset, DCTERMS.modified),
                "distributions": sorted(distributions, key=lambda d: d["title"]),
            }
        )
    return {"datasets": datasets}


@bp.get("/.well-known/void")
def void() -> Response:
    """The VoID description of the public data."""
    chosen = _choose(request.args.get("format"), html=False)
    if chosen is None:
        return _not_acceptable()
    settings = _settings()
    graph = void_description(get_store(), request.url_root, internal=settings.is_internal, base_iri=settings.base_iri)
    return _rdf(graph, chosen)


@bp.get("/dumps/partnerkg.nq.gz")
def full_dump() -> Response:
    """Every public graph as gzipped N-Quads, made when asked and streamed from a temporary file."""
    folder = Path(tempfile.mkdtemp(prefix="partnerkg-dump-"))
    target = folder / "partnerkg.nq.gz"
    write_dump(get_store(), target, internal=_settings().is_internal)
    size = target.stat().st_size

    def chunks():
        try:
            with open(target, "rb") as handle:
                while chunk := handle.read(1 << 16):
                    yield chunk
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    response = Response(chunks(), mimetype="application/gzip")
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = 'attachment; filename="partnerkg.nq.gz"'
    response.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    return response


@bp.get("/dumps/graph/<path:local>.ttl")
def graph_dump(local: str) -> Response:
    """One public named graph as Turtle."""
    return _graph(graph_of_dump(local))


@bp.get("/dumps/graph.ttl")
def graph_dump_by_iri() -> Response:
    """One public named graph, named by its IRI (for graphs outside partnerkg's graph namespace)."""
    return _graph(request.args.get("iri", ""))


def _graph(name: str) -> Response:
    store = get_store()
    if name not in public_graphs(store, _settings().is_internal):
        return Response(f"no public graph {name}\n", status=404, mimetype="text/plain")
    buffer = io.BytesIO()
    store.dump(buffer, RdfFormat.TURTLE, NamedNode(name))
    response = Response(buffer.getvalue(), mimetype="text/turtle")
    response.headers["Content-Disposition"] = f'inline; filename="{dump_path(name).rsplit("/", 1)[-1]}"'
    return response
