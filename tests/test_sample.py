"""The sample says what the seeds name, across the 2023 reorganisation, with known breaches."""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest

from service.ingest.bootstrap import SAMPLE_DIR
from service.store import EmbeddedStore


def select(store, query: str) -> list[dict[str, str]]:
    result = store.query(query, union_default_graph=True)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def one(store, query: str) -> str:
    [row] = select(store, query)
    return next(iter(row.values()))


def test_at_least_eight_partnerships_with_real_names(sample_store):
    names = {r["name"] for r in select(sample_store, "SELECT ?name WHERE { ?p a pk:Partnership ; rdfs:label ?name }")}
    assert len(names) >= 8
    assert {"Cumbria Strategic Partnership", "Cambridgeshire Together"} <= names


def test_csp_has_its_four_bodies_and_gonw_observes_jcg(sample_store):
    bodies = select(
        sample_store,
        """SELECT ?alt WHERE { ?csp rdfs:label "Cumbria Strategic Partnership"@en ;
        org:hasSubOrganization ?b . ?b rdfs:label ?alt }""",
    )
    # the four the seed document names, and a Forum event series that breaks CSP-M4 on purpose
    assert {r["alt"] for r in bodies} == {"CSP CLB", "CSP CCEG", "CSP JCG", "CSP Forum", "CSP Focus On: Skills"}
    observer = one(
        sample_store,
        """SELECT ?name WHERE { ?m org:organization ?jcg ; org:role code:role-observer ;
        org:member/rdfs:label ?name . ?jcg skos:altLabel "JCG" ; a pk:PartnershipBody }""",
    )
    assert observer == "Government Office for the North West"


def test_partners_come_from_all_three_sectors(sample_store):
    rows = select(
        sample_store,
        "SELECT DISTINCT ?top WHERE { ?o pk:sector ?s . ?s skos:broader* ?top . ?top skos:topConceptOf code:sector }",
    )
    assert {r["top"].rsplit("/", 1)[-1] for r in rows} == {"sector-public", "sector-private", "sector-third"}
    third = select(sample_store, "SELECT DISTINCT ?s WHERE { ?o pk:sector ?s . ?s skos:broader code:sector-third }")
    assert len(third) == 3  # community, voluntary and faith


def test_the_2023_reorganisation_is_recorded(sample_store):
    rows = select(
        sample_store,
        """SELECT ?old ?new WHERE { ?e a pk:Reorganisation ; org:originalOrganization ?o ;
        org:resultingOrganization ?n . ?o rdfs:label ?old . ?n rdfs:label ?new }""",
    )
    assert {r["new"] for r in rows} == {"Cumberland Council", "Westmorland and Furness Council"}
    assert len({r["old"] for r in rows}) == 7
    assert (
        one(sample_store, 'SELECT ?d WHERE { ?c rdfs:label "Cumbria County Council"@en ; pk:abolishedOn ?d }')
        == "2023-04-01"
    )


AS_AT = """SELECT ?name WHERE {{
  ?m org:organization ?clb ; org:member ?o ; org:memberDuring ?i .
  ?clb skos:altLabel "CLB" . ?o rdfs:label ?name .
  ?i time:hasBeginning/time:inXSDDate ?start .
  OPTIONAL {{ ?i time:hasEnd/time:inXSDDate ?end }}
  FILTER (?start <= "{day}"^^xsd:date && (!BOUND(?end) || ?end >= "{day}"^^xsd:date))
}}"""


def test_membership_can_be_asked_as_at_a_date(sample_store):
    before = {r["name"] for r in select(sample_store, AS_AT.format(day="2023-03-01"))}
    after = {r["name"] for r in select(sample_store, AS_AT.format(day="2023-06-01"))}
    assert "Cumbria County Council" in before and "Cumberland Council" not in before
    assert "Cumberland Council" in after and "Cumbria County Council" not in after


def test_meetings_span_two_years_and_fall_near_easter_and_christmas(sample_store):
    days = [date.fromisoformat(r["d"]) for r in select(sample_store, "SELECT ?d WHERE { ?m pk:meetingDate ?d }")]
    assert len(days) >= 40
    assert (max(days) - min(days)).days >= 730
    easter_weeks = {(2023, 4), (2024, 4), (2025, 4), (2026, 4)}
    assert any((d.year, d.month) in easter_weeks and d.day <= 24 for d in days)
    assert any(d.month == 12 and d.day >= 14 for d in days) and any(d.month == 1 and d.day <= 12 for d in days)


def test_a_tied_ballot_is_settled_by_the_chairs_casting_vote(sample_store):
    rows = select(
        sample_store,
        """SELECT ?d (SUM(IF(?v = code:vote-for, 1, 0)) AS ?for) (SUM(IF(?v = code:vote-against, 1, 0)) AS ?against)
        WHERE { ?d pk:decisionMethod code:method-ballot ; pk:castingVote ?cv ; pk:vote/pk:voteValue ?v } GROUP BY ?d""",
    )
    assert any(r["for"] == r["against"] for r in rows)


def test_briefings_decisions_resources_and_reviews_are_present(sample_store):
    for cls, least in (
        ("Briefing", 20),
        ("Decision", 8),
        ("ResourceCommitment", 10),
        ("Review", 6),
        ("SeatAllocation", 7),
    ):
        n = int(one(sample_store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a/rdfs:subClassOf* pk:{cls} }}"))
        assert n >= least, cls


def test_the_joint_accountability_committee_seats(sample_store):
    rows = select(
        sample_store,
        """SELECT ?name ?n WHERE { ?s pk:seatsOn ?jac ; pk:allocatedTo/rdfs:label ?name ; pk:seatCount ?n .
        ?jac rdfs:label "Joint Accountability Committee"@en }""",
    )
    seats = {r["name"]: int(r["n"]) for r in rows}
    assert seats["Cambridgeshire County Council"] == 5 and seats["Cambridgeshire Police Authority"] == 1
    assert sum(seats.values()) == 11


def test_people_are_clearly_fictional(sample_store):
    rows = select(
        sample_store,
        "SELECT ?p ?c ?mbox WHERE { ?p a/rdfs:subClassOf* foaf:Person ; rdfs:comment ?c "
        "OPTIONAL { ?p foaf:mbox ?mbox } }",
    )
    assert rows and all(r["c"].startswith("Fictional person") for r in rows)
    assert all(r["mbox"] is None or r["mbox"].endswith(".invalid") for r in rows)


def test_the_readme_names_only_real_obligation_ids(obligations_csv):
    with open(obligations_csv, encoding="utf-8") as handle:
        ids = {row["id"] for row in csv.DictReader(handle)}
    text = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(?:CAM|CCC|SOE|CSP)-[A-Z0-9]+[a-z]?\b", text))
    assert len(named) >= 15 and named <= ids


@pytest.mark.parametrize("reopen", [1, 2])
def test_the_sample_survives_a_restart(tmp_path, reopen):
    from service.ingest.bootstrap import init_store

    location = tmp_path / "store"
    s = EmbeddedStore(location)
    init_store(s, sample=True)
    before = (s.quad_count(), [(g.name, g.triples) for g in s.graphs()])
    s.close()
    for _ in range(reopen):
        s = EmbeddedStore(location)
        assert (s.quad_count(), [(g.name, g.triples) for g in s.graphs()]) == before
        s.close()
