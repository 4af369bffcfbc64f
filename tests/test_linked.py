"""Linked data: resource IRIs dereference here, as pages and as RDF; and the safety of what comes in
and goes out (escaping, entity expansion, remote contexts, request size)."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from service import create_app
from service.auth import TokenStore
from service.ingest.rdf import LoadError, load_files
from service.settings import Settings
from service.store import EmbeddedStore

CT = "https://w3id.org/partnerkg/id/partnership/cambridgeshire-together"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://x/">
 <rdf:Description rdf:about="http://x/s"><ex:p>&c;</ex:p></rdf:Description></rdf:RDF>"""


@pytest.fixture
def web(tmp_path, sample_store):
    return create_app(Settings.load({}, tokens=str(tmp_path / "t.json")), store=sample_store).test_client()


def test_a_resource_is_a_page_for_browsers(web):
    page = web.get("/id/partnership/cambridgeshire-together", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "<h1>Cambridgeshire Together</h1>" in text
    assert 'href="/id/organisation/cambridgeshire-county-council"' in text  # links stay on this service
    assert "Joint Accountability Committee" in text  # who refers to it


@pytest.mark.parametrize(
    ("accept", "suffix", "fmt"),
    [("text/turtle", ".ttl", "turtle"), ("application/n-triples", ".nt", "nt"), ("application/rdf+xml", ".rdf", "xml")],
)
def test_a_resource_as_rdf_by_accept_or_extension(web, accept, suffix, fmt):
    by_accept = web.get("/id/partnership/cambridgeshire-together", headers={"Accept": accept})
    by_extension = web.get("/id/partnership/cambridgeshire-together" + suffix)
    assert by_accept.mimetype == by_extension.mimetype == accept
    graph = Graph().parse(data=by_extension.data, format=fmt)
    assert (URIRef(CT), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None) in graph
    assert by_accept.headers["Vary"] == "Accept"


def test_unknown_resources_are_404_and_ontology_obligations_codes_dereference(web):
    assert web.get("/id/partnership/no-such-thing").status_code == 404
    assert web.get("/nowhere/at-all").status_code == 404
    ontology = Graph().parse(data=web.get("/def.ttl").data, format="turtle")
    assert (URIRef("https://w3id.org/partnerkg/def#Meeting"), None, None) in ontology
    obligation = web.get("/obligation/CAM-4c", headers={"Accept": "text/turtle"})
    assert obligation.status_code == 200 and b"Principle 4 (c)" in obligation.data
    assert web.get("/code/role-chair.nt").status_code == 200
    assert web.get("/policy/cambridge-principles").status_code == 200


def test_values_from_the_data_are_escaped_in_pages(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    evil = tmp_path / "evil.ttl"
    evil.write_text(
        "<https://w3id.org/partnerkg/id/partnership/evil> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "<script>alert(1)</script>" .',
        encoding="utf-8",
    )
    load_files(store, [evil])
    client = create_app(Settings.load({}, tokens=str(tmp_path / "t.json")), store=store).test_client()
    page = client.get("/id/partnership/evil").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    store.close()


@pytest.fixture
def uploads(tmp_path):
    """A test client over an empty store, a write token, and the store."""
    store = EmbeddedStore(tmp_path / "store")
    settings = Settings.load({}, tokens=str(tmp_path / "t.json"))
    auth = {"Authorization": "Bearer " + TokenStore(settings.tokens).create("t")}
    yield create_app(settings, store=store).test_client(), auth, store
    store.close()


def test_rdfxml_entities_are_refused_in_uploads_and_loads(tmp_path, uploads):
    client, auth, store = uploads
    upload = client.put(
        "/data",
        query_string={"graph": "http://x/g"},
        data=BILLION_LAUGHS,
        content_type="application/rdf+xml",
        headers=auth,
    )
    assert upload.status_code == 400 and b"entities" in upload.data
    path = tmp_path / "laughs.rdf"
    path.write_bytes(BILLION_LAUGHS)
    with pytest.raises(LoadError, match="entities"):
        load_files(store, [path])
    assert store.quad_count() == 0


def test_jsonld_uploads_fetch_no_remote_context(uploads):
    client, auth, store = uploads
    body = b'{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://x/s", "name": "n"}'
    response = client.put(
        "/data", query_string={"graph": "http://x/g"}, data=body, content_type="application/ld+json", headers=auth
    )
    assert response.status_code == 400 and store.quad_count() == 0


def test_request_size_is_limited(tmp_path, sample_store):
    settings = Settings.load({}, tokens=str(tmp_path / "t.json"), max_upload_mb=1)
    client = create_app(settings, store=sample_store).test_client()
    response = client.post("/sparql", data=b"#" * (2 * 1024 * 1024), content_type="application/sparql-query")
    assert response.status_code == 413
