"""The web application (placeholder pages until the web issue) and the real WSGI server."""

from __future__ import annotations

import time
import urllib.request

import pytest
from serving import running_server

from service import create_app
from service.settings import Settings


def test_start_page_lists_the_graphs(sample_store):
    app = create_app(Settings.load({}), store=sample_store)
    page = app.test_client().get("/")
    assert page.status_code == 200
    assert b"graph/sample/partnerships" in page.data and b"<html" in page.data
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "ok" and health["quads"] == sample_store.quad_count()


@pytest.mark.slow
def test_serve_runs_a_waitress_server_that_stays_up(tmp_path):
    with running_server(tmp_path, ("init",)) as (base, _):
        with urllib.request.urlopen(base + "/", timeout=5) as response:
            body, server = response.read(), response.headers.get("Server", "")
        assert b"partnerships" in body
        assert "waitress" in server
        time.sleep(0.5)
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            assert response.status == 200  # still up
