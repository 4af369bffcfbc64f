"""The web service: blueprints for pages (and, later, SPARQL, linked data and the API)."""

from __future__ import annotations

from flask import Flask, current_app

from ..store import Store
from . import pages


def get_store() -> Store:
    """The store of the running application."""
    return current_app.extensions["partnerkg.store"]


def init_app(app: Flask) -> None:
    """Register every blueprint on the app."""
    app.register_blueprint(pages.bp)
