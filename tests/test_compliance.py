"""Compliance runs on the sample: what is reported, in which formats, kept as runs and compared."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from pyoxigraph import NamedNode
from rdflib import RDF, BNode, Graph
from rdflib.namespace import SH, XSD

from service.compliance.derive import Thresholds, derive
from service.compliance.validate import diff_runs, list_runs, validate
from service.entailment import RULES_DIGEST
from service.namespaces import GRAPH, PK
from service.reasoning import read_data

AS_AT = date(2026, 11, 22)
ID = "https://w3id.org/partnerkg/id/"

# Every Violation the sample should show as at 22 November 2026 (data/sample/README.md lists them)
SAMPLE_VIOLATIONS = {
    ("CAM-1", "cambridgeshire-peterborough-lrf"),
    ("CAM-2a", "cambridgeshire-together"),
    ("CAM-2b", "gcp-housing"),
    ("CAM-2c", "cambridge-community-safety-partnership"),
    ("CAM-2d", "cambridgeshire-together"),
    ("CAM-3a", "cambridgeshire-peterborough-lrf"),
    ("CAM-3b", "sue-makebelieve-gcp-lead-member"),
    ("CAM-3c", "gcp-2025-10-02-busway"),
    ("CAM-3d", "ct-2025-07-10"),
    ("CAM-3e", "ccsp-2025-09-18"),
    ("CAM-4a", "cplrf-2025-05-15"),
    ("CAM-4a", "cplrf-2025-11-20"),
    ("CAM-4a", "cplrf-2026-05-14"),
    ("CAM-4a", "gcp-2025-06-26"),
    ("CAM-4b", "ccsp-2026-09-17"),
    ("CAM-4b", "cplrf-2025-05-15"),
    ("CAM-4b", "cplrf-2025-11-20"),
    ("CAM-4b", "cplrf-2026-05-14"),
    ("CAM-4c", "ccsp-2025-04-24"),
    ("CAM-4d", "ct-2025-11-13"),
    ("CAM-4d", "gcp-2026-06-25"),
    ("CAM-4e", "cambridgeshire-peterborough-lrf"),
    ("CAM-4e", "greater-cambridge-partnership"),
    ("CAM-4f", "cambridgeshire-peterborough-lrf"),
    ("CAM-4n", "cambridgeshire-peterborough-lrf"),
    ("CAM-5a", "greater-cambridge-partnership"),
    ("CAM-5b", "gcp-2025-10-02"),
    ("CAM-5c", "cambridgeshire-peterborough-lrf"),
    ("CAM-5d", "cambridge-community-safety-partnership"),
    ("CAM-5e", "greater-cambridge-partnership"),
    *{(f"CCC-P{n}", p) for n in range(1, 6) for p in ("carlisle-partnership", "cumbria-lrf")},
    ("CCC-P5", "cumbria-strategic-partnership"),
    ("CSP-D2", "csp-jcg-2024-07-11-venue"),
    ("CSP-D3", "csp-jcg-2024-07-11-data-sharing"),
    ("CSP-M1", "csp-jcg-2024-01-18"),
    ("CSP-M2", "csp-jcg-2024-01-18"),
    ("CSP-M3", "csp-forum-2024-06-20"),
}

# Every Warning (should) and Info (for information) it should show
CSP_REPRESENTATIVES = [
    *(
        f"{p}-clb-representative"
        for p in ("eve-fictional", "gita-testwell", "iris-notreal", "jon-madeup", "kim-imaginary")
    ),
    *(f"{p}-cceg-representative" for p in ("finn-mockford", "hal-dummyson", "lee-pretend", "mo-invented")),
    *(f"{p}-jcg-representative" for p in ("hal-dummyson", "iris-notreal", "jon-madeup", "kim-imaginary")),
]
SAMPLE_WARNINGS = {
    ("CCC-S1", "carlisle-partnership"),
    *{("CCC-S2", p) for p in ("finn-mockford", "gita-testwell", "hal-dummyson")},
    ("CCC-S3", "cumberland-2026-02-26-budget"),
    *{(o, "cumbria-lrf") for o in ("CCC-S4", "SOE-1", "SOE-4", "SOE-6")},
    *{
        ("CSP-A1", o)
        for o in (
            "action-with-communities-in-cumbria",
            "churches-together-in-cumbria",
            "cumberland-council",
            "cumbria-chamber-of-commerce",
            "cumbria-constabulary",
            "cumbria-tourism",
            "nhs-north-cumbria",
            "westmorland-and-furness-council",
        )
    },
    ("CSP-A2", "csp-nhs-discharge-protocol"),
    ("CSP-D1", "csp-clb-2023-12-14-funding-bid"),
    ("CSP-R1", "csp-clb-2023-12-14"),
    *{("CSP-R2", a) for a in CSP_REPRESENTATIVES},
    ("CSP-R3", "cumbria-strategic-partnership"),
    ("SOE-2", "westmorland-and-furness-council"),
    ("SOE-3", "cumbria-strategic-partnership"),
    *{
        ("SOE-5", a)
        for a in (
            *CSP_REPRESENTATIVES,
            "eve-fictional-clb-chair",
            "finn-mockford-clb-supporting-officer",
            "finn-mockford-jcg-chair",
            "finn-mockford-jcg-representative",  # his report-back is recorded: no CSP-R2
            "nia-exemplar-jcg-observer",
        )
    },
}
SAMPLE_INFOS = {
    ("CAM-1", "greater-cambridge-partnership"),
    *{("CAM-7", f"jac-{s}") for s in ("county", "east-cambridgeshire", "fenland", "huntingdonshire", "police")},
    ("CSP-M4", "csp-focus-on-skills"),
}


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def sample_run(sample_store):
    return validate(sample_store, as_at=AS_AT, save=False)


def test_the_samples_documented_breaches_and_nothing_else_at_violation_level(sample_run):
    violations = {(f.obligation, local(f.focus)) for f in sample_run.findings if f.severity == "Violation"}
    assert violations == SAMPLE_VIOLATIONS


def test_the_samples_documented_should_and_for_information_breaches_and_nothing_else(sample_run):
    warnings = {(f.obligation, local(f.focus)) for f in sample_run.findings if f.severity == "Warning"}
    infos = {(f.obligation, local(f.focus)) for f in sample_run.findings if f.severity == "Info"}
    assert warnings == SAMPLE_WARNINGS
    assert infos == SAMPLE_INFOS
    assert {f.severity for f in sample_run.findings} == {"Violation", "Warning", "Info"}


def test_the_sample_breaches_every_obligation(sample_run, obligations_csv):
    with open(obligations_csv, newline="", encoding="utf-8") as handle:
        obligations = {row["id"] for row in csv.DictReader(handle)}
    assert len(obligations) == 50
    assert {f.obligation for f in sample_run.findings} == obligations


def test_a_partnership_resting_only_on_additional_funding_is_valid_and_flagged_for_information(sample_run):
    gcp = [
        f for f in sample_run.findings if local(f.focus) == "greater-cambridge-partnership" and f.obligation == "CAM-1"
    ]
    assert [f.severity for f in gcp] == ["Info"]
    assert "web guide" in gcp[0].message


def test_a_finding_cites_obligation_clause_document_and_reads_plainly(sample_run):
    [f] = [f for f in sample_run.findings if f.obligation == "CAM-4c"]
    assert f.clause == "Principle 4 (c)" and f.seed == "003_55d4cc1fe37fef8c.txt"
    assert f.partnership_labels == ("Cambridge Community Safety Partnership",)
    assert f.message == (
        "Agenda for the meeting on 24 April 2025 was published 3 working days before it; "
        "Principle 4(c) asks for at least 5 (latest in time: 14 April 2025)."
    )
    assert f.focus_label.startswith("Cambridge Community Safety Partnership meeting")
    assert "{" not in "".join(x.message for x in sample_run.findings)


def test_each_meeting_shows_the_latest_date_its_papers_could_go_up(sample_store):
    data = read_data(sample_store)
    derived = derive(data, AS_AT)
    latest = {local(str(m)): str(d) for m, d in derived.subject_objects(PK.latestAgendaDate)}
    assert latest["ccsp-2025-04-24"] == "2025-04-14"  # Good Friday and Easter Monday skipped
    assert latest["ccsp-2026-04-16"] == "2026-04-08"
    assert len(latest) == len(set(data.subjects(PK.meetingDate, None)))


def test_counting_calendar_days_instead_clears_the_easter_agenda(sample_store):
    run = validate(sample_store, as_at=AS_AT, save=False, thresholds=Thresholds(day_counting="clear-calendar-days"))
    assert "ccsp-2025-04-24" not in {local(f.focus) for f in run.findings if f.obligation == "CAM-4c"}


def test_validation_as_at_a_past_date_reads_the_data_as_it_was(sample_store):
    run = validate(sample_store, as_at=date(2025, 6, 30), save=False)
    found = {(f.obligation, local(f.focus)) for f in run.findings}
    # the Community Safety Partnership's review of February 2025 was then within 12 months
    assert ("CAM-5d", "cambridge-community-safety-partnership") not in found
    # meetings after the date are not judged yet
    assert not any(local(f.focus) == "ccsp-2026-09-17" for f in run.findings)
    assert ("CAM-4c", "ccsp-2025-04-24") in found


def test_one_framework_only(sample_store):
    run = validate(sample_store, as_at=AS_AT, framework="CSP", save=False)
    assert run.findings and {f.obligation.split("-")[0] for f in run.findings} == {"CSP"}


@pytest.mark.slow
def test_one_partnership_equals_its_part_of_a_full_run(sample_store, sample_run):
    partnerships = sorted({p for f in sample_run.findings for p in f.partnerships})
    assert len(partnerships) == 7
    for p in partnerships:
        alone = validate(sample_store, as_at=AS_AT, partnership=p, save=False)
        assert {f.key for f in alone.findings} == {f.key for f in sample_run.findings if p in f.partnerships}, p


def test_the_scorecard_tells_met_not_met_no_evidence_and_not_applicable(sample_run):
    card = sample_run.scorecard[ID + "partnership/cambridge-community-safety-partnership"]["obligations"]
    assert card["CAM-4c"]["status"] == "not met"
    assert card["CAM-4a"]["status"] == "met"
    assert card["CAM-3c"]["status"] == "no evidence"  # no decision of its needs the council's confirmation
    assert card["CSP-D3"]["status"] == "not applicable"


def test_cli_formats_exit_codes_runs_and_diff(cli, tmp_path):
    assert cli("init").exit_code == 0
    as_at = ("--as-at", "2026-11-22")
    assert cli("validate", *as_at).exit_code == 1  # violations exist
    assert cli("validate", *as_at, "--fail-on", "none").exit_code == 0
    assert cli("validate", *as_at, "--framework", "CSP", "--fail-on", "warning").exit_code == 1
    report = json.loads(cli("validate", *as_at, "--format", "json", "--fail-on", "none").output)
    rows = list(csv.DictReader(io.StringIO(cli("validate", *as_at, "--format", "csv", "--fail-on", "none").output)))
    assert len(rows) == len(report["findings"]) == sum(report["counts"].values())
    assert {r["obligation"] for r in rows} >= {"CAM-4c", "CSP-D3"}
    shacl = Graph().parse(data=cli("validate", *as_at, "--format", "ttl", "--fail-on", "none").output, format="turtle")
    assert len(list(shacl.subjects(RDF.type, SH.ValidationResult))) == len(rows)
    html = cli("validate", *as_at, "--format", "html", "--fail-on", "none").output
    assert "<table>" in html and "CAM-4c" in html
    listing = cli("runs", "--format", "json").output
    assert len(json.loads(listing)) == 7  # every validate call above was kept


def test_a_second_run_after_fixing_data_shows_the_finding_resolved(cli, tmp_path):
    from service.store import EmbeddedStore

    cli("init")
    cli("validate", "--as-at", "2026-11-22")
    fix = tmp_path / "fix.ttl"
    fix.write_text(
        "<https://w3id.org/partnerkg/id/partnership/cambridgeshire-together> "
        "<https://w3id.org/partnerkg/def#hasGovernanceArrangement> <https://w3id.org/partnerkg/id/arrangement/ct-complaints> .\n"
        "<https://w3id.org/partnerkg/id/arrangement/ct-complaints> a <https://w3id.org/partnerkg/def#ComplaintsProcedure> .\n",
        encoding="utf-8",
    )
    assert cli("load", str(fix)).exit_code == 0
    cli("validate", "--as-at", "2026-11-22")
    store = EmbeddedStore(cli.location)
    first, second = [r.id for r in list_runs(store)]
    changes = diff_runs(store, first, second)
    store.close()
    assert [k[0:2] for k, _ in changes["resolved"]] == [("CAM-2d", ID + "partnership/cambridgeshire-together")]
    assert changes["new"] == []
    assert len(changes["unchanged"]) > 40
    text = cli("diff", first, second).output
    assert "resolved: 1" in text and "CAM-2d" in text
    assert cli("diff", first, "no-such-run").exit_code == 2


def test_validate_works_on_a_store_filled_with_load_alone(cli):
    from service.ingest.bootstrap import SAMPLE_DIR

    assert cli("load", *[str(p) for p in sorted(SAMPLE_DIR.glob("*.ttl"))]).exit_code == 0
    result = cli("validate", "--as-at", "2026-11-22", "--format", "json")
    assert result.exit_code == 1
    found = {
        (f["obligation"], local(f["focus"]))
        for f in json.loads(result.output)["findings"]
        if f["severity"] == "Violation"
    }
    assert found == SAMPLE_VIOLATIONS


def test_entailments_are_stored_in_their_own_graph_and_kept_current_when_data_changes(cli, tmp_path):
    """A full run stores the entailments; a small load after it brings them up to date at once (no run
    needed), stamped with the data's new state, and the next run reads them instead of computing them."""
    from service.store import EmbeddedStore

    def stamps() -> dict[str, list[str]]:
        store = EmbeddedStore(cli.location)
        rows = store.query(
            "SELECT ?p ?d WHERE { GRAPH <https://w3id.org/partnerkg/graph/sources> "
            "{ <https://w3id.org/partnerkg/graph/entailed> ?p ?d } }"
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["p"].value.rsplit("#", 1)[-1], []).append(row["d"].value)
        found["version"] = [store.data_version()]
        store.close()
        return found

    cli("init")
    cli("validate", "--as-at", "2026-11-22", "--no-save")
    first = stamps()
    assert len(first["dataDigest"]) == 1
    assert first["dataVersion"] == [f"{first['version'][0]}+{RULES_DIGEST}"]
    ask = (
        "ASK { GRAPH <https://w3id.org/partnerkg/graph/entailed> { "
        "<https://w3id.org/partnerkg/id/meeting/{m}> pk:forPartnership "
        "<https://w3id.org/partnerkg/id/partnership/cumbria-strategic-partnership> } }"
    )
    assert cli("query", ask.replace("{m}", "csp-clb-2023-06-15")).output.strip() == "true"
    assert cli("query", ask.replace("{m}", "csp-clb-2026-12-10")).output.strip() == "false"
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "<https://w3id.org/partnerkg/id/meeting/csp-clb-2026-12-10> a <https://w3id.org/partnerkg/def#Meeting> ; "
        "<https://w3id.org/partnerkg/def#meetingOf> <https://w3id.org/partnerkg/id/body/csp-clb> ; "
        '<https://w3id.org/partnerkg/def#meetingDate> "2026-12-10"^^<http://www.w3.org/2001/XMLSchema#date> .',
        encoding="utf-8",
    )
    cli("load", str(extra))
    assert cli("query", ask.replace("{m}", "csp-clb-2026-12-10")).output.strip() == "true"  # before any run
    kept = stamps()
    assert kept["version"] != first["version"]
    assert kept["dataVersion"] == [f"{kept['version'][0]}+{RULES_DIGEST}"]  # replaced, not accumulated
    assert "dataDigest" not in kept  # the digest named the data before the load
    cli("validate", "--as-at", "2026-11-22", "--no-save")
    assert stamps() == kept  # read, not computed again
    assert cli("query", ask.replace("{m}", "csp-clb-2026-12-10")).output.strip() == "true"


def test_entailments_stored_by_other_rules_are_computed_again(cli, monkeypatch):
    """The stored entailments name the rules that made them: after a change to the rules, the next run
    computes them again instead of reading a set that lacks what the new rules add."""
    from service.compliance import validate
    from service.store import EmbeddedStore

    def stored_digest() -> str:
        store = EmbeddedStore(cli.location)
        rows = list(
            store.query(
                "SELECT ?d WHERE { GRAPH <https://w3id.org/partnerkg/graph/sources> "
                "{ <https://w3id.org/partnerkg/graph/entailed> pk:dataDigest ?d } }"
            )
        )
        store.close()
        return rows[0]["d"].value

    cli("init")
    cli("validate", "--as-at", "2026-11-22", "--no-save")
    assert stored_digest().endswith("+" + validate.RULES_DIGEST)
    monkeypatch.setattr(validate, "RULES_DIGEST", "other-rules")
    cli("validate", "--as-at", "2026-11-22", "--no-save")
    assert stored_digest().endswith("+other-rules")


def test_sparql_targets_selected_on_oxigraph_are_the_ones_rdflib_selects(sample_store):
    """The run evaluates every sh:SPARQLTarget on Oxigraph and hands pySHACL the nodes as
    sh:targetNode lists; the nodes must be exactly those rdflib's engine (pySHACL's own) selects."""
    from datetime import date

    from service.compliance.derive import Thresholds, derive
    from service.compliance.validate import read_shapes, resolve_sparql_targets, with_vocabularies
    from service.namespaces import PREFIXES, SH
    from service.reasoning import read_data

    data = with_vocabularies(read_data(sample_store))
    data += derive(data, date(2026, 9, 1), Thresholds())
    shapes = read_shapes(sample_store)
    rewritten, targets = resolve_sparql_targets(data, shapes)
    prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
    assert len(targets) > 50 and any(targets.values())
    for target, nodes in targets.items():
        expected = {row[0] for row in data.query(prologue + str(shapes.value(target, SH.select)))}
        assert set(nodes) == expected, shapes.value(target, SH.select)
    assert not [t for t in rewritten.objects(None, SH.target) if rewritten.value(t, SH.select) is not None]


def test_a_run_reads_its_data_from_the_cache_until_the_data_changes(tmp_path):
    """The run cache holds the data read under the store's data version: a second run parses it instead
    of reading the store, and any write of data makes the next run read the store again."""
    from service.compliance.validate import cache_directory
    from service.ingest.bootstrap import init_store
    from service.store import EmbeddedStore

    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    first = validate(s, as_at=AS_AT, save=True)
    cache = cache_directory(s)

    def copies() -> list[str]:
        return sorted(p.name for p in cache.iterdir() if p.name.startswith(("data-", "entailed-")))

    kept = copies()
    assert [n.split("-")[0] for n in kept] == ["data", "entailed"]
    asked = []
    real, real_copy = s.query, s.copy_graphs_into
    s.query = lambda sparql, **kw: asked.append(sparql) or real(sparql, **kw)  # type: ignore[method-assign]
    s.copy_graphs_into = lambda *a: asked.append("copy") or real_copy(*a)  # type: ignore[method-assign]
    again = validate(s, as_at=AS_AT, save=True)  # saving a run is no data write: the same cache
    copied = [q for q in asked if q == "copy" or q.startswith("CONSTRUCT") and "graph/shapes>" not in q]
    assert not copied  # neither the data nor the entailments are read (nor the shapes: same data version)
    del s.query, s.copy_graphs_into
    assert copies() == kept
    assert {f.key for f in again.findings} == {f.key for f in first.findings}
    assert again.data_digest == first.data_digest
    # a breach mended by a SPARQL update: the next run reads the store again and sees it
    mended = next(f for f in first.findings if f.obligation == "CAM-4c")
    s.update(f"DELETE WHERE {{ GRAPH ?g {{ <{mended.focus}> ?p ?o }} }}")
    s.copy_graphs_into = lambda *a: asked.append("copy") or real_copy(*a)  # type: ignore[method-assign]
    after = validate(s, as_at=AS_AT, save=False)
    assert asked[-1] == "copy"
    assert mended.key not in {f.key for f in after.findings} and after.data_digest != first.data_digest
    assert copies() != kept and len(copies()) == 2
    s.close()


def test_runs_share_the_compiled_shapes_but_not_their_terms(sample_store):
    """Shapes are read and compiled once per process while unchanged; each run converts its own terms,
    so a long-lived process does not keep every term of every run."""
    from service.compliance import validate as module

    shapes = module.read_shapes(sample_store)
    assert module.read_shapes(sample_store) is shapes
    one, two = module.compiled_engine(shapes), module.compiled_engine(shapes)
    assert one is not two and one.checks is two.checks
    validate(sample_store, as_at=AS_AT, partnership=ID + "partnership/cumbria-lrf", save=False)
    kept = list(module._ENGINES.values())
    assert len(kept) == 1 and kept[0].checks is one.checks and not kept[0]._terms


def test_shapes_changed_in_the_store_are_read_again(tmp_path):
    """read_shapes knows the shapes by the store's data version while it stands: a write of the shapes
    graph renames it, and the next run reads and uses the new shapes."""
    from service.compliance.validate import read_shapes
    from service.ingest.bootstrap import init_store
    from service.store import EmbeddedStore

    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    shapes = read_shapes(s)
    assert read_shapes(s) is shapes
    before = validate(s, as_at=AS_AT, save=False)
    dropped = next(f for f in before.findings if "/shape/" in f.shape)  # a shape with an IRI of its own
    s.update(f"DELETE WHERE {{ GRAPH <{GRAPH['shapes']}> {{ <{dropped.shape}> ?p ?o }} }}")
    assert read_shapes(s) is not shapes
    after = validate(s, as_at=AS_AT, save=False)
    assert before.findings and not [f for f in after.findings if f.shape == dropped.shape]
    s.close()


def test_the_garbage_collector_is_held_off_during_runs_and_let_go_after(sample_store, monkeypatch):
    """A run holds Python's cyclic collector off (its full collections cost seconds at scale) and lets
    it go when the last run under way ends, also when a run fails; a collector someone else turned
    off stays off."""
    import gc

    from service.compliance import validate as module

    seen = []
    inner = module.dated_values

    def watching(*args, **kwargs):
        seen.append(gc.isenabled())
        return inner(*args, **kwargs)

    monkeypatch.setattr(module, "dated_values", watching)
    assert gc.isenabled()
    validate(sample_store, as_at=AS_AT, save=False)
    assert seen == [False] and gc.isenabled()

    # two runs at once (the service's threads): the collector stays off until the second ends
    with module.collector_paused():
        with module.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    with pytest.raises(module.ValidationError):
        validate(sample_store, as_at=AS_AT, partnership=ID + "partnership/no-such-thing", save=False)
    assert gc.isenabled()

    gc.disable()
    try:
        validate(sample_store, as_at=AS_AT, save=False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_report_holds_each_quad_once_and_spells_out_each_path(sample_run):
    """Results that share a path which is not a plain predicate (an inverse, a sequence) share its
    description in the report graph: written once, never once per result."""
    quads = sample_run.report_quads
    assert len(quads) == len(set(quads))
    report = sample_run.report
    paths = [p for p in report.objects(None, SH.resultPath) if isinstance(p, BNode)]
    assert len(paths) > len(set(paths))  # the sample has results sharing such a path
    for path in set(paths):
        assert any(p in (SH.inversePath, RDF.first) for p in report.predicates(path))


@pytest.mark.parametrize("bulk", [False, True])
def test_a_run_whose_scorecard_fails_keeps_nothing_and_a_saved_run_keeps_its_scorecard(tmp_path, monkeypatch, bulk):
    """The scorecard is made before the report is written (in bulk at scale), and committed with it
    among the run's notes. A failed scorecard leaves the store as it was, at either size."""
    from pyoxigraph import NamedNode

    from service.compliance import report
    from service.compliance.validate import stored_scorecard, stored_tally
    from service.ingest.bootstrap import init_store
    from service.store import EmbeddedStore, embedded

    if bulk:
        monkeypatch.setattr(embedded, "BULK_WRITE", 10)
    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    validate(s, as_at=AS_AT, save=False)  # the entailments are stored: only the run's own writes differ below
    s.settle()
    before = sorted((g.name, g.triples) for g in s.graphs())

    def failing(*args, **kwargs):
        raise RuntimeError("the scorecard failed")

    with monkeypatch.context() as patched:
        patched.setattr(report, "scorecard", failing)
        with pytest.raises(RuntimeError, match="scorecard failed"):
            validate(s, as_at=AS_AT, save=True)
    s.settle()
    assert sorted((g.name, g.triples) for g in s.graphs()) == before and list_runs(s) == []
    run = validate(s, as_at=AS_AT, save=True)
    [kept] = list_runs(s)
    assert kept.iri == run.iri and stored_scorecard(s, kept) == json.loads(json.dumps(run.scorecard))
    assert (None, PK.partnershipScorecard, None) not in run.report  # the run's report stays the SHACL report
    assert s.has_graph(NamedNode("https://w3id.org/partnerkg/graph/run/" + run.id))
    # a partnership's row is read alone (its page); the obligations page reads the tally kept with the run
    p = ID + "partnership/cambridge-community-safety-partnership"
    assert stored_scorecard(s, kept, p) == {p: json.loads(json.dumps(run.scorecard[p]))}
    tally = stored_tally(s, kept)
    assert tally == run.tally() and sum(tally["CAM-4c"].values()) == len(run.scorecard) > 1
    assert tally["CAM-4c"]["not met"] >= 1
    # a run kept before the rows were kept apart has its whole scorecard in the runs graph, and no tally
    s.update(f"""DELETE WHERE {{ GRAPH <{kept.report_graph}> {{ ?p pk:partnershipScorecard ?c }} }} ;
        DELETE WHERE {{ GRAPH <{GRAPH["runs"]}> {{ <{kept.iri}> pk:obligationTally ?t }} }} ;
        INSERT DATA {{ GRAPH <{GRAPH["runs"]}> {{ <{kept.iri}> pk:scorecard {json.dumps(json.dumps(run.scorecard))} }} }}""")
    assert stored_scorecard(s, kept) == json.loads(json.dumps(run.scorecard))
    assert stored_scorecard(s, kept, p) == {p: json.loads(json.dumps(run.scorecard[p]))}
    assert stored_tally(s, kept) == tally
    s.close()


def test_pruning_forgets_old_runs_and_drops_only_the_reports_no_kept_run_shares(tmp_path):
    """prune_runs keeps the latest runs and the latest run over all partnerships (the pages' run); a
    report graph goes only when no kept run names it; the data's state and the kept reports stay."""
    from service.compliance.validate import Pruned, ValidationError, prune_runs, stored_findings
    from service.ingest.bootstrap import init_store
    from service.store import EmbeddedStore

    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    a = validate(s, as_at=AS_AT)
    b = validate(s, as_at=AS_AT)  # says what a says: shares a's report graph
    c = validate(s, as_at=date(2026, 6, 30))  # other findings: a report of its own
    d = validate(s, as_at=AS_AT, partnership=ID + "partnership/cambridgeshire-together")
    graph = {r.id: r.report_graph for r in list_runs(s)}
    assert graph[b.id] == graph[a.id] and len({graph[a.id], graph[c.id], graph[d.id]}) == 3
    version = s.data_version()
    sizes = {g.name: g.triples for g in s.graphs()}
    findings_c = stored_findings(s, c.id)

    would = prune_runs(s, 1, dry_run=True)  # d is the latest, c the latest over all partnerships
    assert [r.id for r in would.runs] == [a.id, b.id] and would.graphs == [graph[a.id]]
    assert [r.id for r in list_runs(s)] == [a.id, b.id, c.id, d.id]

    first = list_runs(s)[0]
    assert prune_runs(s, 3) == Pruned([first], [])  # b still uses a's report
    assert [r.id for r in list_runs(s)] == [b.id, c.id, d.id]
    assert {g.name: g.triples for g in s.graphs()}[graph[a.id]] == sizes[graph[a.id]]

    pruned = prune_runs(s, 1)
    assert [r.id for r in pruned.runs] == [b.id] and pruned.graphs == [graph[a.id]]
    assert [r.id for r in list_runs(s)] == [c.id, d.id]
    left = {g.name: g.triples for g in s.graphs()}
    assert graph[a.id] not in left
    assert {n: t for n, t in left.items() if n != str(GRAPH["runs"])} == {
        n: t for n, t in sizes.items() if n not in (graph[a.id], str(GRAPH["runs"]))
    }
    said = s.query(f"ASK {{ GRAPH <{GRAPH['runs']}> {{ VALUES ?r {{ <{a.iri}> <{b.iri}> }} ?r ?p ?o }} }}")
    assert not said
    assert stored_findings(s, c.id) == findings_c
    assert s.data_version() == version  # no data changed: later runs reuse what the earlier ones kept
    with pytest.raises(ValidationError, match="no run"):
        diff_runs(s, a.id, c.id)
    with pytest.raises(ValidationError, match="1 or more"):
        prune_runs(s, 0)
    s.close()


def test_prune_on_the_command_line(cli):
    cli("init")
    cli("validate", "--as-at", "2026-11-22", "--fail-on", "none")
    cli("validate", "--as-at", "2026-06-30", "--fail-on", "none")
    first, second = (r["id"] for r in json.loads(cli("runs", "--format", "json").output))
    dry = cli("prune", "--keep-last", "1", "--dry-run")
    assert dry.exit_code == 0 and f"would forget run {first}" in dry.output and second not in dry.output
    assert "would forget 1 run; would drop 1 report graph" in dry.output
    assert len(json.loads(cli("runs", "--format", "json").output)) == 2
    done = cli("prune", "--keep-last", "1")
    assert done.exit_code == 0 and f"forgot run {first}" in done.output
    assert [r["id"] for r in json.loads(cli("runs", "--format", "json").output)] == [second]
    graphs = cli("graphs", "--format", "json").output
    assert first not in graphs and second in graphs
    refused = cli("prune", "--keep-last", "0")
    assert refused.exit_code == 2 and "must be 1 or more" in refused.output
    assert cli("prune").exit_code == 2  # --keep-last is required


def test_a_prune_stopped_part_way_is_finished_when_the_store_is_next_opened(tmp_path, monkeypatch):
    """Once the runs' records are gone, the reports they alone used go too, even if the process stops
    before it drops them: the next open for writing drops them."""
    from service.compliance.validate import prune_runs
    from service.ingest.bootstrap import init_store
    from service.store import EmbeddedStore

    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    old = validate(s, as_at=AS_AT)
    new = validate(s, as_at=date(2026, 6, 30))

    def stopped() -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(s, "_apply_journal", stopped)
    with pytest.raises(KeyboardInterrupt):
        prune_runs(s, 1)
    assert old.iri not in {r.iri for r in list_runs(s)}
    assert s.has_graph(NamedNode(str(GRAPH["run/" + old.id])))  # not yet dropped
    monkeypatch.undo()
    s.close()
    s = EmbeddedStore(tmp_path / "store")
    assert [r.id for r in list_runs(s)] == [new.id]
    names = s.graph_names()
    assert str(GRAPH["run/" + old.id]) not in names and str(GRAPH["run/" + new.id]) in names
    assert not [n for n in names if "staging" in n]
    s.close()


def test_a_run_whose_report_says_the_same_shares_the_earlier_report_graph(tmp_path, monkeypatch):
    """A kept run whose report says what a kept run's says (a nightly run on unchanged data) writes its
    metadata only and names that run's report graph as its own; a run that finds anything else, or
    words a finding otherwise, keeps a report graph of its own. Every reader follows pk:reportGraph."""
    from pyoxigraph import NamedNode

    from service.compliance import report
    from service.compliance.validate import stored_findings, stored_scorecard
    from service.ingest.bootstrap import init_store
    from service.queries import run_query
    from service.store import EmbeddedStore

    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    first = validate(s, as_at=AS_AT)
    before = {g.name: g.triples for g in s.graphs()}
    second = validate(s, as_at=AS_AT)
    assert first.report_digest and second.report_digest == first.report_digest
    runs = list_runs(s)
    assert [r.id for r in runs] == [first.id, second.id]
    assert runs[1].report_graph == runs[0].report_graph == str(GRAPH["run/" + first.id])
    after = {g.name: g.triples for g in s.graphs()}
    assert {k: v for k, v in after.items() if k != str(GRAPH["runs"])} == {
        k: v for k, v in before.items() if k != str(GRAPH["runs"])
    }
    assert not s.has_graph(NamedNode(str(GRAPH["run/" + second.id])))
    assert stored_findings(s, second.id) == stored_findings(s, first.id) != {}
    # the scorecard is the first's too, kept row by row in its report graph, not written again (60 MB
    # at 10,000 partnerships); each run keeps its tally
    assert stored_scorecard(s, runs[1]) == stored_scorecard(s, runs[0]) == json.loads(json.dumps(first.scorecard))
    cards = run_query(s, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?p pk:partnershipScorecard ?c } } GROUP BY ?g")
    assert [(r[0].value, int(r[1].value)) for r in cards.rows] == [(runs[0].report_graph, len(first.scorecard))]
    tallies = run_query(s, f"SELECT ?r WHERE {{ GRAPH <{GRAPH['runs']}> {{ ?r pk:obligationTally ?t }} }} ORDER BY ?r")
    assert sorted(r[0].value for r in tallies.rows) == sorted([first.iri, second.iri])
    assert not run_query(s, "ASK { GRAPH ?g { ?r pk:scorecard ?c } }").boolean
    assert diff_runs(s, first.id, second.id)["new"] == [] and diff_runs(s, first.id, second.id)["resolved"] == []

    # the same findings with another scorecard: a report graph and scorecard of the run's own
    real = report.scorecard
    renamed = ID + "partnership/carlisle-partnership"

    def relabelled(*args, **kwargs):
        card = real(*args, **kwargs)
        return {**card, renamed: {**card[renamed], "label": "Carlisle Partnership (renamed)"}}

    monkeypatch.setattr(report, "scorecard", relabelled)
    other = validate(s, as_at=AS_AT)
    monkeypatch.setattr(report, "scorecard", real)
    assert other.findings == first.findings and other.report_digest != first.report_digest
    assert list_runs(s)[-1].report_graph == str(GRAPH["run/" + other.id])
    assert stored_scorecard(s, list_runs(s)[-1], renamed)[renamed]["label"] == "Carlisle Partnership (renamed)"
    # as at another date the sample has other findings: a report graph of the run's own
    third = validate(s, as_at=date(2025, 6, 30))
    assert third.report_digest != first.report_digest
    assert list_runs(s)[-1].report_graph == str(GRAPH["run/" + third.id])
    assert s.has_graph(NamedNode(str(GRAPH["run/" + third.id])))
    # and back to the first's findings: shared again, with the first's graph
    fourth = validate(s, as_at=AS_AT)
    assert list_runs(s)[-1].report_graph == str(GRAPH["run/" + first.id]) and fourth.findings == first.findings
    s.close()


def test_the_report_digest_follows_what_the_report_says(tmp_path):
    """Two runs on the same data and date give the same digest; a finding worded otherwise, given to
    another partnership, or made by other shapes gives another; the order of the results does not count."""
    from dataclasses import replace

    from service.compliance import validate as module
    from service.ingest.bootstrap import init_store
    from service.store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=True)
    captured = []
    real = module.report_digest

    def keep(pairs, shapes):
        captured.append((list(pairs), shapes))
        return real(pairs, shapes)

    module.report_digest = keep
    try:
        validate(store, as_at=AS_AT, save=True)
    finally:
        module.report_digest = real
        store.close()
    [(pairs, shapes)] = captured
    digest = real(pairs, shapes)
    assert len(digest) == 64 and real(list(reversed(pairs)), shapes) == digest
    result, finding = pairs[0]
    reworded = [(result, replace(finding, message=finding.message + "!"))] + pairs[1:]
    moved = [(result, replace(finding, partnerships=(*finding.partnerships, ID + "partnership/other")))] + pairs[1:]
    assert len({digest, real(reworded, shapes), real(moved, shapes), real(pairs, "other shapes")}) == 4
    assert real(pairs[1:], shapes) != digest


def test_a_partnerships_cut_reads_the_vocabularies_once_per_data_state(tmp_path):
    """The ontology and policies a one-partnership run copies are read from the store once per data
    state and kept for the next run; a write to them (a new state) is seen by the next run."""
    from pyoxigraph import Literal, NamedNode, Quad

    from service.compliance.validate import working_copy_for
    from service.ingest.bootstrap import init_store
    from service.namespaces import GRAPH
    from service.store import EmbeddedStore

    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    partnership = ID + "partnership/cumbria-lrf"
    ontology = NamedNode(str(GRAPH["ontology"]))
    read = []
    real = s.match
    s.match = lambda *a: (read.append(a[3]) if a[3] == ontology and a[0] is None else None) or real(*a)  # type: ignore[method-assign]
    first = working_copy_for(s, partnership)
    assert read == [ontology]
    again = working_copy_for(s, partnership)
    assert read == [ontology] and set(again) == set(first)  # kept: not read again
    note = Quad(
        NamedNode("http://example.org/new-term"),
        NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
        Literal("new"),
        ontology,
    )
    s.write_graphs([note], [ontology], append=True)
    after = working_copy_for(s, partnership)
    assert read == [ontology, ontology] and Quad(note.subject, note.predicate, note.object) in set(after)
    del s.match
    s.close()


def test_what_is_assessed_through_a_partnerships_objective_is_in_its_cut(tmp_path):
    """An assessment of a partnership's objective is the partnership's (PARTS, then INCOMING): written
    after a full run, while the entailments and the hanging index are kept current, it is in that
    partnership's one-partnership cut and in no other's."""
    from pyoxigraph import Literal, NamedNode, Quad

    from service.compliance.validate import working_copy_for
    from service.ingest.bootstrap import init_store
    from service.store import EmbeddedStore

    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    validate(s, as_at=AS_AT, save=False)  # the entailments and the hanging index stored
    graph = NamedNode(str(GRAPH["file/assessment"]))
    review = NamedNode(ID + "review/gcp-transport-2026")
    written = [
        Quad(review, NamedNode(str(RDF.type)), NamedNode(str(PK.Assessment)), graph),
        Quad(review, NamedNode(str(PK.assesses)), NamedNode(ID + "partnership-objective/gcp-transport"), graph),
        Quad(
            review, NamedNode(str(PK.assessmentDate)), Literal("2026-03-02", datatype=NamedNode(str(XSD.date))), graph
        ),
    ]
    s.write_graphs(written, [graph])  # a small write: the entailments and the index are kept current
    cut = set(working_copy_for(s, ID + "partnership/greater-cambridge-partnership"))  # type: ignore[arg-type]
    assert {Quad(q.subject, q.predicate, q.object) for q in written} <= cut
    other = set(working_copy_for(s, ID + "partnership/cambridgeshire-together"))  # type: ignore[arg-type]
    assert not any(q.subject == review for q in other)
    s.close()


def test_a_run_leaves_its_working_store_to_its_caller_only_when_asked(sample_store, sample_run):
    """By default a full run frees its working store before the report's write; with let_go_later it is
    left on the run (the CLI frees it beside the store's closing), with the same findings."""
    import pyoxigraph as ox

    assert sample_run.working == []
    run = validate(sample_store, as_at=AS_AT, save=False, let_go_later=True)
    assert [f.key for f in run.findings] == [f.key for f in sample_run.findings]
    (work,) = run.working
    lrf = ox.NamedNode(ID + "partnership/cumbria-lrf")
    assert isinstance(work, ox.Store) and work.query(f"ASK {{ {lrf} a <{PK.Partnership}> }}")
    del work
    run.let_go()
    assert run.working == []
