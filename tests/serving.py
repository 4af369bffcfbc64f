"""Starting a real partnerkg server for the tests that need one: a free port on 127.0.0.1, its own
store, and a stop that waits for it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CLI = [sys.executable, "-m", "service.cli"]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env: dict[str, str], *args: str) -> str:
    """Run the partnerkg command with this environment; its standard output."""
    return subprocess.run(CLI + list(args), env=env, check=True, capture_output=True, text=True).stdout


@contextlib.contextmanager
def running_server(folder: Path, *before: tuple[str, ...], **settings: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A server on a store in folder (settings as PARTNERKG_* values), after running the `before`
    commands on that store; yields its base URL and environment."""
    env = dict(os.environ, PARTNERKG_STORE=str(folder / "store"), PARTNERKG_TOKENS=str(folder / "tokens.json"))
    env.update({"PARTNERKG_" + k.upper(): v for k, v in settings.items()})
    for command in before:
        cli(env, *command)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(folder / "serve.log", "wb")  # noqa: SIM115 - closed below, after the server stops
    process = subprocess.Popen(CLI + ["serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


OXIGRAPH = Path(sys.executable).parent / "oxigraph"
"""The Oxigraph server from PyPI (package `oxigraph`, a test dependency): a real SPARQL endpoint."""


@contextlib.contextmanager
def sparql_server(folder: Path, *files: Path, read_only: bool = True) -> Iterator[str]:
    """An Oxigraph SPARQL server on 127.0.0.1 holding the files (read-only unless asked); yields its
    query endpoint (`/query`; `/update` and `/store` beside it)."""
    location = folder / "oxigraph"
    for file in files:
        subprocess.run([str(OXIGRAPH), "load", "--location", str(location), "--file", str(file)], check=True,
                       capture_output=True)  # fmt: skip
    port = free_port()
    log = open(folder / "oxigraph.log", "wb")  # noqa: SIM115 - closed below, after the server stops
    process = subprocess.Popen(
        [
            str(OXIGRAPH),
            "serve-read-only" if read_only else "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
        ],  # fmt: skip
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}/query"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(endpoint + "?query=ASK%7B%7D", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the Oxigraph server did not start: " + (folder / "oxigraph.log").read_text())
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


VIRTUOSO = "virtuoso-t"
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
"""Debian's virtuoso-opensource (installed by `make virtuoso`, which `make test` runs)."""


VIRTUOSO_LIMITS = {"ResultSetMaxRows": 1000000, "MaxQueryCostEstimationTime": 0, "MaxQueryExecutionTime": 0}
"""Virtuoso's [SPARQL] limits cut answers short (10,000 rows) or refuse queries by estimated cost."""


@contextlib.contextmanager
def virtuoso_server(folder: Path) -> Iterator[str]:
    """A Virtuoso on free ports with its database in folder; yields its base URL (user dba, password dba)."""
    import re
    import shutil

    if shutil.which(VIRTUOSO) is None or not VIRTUOSO_INI.exists():
        raise RuntimeError("Virtuoso is not installed: run `make virtuoso` (Debian's virtuoso-opensource)")
    database = folder / "virtuoso"
    database.mkdir()
    sql_port, http_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text(encoding="utf-8").replace("/var/lib/virtuoso-opensource-7/db/", f"{database}/")
    ini = re.sub(r"(\[Parameters\][^\[]*?ServerPort\s*=\s*)\d+", rf"\g<1>{sql_port}", ini, flags=re.S)
    ini = re.sub(r"(\[HTTPServer\][^\[]*?ServerPort\s*=\s*)\d+", rf"\g<1>{http_port}", ini, flags=re.S)
    for key, value in VIRTUOSO_LIMITS.items():  # as docs/deployment.md says to run it for partnerkg
        ini = re.sub(rf"^{key}\s*=.*$", f"{key} = {value}", ini, flags=re.M)
    config = database / "virtuoso.ini"
    config.write_text(ini, encoding="utf-8")
    log = open(folder / "virtuoso.log", "wb")  # noqa: SIM115 - closed below, after the server stops
    process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(config)], cwd=database, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{http_port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/sparql?query=ASK%7B%7D", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            raise RuntimeError("Virtuoso did not start: " + (folder / "virtuoso.log").read_text())
        if process.poll() is not None:
            raise RuntimeError("Virtuoso stopped: " + (folder / "virtuoso.log").read_text()[-2000:])
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
