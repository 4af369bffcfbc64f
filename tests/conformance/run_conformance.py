"""Run the W3C SPARQL 1.1 query suite and the protocol checks (shared/conformance/sparql) against a
freshly started partnerkg server: an empty store whose default graph is its own, a write token, a
free port on 127.0.0.1. Prints each suite's result and exits 1 below the floors the web issue sets
(209 of 219 query tests, all 34 protocol checks). `make conformance`; `make test` runs it first."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT.parent / "shared" / "conformance" / "sparql"
FLOORS = {"run_sparql_suite.py": 209, "protocol_checks.py": 34}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    if not SUITES.is_dir():
        print(f"conformance: {SUITES} is missing (shared/ must sit beside the checkout)")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="partnerkg-conformance-"))
    env = dict(
        os.environ,
        PARTNERKG_STORE=str(tmp / "store"),
        PARTNERKG_TOKENS=str(tmp / "tokens.json"),
        PARTNERKG_UNION_DEFAULT_GRAPH="false",
        PARTNERKG_LOG_LEVEL="WARNING",
    )
    cli = [sys.executable, "-m", "service.cli"]
    token = (
        subprocess.run(
            cli + ["token", "create", "--name", "conformance"], env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(tmp / "serve.log", "wb") as log:
        server = subprocess.Popen(cli + ["serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    failed = False
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        args = [
            "--query-url",
            base + "/sparql",
            "--gsp-url",
            base + "/data",
            "--update-url",
            base + "/update",
            "--auth-header",
            f"Authorization: Bearer {token}",
        ]
        for script, floor in FLOORS.items():
            run = subprocess.run(
                [sys.executable, str(SUITES / script), *args], capture_output=True, text=True, timeout=1200
            )
            summary = [line for line in run.stdout.splitlines() if re.match(r"^\d+ passed, \d+ failed", line)]
            passed = int(summary[-1].split()[0]) if summary else 0
            verdict = "ok" if passed >= floor else f"BELOW THE FLOOR OF {floor}"
            print(f"conformance of {script}: {summary[-1] if summary else 'no result'} ({verdict})")
            if passed < floor:
                failed = True
                print(run.stdout[-3000:], run.stderr[-2000:])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
