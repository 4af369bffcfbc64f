"""The synthetic register generator: its ground truth is exactly what validation finds."""

from __future__ import annotations

import csv
from datetime import date

import pyoxigraph as ox
from rdflib import RDF
from test_compliance import SAMPLE_INFOS, SAMPLE_VIOLATIONS, SAMPLE_WARNINGS

from service.compliance.validate import validate, working_copy_for
from service.generate import generate, precision_recall, read_ground_truth
from service.ingest.bootstrap import SAMPLE_DIR, init_store
from service.ingest.rdf import load_files
from service.namespaces import ID, PK
from service.store import EmbeddedStore


def test_the_breach_list_is_the_documented_one():
    with open(SAMPLE_DIR / "breaches.csv", newline="", encoding="utf-8") as handle:
        rows = {(r["obligation"], r["focus"].rsplit("/", 1)[-1], r["severity"]) for r in csv.DictReader(handle)}
    expected = {
        (obligation, focus, severity)
        for severity, breaches in (
            ("Violation", SAMPLE_VIOLATIONS),
            ("Warning", SAMPLE_WARNINGS),
            ("Info", SAMPLE_INFOS),
        )
        for obligation, focus in breaches
    }
    assert rows == expected


def test_validation_finds_exactly_the_injected_breaches(tmp_path):
    made = generate(tmp_path / "gen", councils=2, partnerships_per_council=8, seed=3)
    assert made.copies == 2 and made.partnerships == 16
    again = generate(tmp_path / "again", councils=2, partnerships_per_council=8, seed=3)
    assert again.register.read_bytes() == made.register.read_bytes()  # deterministic for a seed
    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=False)
    load_files(store, [made.register])
    run = validate(store, as_at=date(2026, 11, 22), save=False)
    found = {(f.obligation, f.focus, f.severity) for f in run.findings}
    truth = read_ground_truth(made.ground_truth)
    # each copy's own breaches, and once the nine whose focus (a partner organisation) every copy shares
    shared = {b for b in truth if "/organisation/" in b[1]}
    assert (
        len(shared) == 9 and len(truth) == 2 * (len(SAMPLE_VIOLATIONS) + len(SAMPLE_WARNINGS) + len(SAMPLE_INFOS)) - 9
    )
    assert made.breaches == {
        "Violation": 2 * len(SAMPLE_VIOLATIONS),
        "Warning": 2 * len(SAMPLE_WARNINGS) - 9,
        "Info": 14,
    }
    scores = precision_recall(found, truth)
    assert len(scores) == 50 and all(pr == (1.0, 1.0) for pr in scores.values())
    # a finding at the wrong severity is both a false finding and a miss
    wrong = next(b for b in truth if b[0] == "CAM-7")
    assert precision_recall((found - {wrong}) | {(*wrong[:2], "Violation")}, truth)["CAM-7"] == (0.9, 0.9)
    # one partnership alone finds its share of the full run, from a cut that stays out of the other
    # copy although both copies share councils and partner bodies
    for p in sorted({p for f in run.findings for p in f.partnerships if "/c1-" in p}):
        alone = validate(store, as_at=date(2026, 11, 22), partnership=p, save=False)
        assert {f.key for f in alone.findings} == {f.key for f in run.findings if p in f.partnerships}, p
    cut = working_copy_for(store, str(ID) + "partnership/c1-cumbria-strategic-partnership")
    others = tuple(f"{ID}{kind}/c2-" for kind in ("appointment", "membership", "meeting"))
    assert cut is not None and not [q for q in cut if q.subject.value.startswith(others)]
    store.close()


def test_the_hanging_index_leaves_a_cut_as_it_was_and_spares_reading_other_partnerships_records(tmp_path, monkeypatch):
    """A partnership's cut read with the hanging index current equals the cut read without it, for every
    partnership of a generated register where 4 copies share a partner body that each copy's board
    assesses; and it reads fewer quads, as the other boards' assessments are not read."""
    from service.compliance import validate as module

    made = generate(tmp_path / "gen", councils=4, partnerships_per_council=8, seed=4)
    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=False)
    load_files(store, [made.register])
    validate(store, as_at=date(2026, 11, 22), save=False)  # stores the entailments and the index
    assert module._hanging_index(store.data_version(), store.match) is not None
    partnerships = sorted(
        q.subject.value for q in store.match(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PK.Partnership)), None)
    )
    assert len(partnerships) == 32
    read = {"quads": 0}
    match = store.match

    def counted(*pattern):  # noqa: ANN002, ANN202
        found = list(match(*pattern))
        read["quads"] += len(found)
        return found

    monkeypatch.setattr(store, "match", counted)

    def cut(partnership: str) -> tuple[set, int]:
        read["quads"] = 0
        quads = set(working_copy_for(store, partnership))  # type: ignore[arg-type]
        return quads, read["quads"]

    indexed = {p: cut(p) for p in partnerships}
    monkeypatch.setattr(module, "_hanging_index", lambda *_: None)
    for p in partnerships:
        quads, count = cut(p)
        assert indexed[p][0] == quads, p
        if "cumbria-strategic-partnership" in p:  # three other copies' assessments of the shared body
            assert indexed[p][1] < count, p
    store.close()


def test_each_copy_carries_the_samples_findings_at_every_severity(tmp_path, sample_store):
    """Every copy has the sample's findings, Info and Warning too, named as the copy names them: its own
    joint committee with its own seats (shared by every copy, the committee's seats read "2 of 1 filled"
    with two copies); findings about a shared body are made once."""
    made = generate(tmp_path / "gen", councils=2, partnerships_per_council=8, seed=5)
    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=False)
    load_files(store, [made.register])
    run = validate(store, as_at=date(2026, 11, 22), save=False)
    seats = {q.subject.value for q in store.match(None, ox.NamedNode(str(PK.seatsOn)), None, None)}
    store.close()
    assert len(seats) == 14 and all("/seats/c1-" in s or "/seats/c2-" in s for s in seats)
    sample = validate(sample_store, as_at=date(2026, 11, 22), save=False)

    def key(finding, copy=None):  # noqa: ANN001, ANN202
        focus = str(finding.focus) if copy is None else str(finding.focus).replace(copy, "/")
        return finding.obligation, finding.severity, focus, finding.message

    expected = {key(f) for f in sample.findings}
    shared = {key(f) for f in run.findings if not any(f"/c{c}-" in str(f.focus) for c in (1, 2))}
    assert shared and shared < expected
    for copy in ("/c1-", "/c2-"):
        assert {key(f, copy) for f in run.findings if copy in str(f.focus)} == expected - shared, copy
    assert any(f.obligation == "CAM-7" and "/seats/c1-" in str(f.focus) for f in run.findings)
