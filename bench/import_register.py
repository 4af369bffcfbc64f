"""How long does a register of a few thousand rows take to import? A synthetic workbook (by default
5,000 rows: organisations, partnerships, people, appointments, meetings and attendance) is written,
then checked (dry run), imported into an empty store, imported again unchanged, and exported back.

    python bench/import_register.py [--rows 5000] [--repeats 3] [--out bench/out/import_register.json]

Prints a Markdown table of medians; the figures go into docs/performance.md by hand with date and machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from service.ingest.spreadsheet import export_register, import_register, write_workbook  # noqa: E402
from service.store import EmbeddedStore  # noqa: E402

BASE = "https://w3id.org/partnerkg/id/"


def register(rows: int) -> dict[str, list[dict[str, object]]]:
    """A register of about `rows` rows in the proportions a county council's might have."""
    n = max(rows // 25, 2)
    organisations = [
        {
            "organisation_id": f"org-{i}",
            "name": f"Organisation {i}",
            "type": "council" if i % 5 == 0 else "organisation",
            "sector": "public" if i % 2 == 0 else "voluntary",
            "nation": "ENG",
        }
        for i in range(n)
    ]
    partnerships = [
        {
            "partnership_id": f"p{i}",
            "name": f"Partnership {i}",
            "status": "active",
            "administered_by": f"org-{i % n}",
            "frameworks": "cambridge-principles",
        }
        for i in range(n)
    ]
    people = [
        {"person_id": f"person-{i}", "name": f"Person {i}", "kind": "officer", "officer_of": f"org-{i % n}"}
        for i in range(3 * n)
    ]
    appointments = [
        {
            "appointment_id": f"a{i}",
            "person": f"person-{i % (3 * n)}",
            "to": f"p{i % n}",
            "on_behalf_of": f"org-{i % n}",
            "role": "representative",
            "start": date(2022, 4, 1) + timedelta(days=i % 300),
        }
        for i in range(5 * n)
    ]
    meetings = [
        {
            "meeting_id": f"m{i}",
            "of": f"p{i % n}",
            "date": date(2023, 1, 2) + timedelta(days=i % 900),
            "held_in_public": "yes",
            "agenda_date": date(2022, 12, 20) + timedelta(days=i % 900),
            "agenda_url": f"https://example.org/m{i}/agenda",
        }
        for i in range(6 * n)
    ]
    used = n + n + 3 * n + 5 * n + 6 * n
    attendance = [
        {
            "meeting": f"m{i % (6 * n)}",
            "attendee": f"person-{(i // (6 * n)) * 7 % (3 * n)}",
            "capacity": "representative",
        }
        for i in range(max(rows - used, 0))
    ]
    return {
        "organisations": organisations,
        "partnerships": partnerships,
        "people": people,
        "appointments": appointments,
        "meetings": meetings,
        "attendance": attendance,
    }


def timed(action, *args, **options) -> float:
    started = time.perf_counter()
    action(*args, **options)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "import_register.json")
    args = parser.parse_args()
    tables = register(args.rows)
    total = sum(len(r) for r in tables.values())
    figures: dict[str, list[float]] = {"write workbook": [], "dry run": [], "import": [], "re-import": [], "export": []}
    triples = 0
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as folder:
            workbook = Path(folder) / "register.xlsx"
            figures["write workbook"].append(timed(write_workbook, workbook, tables))
            store = EmbeddedStore(Path(folder) / "store")
            figures["dry run"].append(timed(import_register, store, workbook, base=BASE, dry_run=True))
            figures["import"].append(timed(import_register, store, workbook, base=BASE))
            before = store.quad_count()
            figures["re-import"].append(timed(import_register, store, workbook, base=BASE))
            assert store.quad_count() == before, "re-import changed the quad count"
            triples = before
            figures["export"].append(timed(export_register, store, Path(folder) / "out.xlsx", base=BASE))
            store.close()
    medians = {k: statistics.median(v) for k, v in figures.items()}
    print(f"{total} rows, {triples} quads, {args.repeats} repeats, {platform.processor() or platform.machine()}")
    print("| step | median (s) |\n| --- | --- |")
    for step, seconds in medians.items():
        print(f"| {step} | {seconds:.2f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": total, "quads": triples, "medians": medians, "runs": figures}, indent=2))


if __name__ == "__main__":
    main()
