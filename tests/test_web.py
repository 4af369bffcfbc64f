"""The web application (placeholder pages until the web issue) and the real WSGI server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from service import create_app
from service.settings import Settings


def test_start_page_lists_the_graphs(sample_store):
    app = create_app(Settings.load({}), store=sample_store)
    page = app.test_client().get("/")
    assert page.status_code == 200
    assert b"graph/sample/partnerships" in page.data and b"<html" in page.data
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "ok" and health["quads"] == sample_store.quad_count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_a_waitress_server_that_stays_up(tmp_path):
    port = _free_port()
    store = str(tmp_path / "store")
    subprocess.run([sys.executable, "-m", "service.cli", "--store", store, "init"], check=True, capture_output=True)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--store", store, "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        body, server = b"", ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body, server = response.read(), response.headers.get("Server", "")
                break
            except OSError:
                time.sleep(0.1)
        assert b"graph/sample/people" in body
        assert "waitress" in server
        time.sleep(0.5)
        assert proc.poll() is None, "the server stopped by itself"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
