"""Pages for people. For now: a start page that shows what the store holds, and a health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

bp = Blueprint("pages", __name__)


def _store():  # imported late: service.web imports this module
    from . import get_store

    return get_store()


@bp.get("/")
def index() -> str:
    """Start page: the store's named graphs and their sizes."""
    graphs = _store().graphs()
    return render_template(
        "index.html", graphs=graphs, total=sum(g.triples for g in graphs), settings=current_app.config["PARTNERKG"]
    )


@bp.get("/healthz")
def healthz():
    """Liveness: the store answers a query."""
    return jsonify(status="ok", quads=_store().quad_count())
