"""partnerkg: a knowledge graph and policy query service for local-government partnership working.

`create_app` is the Flask factory: defaults, then the environment (service.settings), then a test
mapping. The store is reached through `service.web.get_store()`, never a module global.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import Settings
from .store import Store, open_store

if TYPE_CHECKING:  # Flask is imported when an app is made: the CLI's commands start 0.25 s sooner without it
    from flask import Flask


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, test_config: dict[str, Any] | None = None
) -> Flask:
    """Build the web application over a store (opened from the settings when not given)."""
    import logging

    from flask import Flask

    from . import web

    settings = settings or Settings.load()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO), format="%(asctime)s %(name)s %(message)s"
    )
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config["PARTNERKG"] = settings
    if test_config:
        app.config.update(test_config)
    app.extensions["partnerkg.store"] = store if store is not None else open_store(settings.store, settings=settings)
    web.init_app(app)
    return app
