"""Run the W3C SPARQL 1.1 query suite and the protocol checks (shared/conformance/sparql) against a
freshly started partnerkg server: an empty store whose default graph is its own, a write token, a
free port on 127.0.0.1. Prints each suite's result and exits 1 below the floors the web issue sets
(209 of 219 query tests, all 34 protocol checks). `make conformance`; `make test` runs it first."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/serving.py
from serving import cli, running_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT.parent / "shared" / "conformance" / "sparql"
FLOORS = {"run_sparql_suite.py": 209, "protocol_checks.py": 34}


def main() -> int:
    if not SUITES.is_dir():
        print(f"conformance: {SUITES} is missing (shared/ must sit beside the checkout)")
        return 1
    with tempfile.TemporaryDirectory(prefix="partnerkg-conformance-") as scratch:
        return _run(Path(scratch))


def _run(folder: Path) -> int:
    failed = False
    with running_server(folder, union_default_graph="false", log_level="WARNING") as (base, env):
        token = cli(env, "token", "create", "--name", "conformance").strip().splitlines()[-1]
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
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
