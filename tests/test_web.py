"""The web application (placeholder pages until the web issue) and the real WSGI server."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request

import pytest
from serving import CLI, cli, free_port, running_server

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


@pytest.mark.slow
def test_a_server_stopped_by_sigterm_closes_its_store_and_leaves_no_uploads_behind(tmp_path):
    """SIGTERM (how service managers stop a server) ends `partnerkg serve` as Ctrl-C does: exit 0, the
    store closed, and the folder where uploads wait for their import step removed. Cut off instead,
    a server left one such folder in the temporary directory at every stop."""
    import requests

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with running_server(tmp_path, ("init",), ("template", "--out", str(tmp_path / "register.xlsx"))) as (base, env):
        token = cli(env, "token", "create", "--name", "t").strip().splitlines()[-1]
        # the server's temporary directory is its environment's: the test's own, so nothing else is in it
        assert not list(scratch.iterdir())
    env = dict(env, TMPDIR=str(scratch))
    port = free_port()
    process = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                requests.get(url + "/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        with (tmp_path / "register.xlsx").open("rb") as workbook:
            answer = requests.post(
                url + "/import", headers={"Authorization": "Bearer " + token}, files={"workbook": workbook}, timeout=30
            )
        assert answer.status_code == 200, answer.text[:500]
        assert [p.name.startswith("partnerkg-uploads-") for p in scratch.iterdir()] == [True]
    finally:
        process.send_signal(signal.SIGTERM)
        _, said = process.communicate(timeout=30)
    assert process.returncode == 0, said.decode()[-2000:]
    assert not list(scratch.iterdir())
    # and the store opens for writing again at once (a lock left behind would refuse it)
    assert cli(env, "graphs")
