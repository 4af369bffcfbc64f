"""Policies as data: the committed graph equals the obligations table, row for row."""

from __future__ import annotations

import csv

import pytest
from rdflib import RDF, Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

from service.ingest.bootstrap import POLICIES_FILE
from service.namespaces import CODE, CRITERION, PK
from service.policies import PolicyTableError, build_policies, document_iri, obligation_iri


@pytest.fixture(scope="module")
def committed() -> Graph:
    return Graph().parse(POLICIES_FILE)


def test_committed_policies_are_generated_from_the_table(committed, obligations_csv):
    assert isomorphic(committed, build_policies(obligations_csv)), (
        "data/policies/obligations.ttl is stale: python -m service.policies ../shared/policies/obligations.csv "
        "data/policies/obligations.ttl"
    )


def test_every_row_is_a_concept_with_its_id_text_modality_check_and_clause(committed, obligations_csv):
    with open(obligations_csv, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 50
    obligations = set(committed.subjects(RDF.type, PK.Obligation))
    assert obligations == {obligation_iri(r["id"]) for r in rows}
    for row in rows:
        c = obligation_iri(row["id"])
        assert committed.value(c, SKOS.notation) == Literal(row["id"])
        assert str(committed.value(c, SKOS.definition)) == row["obligation"]
        assert committed.value(c, PK.modality) == CODE["modality-" + row["modality"]]
        assert committed.value(c, PK.checkKind) == CODE["check-" + row["check"]]
        assert str(committed.value(c, PK.clause)) == row["clause"]
        scheme = committed.value(c, SKOS.inScheme)
        assert str(committed.value(scheme, PK.sourceFile)) == row["seed"]
        assert (scheme, RDF.type, SKOS.ConceptScheme) in committed
        assert committed.value(c, DCTERMS.source) == scheme


def test_every_seed_document_is_a_concept_scheme(committed):
    schemes = set(committed.subjects(RDF.type, SKOS.ConceptScheme))
    files = {str(committed.value(s, PK.sourceFile)) for s in schemes}
    assert len(files) == 5 and all(f.startswith(("000_", "001_", "002_", "003_", "004_")) for f in files)


def test_the_web_guide_difference_is_stated(committed):
    guide, principles = document_iri("cambridge-web-guide"), document_iri("cambridge-principles")
    assert (guide, PK.summarises, principles) in committed
    d = CRITERION["CAM-1d"]
    assert (d, PK.omittedFrom, guide) in committed
    assert (d, SKOS.inScheme, guide) not in committed
    assert committed.value(d, SKOS.editorialNote) is not None
    for letter in "abcef":
        assert (CRITERION["CAM-1" + letter], SKOS.inScheme, guide) in committed


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda rows: rows[1].__setitem__("modality", "may"), "row 3, field modality: unknown value 'may'"),
        (lambda rows: rows[2].__setitem__("id", rows[0]["id"]), "row 4, field id: duplicate id"),
        (lambda rows: rows[0].__setitem__("check", ""), "row 2, field check"),
    ],
)
def test_a_malformed_table_is_reported_with_row_and_field(tmp_path, obligations_csv, change, expected):
    with open(obligations_csv, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    change(rows)
    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(PolicyTableError, match=expected.replace("(", r"\(")):
        build_policies(bad)
