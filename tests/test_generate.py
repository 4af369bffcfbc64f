"""The synthetic register generator: its ground truth is exactly what validation finds."""

from __future__ import annotations

import csv
from datetime import date

from test_compliance import SAMPLE_VIOLATIONS

from service.compliance.validate import validate
from service.generate import generate, precision_recall, read_ground_truth
from service.ingest.bootstrap import SAMPLE_DIR, init_store
from service.ingest.rdf import load_files
from service.store import EmbeddedStore


def test_the_breach_list_is_the_documented_one():
    with open(SAMPLE_DIR / "breaches.csv", newline="", encoding="utf-8") as handle:
        rows = {(r["obligation"], r["focus"].rsplit("/", 1)[-1]) for r in csv.DictReader(handle)}
    assert rows == SAMPLE_VIOLATIONS


def test_validation_finds_exactly_the_injected_breaches(tmp_path):
    made = generate(tmp_path / "gen", councils=2, partnerships_per_council=8, seed=3)
    assert made.copies == 2 and made.partnerships == 16
    again = generate(tmp_path / "again", councils=2, partnerships_per_council=8, seed=3)
    assert again.register.read_bytes() == made.register.read_bytes()  # deterministic for a seed
    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=False)
    load_files(store, [made.register])
    run = validate(store, as_at=date(2026, 11, 22), save=False)
    found = {(f.obligation, f.focus) for f in run.findings if f.severity == "Violation"}
    truth = read_ground_truth(made.ground_truth)
    assert len(truth) == 2 * len(SAMPLE_VIOLATIONS)
    assert all(pr == (1.0, 1.0) for pr in precision_recall(found, truth).values())
    store.close()
