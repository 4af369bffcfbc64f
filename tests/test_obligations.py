"""For every obligation checked from the data: a minimal conforming register (compliance/base.ttl,
no finding at all) and, for each obligation, one small change that breaks it. Each case asserts that
exactly that obligation is reported, on exactly that focus node. Where two obligations ask for the
same evidence (a link to a strategic objective; any recent review), the case names both."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from service.compliance.validate import validate
from service.ingest.bootstrap import init_store
from service.ingest.rdf import load_files
from service.store import EmbeddedStore

BASE = Path(__file__).parent / "compliance" / "base.ttl"
AS_AT = date(2026, 11, 22)
GRAPH = "https://w3id.org/partnerkg/graph/file/base.ttl"
PREFIX = "PREFIX t: <https://w3id.org/partnerkg/id/test/> PREFIX organisation: <https://w3id.org/partnerkg/id/organisation/>\n"
T = "https://w3id.org/partnerkg/id/test/"


def delete(triples: str) -> str:
    return f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ {triples} }} }}"


def insert(triples: str) -> str:
    return f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {triples} }} }}"


def change(subject: str, predicate: str, new: str) -> str:
    return (
        f"DELETE {{ GRAPH <{GRAPH}> {{ {subject} {predicate} ?old }} }} "
        f"INSERT {{ GRAPH <{GRAPH}> {{ {subject} {predicate} {new} }} }} "
        f"WHERE {{ GRAPH <{GRAPH}> {{ {subject} {predicate} ?old }} }}"
    )


# (obligations expected, focus node, the change that breaks the base register)
CASES = [
    ({"CAM-1"}, "alpha", delete("t:justification ?p ?o")),
    ({"CAM-2a"}, "alpha", delete("t:alpha pk:hasGovernanceArrangement t:tor")),
    ({"CAM-2b"}, "objective", delete("t:objective pk:hasTarget ?t")),
    ({"CAM-2c"}, "alpha", delete("t:alpha pk:hasGovernanceArrangement t:risk")),
    ({"CAM-2d"}, "alpha", delete("t:alpha pk:hasGovernanceArrangement t:complaints")),
    ({"CAM-3a"}, "alpha", delete("?person pk:councillorOf organisation:cambridge-city-council")),
    ({"CAM-3b"}, "ann-lead", delete("t:ann-lead pk:remit ?r")),
    ({"CAM-3c"}, "d1", delete("t:d1 pk:confirmedBy ?c")),
    ({"CAM-3d"}, "m1", delete("t:m1-brief-ann ?p ?o")),
    ({"CAM-3e"}, "m1", delete("t:m1-brief-bob ?p ?o")),
    ({"CAM-4a"}, "m1", change("t:m1", "pk:heldInPublic", "false")),
    ({"CAM-4b"}, "m1", delete("t:m1 pk:publicNotice ?n")),
    ({"CAM-4c"}, "m1", change("t:m1-agenda", "dcterms:issued", '"2026-06-05"^^xsd:date')),
    ({"CAM-4d"}, "m1", change("t:m1-minutes", "dcterms:issued", '"2026-07-30"^^xsd:date')),
    ({"CAM-4e"}, "alpha", delete("t:ola pk:contactPublishedAt ?page")),
    ({"CAM-4f"}, "alpha", delete("t:alpha pk:hasGovernanceArrangement t:engagement")),
    ({"CAM-4n"}, "alpha", delete("t:alpha pk:councilWebPage ?page")),
    ({"CAM-5a"}, "alpha", change("t:council-money", "pk:financialYear", '"2025-26"')),
    (
        {"CAM-5b"},
        "m1",
        insert(
            " ".join(
                f"t:extra{i} a pk:Officer ; pk:officerOf organisation:cambridge-city-council . "
                f"t:m1-extra{i} a pk:Attendance ; pk:atMeeting t:m1 ; pk:attendee t:extra{i} ; "
                f"pk:onBehalfOf organisation:cambridge-city-council ; pk:capacity code:role-supporting-officer ."
                for i in range(3)
            )
        ),
    ),
    ({"CAM-5c"}, "alpha", delete("t:partner-money ?p ?o")),
    ({"CAM-5d"}, "alpha", change("t:resource-review", "pk:assessmentDate", '"2025-06-01"^^xsd:date')),
    ({"CAM-5e"}, "alpha", change("t:scrutiny", "pk:assessmentDate", '"2025-06-01"^^xsd:date')),
    ({"CAM-7"}, "seats", change("t:seats", "pk:seatCount", "2")),
    *[({f"CCC-P{n}"}, "beta", delete(f"t:health-{n} ?p ?o")) for n in range(1, 6)],
    ({"CCC-S1", "SOE-1"}, "beta", delete("t:beta pk:servesObjective ?o")),
    ({"CCC-S2"}, "cal", delete("t:cal-trained ?p ?o")),
    ({"CCC-S3"}, "budget", delete("t:budget pk:partnershipImpact ?i")),
    ({"CCC-S4", "SOE-4", "SOE-6"}, "beta", delete("t:review-soe6 ?p ?o . t:appraisal ?q ?r")),
    ({"SOE-1"}, "beta", delete("t:beta pk:hasOutcome ?o")),
    ({"SOE-2"}, "cumbria-county-council", delete("t:soe2 ?p ?o")),
    ({"SOE-3"}, "beta", change("t:value-dee", "pk:valueRating", "code:value-low")),
    ({"SOE-4"}, "beta", delete("t:appraisal ?p ?o")),
    ({"SOE-5"}, "dee-rep", delete("t:dee-rep pk:remit ?r")),
    ({"SOE-6"}, "beta", delete("t:review-soe6 pk:reviewOutcome ?o")),
    ({"CSP-A1"}, "charity", delete("t:charity-asks ?p ?o")),
    ({"CSP-A2"}, "action", delete("t:notice ?p ?o")),
    ({"CSP-R1"}, "mb", delete("t:mb-dee ?p ?o")),
    ({"CSP-R2"}, "dee-rep", delete("t:dee-reports ?p ?o")),
    ({"CSP-R3"}, "beta", delete("t:review-csp ?p ?o")),
    (
        {"CSP-M1"},
        "mb",
        insert(
            't:fay a pk:Officer ; foaf:name "Fay" . t:mb-fay a pk:Attendance ; pk:atMeeting t:mb ; '
            "pk:attendee t:fay ; pk:onBehalfOf t:partner ; pk:capacity code:role-representative ."
        ),
    ),
    (
        {"CSP-M2"},
        "mb",
        insert("t:db pk:vote t:db-v3 . t:db-v3 a pk:Vote ; pk:castBy t:observer-body ; pk:voteValue code:vote-for ."),
    ),
    ({"CSP-M3"}, "mf", change("t:mf", "pk:heldInPublic", "false")),
    ({"CSP-M4"}, "forum", change("t:forum", "pk:attendanceRestricted", "true")),
    ({"CSP-D1"}, "db", delete("t:db pk:decisionMethod ?m")),
    (
        {"CSP-D2"},
        "db",
        insert("t:db pk:vote t:db-v3 . t:db-v3 a pk:Vote ; pk:castBy t:charity ; pk:voteValue code:vote-for ."),
    ),
    ({"CSP-D3"}, "d2", delete("t:d2 pk:castingVote ?c")),
]


@pytest.fixture(scope="module")
def base_location(tmp_path_factory) -> Path:
    """A store with ontology, policies, shapes and the conforming base register, copied per case."""
    location = tmp_path_factory.mktemp("base") / "store"
    store = EmbeddedStore(location)
    init_store(store, sample=False)
    load_files(store, [BASE])
    store.close()
    return location


@pytest.fixture
def base_store(base_location, tmp_path):
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(base_location, copy, ignore=shutil.ignore_patterns("LOCK"))
    store = EmbeddedStore(copy)
    yield store
    store.close()


def found(store) -> set[tuple[str, str]]:
    return {(f.obligation, f.focus.rsplit("/", 1)[-1]) for f in validate(store, as_at=AS_AT, save=False).findings}


def test_the_base_register_meets_every_obligation(base_store):
    assert found(base_store) == set()


@pytest.mark.parametrize(("expected", "focus", "update"), CASES, ids=[" ".join(sorted(c[0])) for c in CASES])
def test_breaking_one_obligation_reports_exactly_it(base_store, expected, focus, update):
    base_store.update(PREFIX + update)
    assert found(base_store) == {(oid, focus) for oid in expected}


def test_every_data_obligation_has_a_case(obligations_csv):
    with open(obligations_csv, encoding="utf-8") as handle:
        checked = {r["id"] for r in csv.DictReader(handle) if r["check"] in ("data", "assessment")}
    covered = set().union(*(c[0] for c in CASES))
    assert checked <= covered, sorted(checked - covered)
