"""Linking bodies to open-data publishers, against a real SPARQL server (Oxigraph, from PyPI) on
127.0.0.1 loaded with extracts shaped like the publishers' data (data/reference/)."""

from __future__ import annotations

import pytest
from serving import sparql_server

from service import create_app
from service.ingest.bootstrap import PROJECT_ROOT, init_store
from service.ingest.rdf import load_files
from service.linking.enrich import LinkError, candidates, confirm, link
from service.settings import Settings
from service.store import EmbeddedStore

REFERENCE = PROJECT_ROOT / "data" / "reference"
ID = "https://w3id.org/partnerkg/id/"
AREA = "http://statistics.data.gov.uk/id/statistical-geography/"
ODC = "http://opendatacommunities.org/id/"
PK = "https://w3id.org/partnerkg/def#"
EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
EXTRA = f"""
<{ID}organisation/example-regeneration> a <http://www.w3.org/ns/org#FormalOrganization> ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Example Regeneration Company"@en ; <{PK}companiesHouseNumber> "00000001" .
<{ID}organisation/example-trust> a <http://www.w3.org/ns/org#FormalOrganization> ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Example Community Trust"@en ; <{PK}charityNumber> "0000002" .
<{ID}organisation/huntingdonshire-dc> a <{PK}Council> ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Huntingdonshire District Council"@en .
"""


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("publishers")
    with sparql_server(folder, REFERENCE / "ons-odc-extract.ttl", REFERENCE / "wikidata-extract.ttl") as url:
        yield url


@pytest.fixture
def linked_store(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=True)
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA, encoding="utf-8")
    load_files(store, [extra])
    yield store
    store.close()


def pairs(store, predicate, graph):
    rows = store.query(f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?o }} }}")
    return {(r["s"].value, r["o"].value) for r in rows}


GRAPH = "https://w3id.org/partnerkg/graph/link/"


def test_links_have_the_publishers_iris_and_a_second_run_changes_nothing(endpoint, linked_store):
    endpoints = {"ons": endpoint, "odc": endpoint, "wikidata": endpoint}
    outcomes = {o.publisher: o for o in link(linked_store, endpoints)}
    assert all(o.ok for o in outcomes.values()), outcomes
    areas = pairs(linked_store, PK + "governsArea", GRAPH + "ons")
    assert (ID + "organisation/cambridge-city-council", AREA + "E07000008") in areas
    assert (ID + "organisation/cumberland-council", AREA + "E06000063") in areas
    councils = pairs(linked_store, EXACT, GRAPH + "odc")
    assert (ID + "organisation/cambridge-city-council", ODC + "district-council/cambridge") in councils
    assert (ID + "organisation/cumbria-county-council", ODC + "county-council/cumbria") in councils
    assert not any(o.startswith(AREA) for _, o in councils)  # a GSS code names an area, not a council
    items = pairs(linked_store, EXACT, GRAPH + "wikidata")
    assert items == {
        (ID + "organisation/example-regeneration", "http://www.wikidata.org/entity/Q999999901"),
        (ID + "organisation/example-trust", "http://www.wikidata.org/entity/Q999999902"),
    }
    org_ids = {o for _, o in pairs(linked_store, PK + "orgId", GRAPH + "identifiers")}
    assert org_ids == {"GB-COH-00000001", "GB-CHC-0000002"}
    name = linked_store.query(
        f"SELECT ?n WHERE {{ GRAPH <{GRAPH}ons> {{ <{AREA}E06000064> "
        "<http://statistics.data.gov.uk/def/statistical-geography#officialname> ?n } }"
    )
    assert [r["n"].value for r in name] == ["Westmorland and Furness"]
    provenance = linked_store.query(
        f"SELECT ?used ?q WHERE {{ GRAPH <{GRAPH}odc> {{ <{GRAPH}odc> <http://www.w3.org/ns/prov#wasGeneratedBy> ?a . "
        f"?a <http://www.w3.org/ns/prov#used> ?used ; <{PK}query> ?q }} }}"
    )
    [row] = list(provenance)
    assert row["used"].value == endpoint and "governsGSS" in row["q"].value
    before = linked_store.quad_count()
    again = link(linked_store, endpoints)
    assert all(o.ok for o in again) and linked_store.quad_count() == before
    assert pairs(linked_store, EXACT, GRAPH + "odc") == councils


def test_a_failing_publisher_keeps_its_earlier_links_and_is_reported(endpoint, linked_store):
    link(linked_store, {"odc": endpoint})
    earlier = pairs(linked_store, EXACT, GRAPH + "odc")
    assert earlier
    [outcome] = link(linked_store, {"odc": "http://127.0.0.1:9/sparql"}, timeout=2)
    assert not outcome.ok and "Error" in outcome.error
    assert pairs(linked_store, EXACT, GRAPH + "odc") == earlier


def test_a_publisher_off_the_allowlist_is_refused(linked_store):
    with pytest.raises(LinkError, match="not on the allowlist"):
        link(linked_store, {"ons": "http://127.0.0.1:9/sparql"}, publishers=["odc"])
    with pytest.raises(LinkError, match="unknown publisher"):
        link(linked_store, {"elsewhere": "http://127.0.0.1:9/sparql"}, publishers=["elsewhere"])
    assert not [g for g in linked_store.graph_names() if "/graph/link/" in g]


def test_candidates_by_name_are_listed_never_linked_until_confirmed(endpoint, linked_store):
    found = candidates(linked_store, {"odc": endpoint}, threshold=0.8)
    mine = [c for c in found if c.body == ID + "organisation/huntingdonshire-dc"]
    assert mine and mine[0].match == ODC + "district-council/huntingdonshire" and mine[0].score >= 0.8
    assert all(c.score >= 0.8 for c in found)
    assert not [g for g in linked_store.graph_names() if "/graph/link/" in g]  # nothing written
    confirm(linked_store, mine[0].body, mine[0].match)
    assert (mine[0].body, mine[0].match) in pairs(linked_store, EXACT, GRAPH + "confirmed")
    assert not [c for c in candidates(linked_store, {"odc": endpoint}) if c.body == mine[0].body]


def test_the_cli_reports_links_failures_and_refusals(endpoint, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERKG_LINK_ENDPOINTS", f"ons={endpoint} odc={endpoint}")
    assert cli("init").exit_code == 0
    done = cli("link")
    assert done.exit_code == 0 and "ons" in done.output and "odc" in done.output
    refused = cli("link", "--publisher", "wikidata")
    assert refused.exit_code == 2 and "allowlist" in refused.output
    monkeypatch.setenv("PARTNERKG_LINK_ENDPOINTS", "odc=http://127.0.0.1:9/sparql")
    monkeypatch.setenv("PARTNERKG_LINK_TIMEOUT", "2")
    failed = cli("link")
    assert failed.exit_code == 3 and "failed" in failed.output


def test_a_bodys_page_shows_its_identifiers_and_links_out(endpoint, linked_store, tmp_path):
    link(linked_store, {"ons": endpoint, "odc": endpoint})
    client = create_app(Settings.load({}, tokens=str(tmp_path / "t.json")), store=linked_store).test_client()
    page = client.get("/id/organisation/cambridge-city-council", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "E07000008" in page
    assert f'href="{ODC}district-council/cambridge"' in page and f'href="{AREA}E07000008"' in page
    query = (
        f"SELECT ?name WHERE {{ ?c a <{PK}Council> ; <{EXACT}> ?odc . "
        "?odc <http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER (CONTAINS(STR(?odc), 'cambridge')) }"
    )
    joined = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"})
    names = {b["name"]["value"] for b in joined.get_json()["results"]["bindings"]}
    assert "Cambridge City Council" in names


def test_the_reference_fixture_is_what_the_shared_extract_says():
    from conftest import SHARED

    shared = SHARED / "reference" / "reference-extract.ttl"
    assert (REFERENCE / "ons-odc-extract.ttl").read_bytes() == shared.read_bytes()
