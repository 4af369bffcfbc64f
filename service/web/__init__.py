"""The web service: the application factory, its blueprints (pages, API, SPARQL, linked data, import) and limits."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, current_app, g, request

from ..queries import QueryResult, run_query
from ..store import Store

log = logging.getLogger("partnerkg.web")


def get_store() -> Store:
    """The store of the running application."""
    return current_app.extensions["partnerkg.store"]


def limits() -> dict[str, Any]:
    """The configured time limit and row cap, and the internal graphs no page may show, as run_query
    and run_saved take them."""
    settings = current_app.config["PARTNERKG"]
    return {"timeout": settings.query_timeout, "row_cap": settings.row_cap, "hidden": settings.is_internal}


def query(text: str, name: str, *, union: bool = True) -> QueryResult:
    """Run a query for a page on the app's store, within the configured limits (union of the graphs by default)."""
    return run_query(get_store(), text, union_default_graph=union, name=name, **limits())


def init_app(app: Flask) -> None:
    """Register every blueprint, request logging, security headers and CORS for reads."""
    from . import api, catalog, linked, pages, sparql, upload

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(linked.bp)
    app.register_blueprint(upload.bp)
    app.register_blueprint(catalog.bp)
    app.config["MAX_CONTENT_LENGTH"] = app.config["PARTNERKG"].max_upload_mb * 1024 * 1024

    @app.before_request
    def _start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.method in ("GET", "HEAD", "OPTIONS") or request.path == "/sparql":
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s %.1f ms", request.method, request.full_path.rstrip("?"), response.status_code, elapsed)
        return response
