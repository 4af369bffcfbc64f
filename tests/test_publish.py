"""Publishing for open-data portals: the DCAT catalogue (checked with the DCAT-AP shapes), what
harvesters do with it (HEAD, */*, fixed-format addresses, hydra paging), VoID, dumps that reload
isomorphically, and internal graphs kept out of every public output."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import date

import pyoxigraph as ox
import pytest
from conftest import SHARED
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, RDF, VOID

from service import create_app
from service.auth import TokenStore
from service.compliance.validate import validate
from service.ingest.bootstrap import init_store
from service.ingest.rdf import load_files
from service.settings import Settings
from service.store import EmbeddedStore

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SECRET_GRAPH = "https://w3id.org/partnerkg/graph/internal/hr-notes"
SECRET = "https://w3id.org/partnerkg/id/person/secret-informant"
OTHER_SECRET_GRAPH = "http://example.org/private/notes"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A store with the sample, one validation run and two internal graphs, and a client over it."""
    folder = tmp_path_factory.mktemp("publish")
    store = EmbeddedStore(folder / "store")
    init_store(store, sample=True)
    validate(store, as_at=date(2026, 9, 1))
    secret = folder / "secret.ttl"
    secret.write_text(
        f'<{SECRET}> a <http://xmlns.com/foaf/0.1/Person> ; <http://xmlns.com/foaf/0.1/name> "Internal Only" .\n',
        encoding="utf-8",
    )
    settings = Settings.load(
        {},
        tokens=str(folder / "t.json"),
        internal_graphs=f"https://w3id.org/partnerkg/graph/internal/ {OTHER_SECRET_GRAPH}",
    )
    load_files(store, [secret], graph=SECRET_GRAPH, internal=settings.is_internal)
    load_files(store, [secret], graph=OTHER_SECRET_GRAPH, internal=settings.is_internal)
    token = TokenStore(settings.tokens).create("publisher")
    yield create_app(settings, store=store).test_client(), store, token, settings
    store.close()


def rdf(response, fmt="turtle") -> Graph:
    return Graph().parse(data=response.data, format=fmt, publicID="http://localhost/")


def test_the_catalogue_conforms_to_dcat_ap(published, tmp_path):
    client = published[0]
    path = tmp_path / "catalog.ttl"
    path.write_bytes(client.get("/catalog.ttl").data)
    checker = SHARED / "conformance" / "dcat-ap" / "check_dcat.py"
    for profile in ("base", "full"):
        done = subprocess.run(
            [sys.executable, str(checker), str(path), "--profile", profile], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "0 violation" in done.stdout or done.stdout.startswith("conforms (")


def test_the_catalogue_describes_dataset_distributions_service_and_licence(published):
    client, store = published[0], published[1]
    g = rdf(client.get("/catalog.ttl"))
    catalog = URIRef("http://localhost/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    ogl = URIRef("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
    assert (catalog, URIRef("http://purl.org/dc/terms/license"), ogl) in g
    datasets = set(g.objects(catalog, DCAT.dataset))
    assert len(datasets) == 3
    downloads = {str(u) for u in g.objects(None, DCAT.downloadURL)}
    assert "http://localhost/dumps/partnerkg.nq.gz" in downloads
    assert "http://localhost/dumps/graph/sample/partnerships.ttl" in downloads
    assert {str(u) for u in g.objects(None, DCAT.endpointURL)} == {"http://localhost/sparql"}
    run_graphs = [n for n in store.graph_names() if "/graph/run/" in n]
    assert run_graphs and all(
        f"http://localhost/dumps/graph/{n.split('/graph/', 1)[1]}.ttl" in downloads for n in run_graphs
    )


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib's JSON-LD parser
def test_harvesters_get_rdf_for_any_type_head_and_fixed_addresses(published):
    client = published[0]
    anything = client.get("/catalog", headers={"Accept": "*/*"})
    assert anything.status_code == 200 and anything.mimetype == "text/turtle"
    assert client.head("/catalog", headers={"Accept": "*/*"}).status_code == 200
    browser = client.get("/catalog", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/html" and "Partnership register" in browser.get_data(as_text=True)
    for ext, mime, fmt in (("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld"),
                           ("rdf", "application/rdf+xml", "xml")):  # fmt: skip
        response = client.get(f"/catalog.{ext}")
        assert response.status_code == 200 and response.mimetype == mime
        assert isomorphic(rdf(response, fmt), rdf(client.get("/catalog.ttl")))
    assert client.get("/catalog", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/catalog?page=x").status_code == 400


def test_the_catalogue_pages_with_both_hydra_vocabularies(published):
    client, store, _, settings = published
    app = create_app(Settings.load({}, **{**settings.as_dict(), "catalog_page_size": 1}), store=store)
    small = app.test_client()
    seen, url = [], "/catalog.ttl"
    while url:
        g = rdf(small.get(url))
        seen += list(g.subjects(RDF.type, DCAT.Dataset))
        nexts = {str(o) for o in g.objects(None, HYDRA.next)}
        assert nexts == {str(o) for o in g.objects(None, HYDRA.nextPage)}
        url = next(iter(nexts)).replace("http://localhost/catalog", "/catalog.ttl") if nexts else None
        assert len(seen) <= 3
    assert len(seen) == 3 and len(set(seen)) == 3


def test_void_describes_size_classes_endpoint_and_examples(published):
    client = published[0]
    g = rdf(client.get("/.well-known/void", headers={"Accept": "text/turtle"}))
    dataset = next(g.subjects(RDF.type, VOID.Dataset))
    assert str(g.value(dataset, VOID.sparqlEndpoint)) == "http://localhost/sparql"
    assert int(g.value(dataset, VOID.triples)) > 2700
    assert int(g.value(dataset, VOID.classes)) > 20
    assert any("partnership/" in str(x) for x in g.objects(dataset, VOID.exampleResource))


def test_the_full_dump_reloads_isomorphic_to_the_public_graphs(published):
    client, store, _, settings = published
    response = client.get("/dumps/partnerkg.nq.gz")
    assert response.status_code == 200
    by_graph: dict[str, list] = {}
    for quad in ox.parse(gzip.decompress(response.data), ox.RdfFormat.N_QUADS):
        by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
    assert SECRET_GRAPH not in by_graph and OTHER_SECRET_GRAPH not in by_graph
    assert "https://w3id.org/partnerkg/graph/sample/partnerships" in by_graph
    # the run's entailments are published; the index one-partnership runs read is the store's own
    hanging = "https://w3id.org/partnerkg/graph/hanging"
    assert next(iter(store.graph_quads(hanging)), None) is not None
    assert "https://w3id.org/partnerkg/graph/entailed" in by_graph and hanging not in by_graph
    assert hanging not in client.get("/catalog.ttl").get_data(as_text=True)
    for name in ("https://w3id.org/partnerkg/graph/sample/meetings-cumbria", "https://w3id.org/partnerkg/graph/runs"):
        dumped = Graph().parse(data=ox.serialize(by_graph[name], format=ox.RdfFormat.N_TRIPLES), format="nt")
        fresh = Graph().parse(data=client.get(f"/dumps/graph/{name.split('/graph/', 1)[1]}.ttl").data, format="turtle")
        assert isomorphic(dumped, fresh)
        assert len(fresh) == len(list(store.graph_quads(name)))


def test_an_internal_graph_never_appears_in_public_output(published):
    client, _, token, _ = published
    queries = [
        f"ASK {{ <{SECRET}> ?p ?o }}",
        f"ASK {{ GRAPH ?g {{ <{SECRET}> ?p ?o }} }}",
        f"ASK FROM <{SECRET_GRAPH}> {{ <{SECRET}> ?p ?o }}",
        f"ASK FROM NAMED <{OTHER_SECRET_GRAPH}> {{ GRAPH ?g {{ <{SECRET}> ?p ?o }} }}",
    ]
    for text in queries:
        answer = client.get(
            "/sparql", query_string={"query": text}, headers={"Accept": "application/sparql-results+json"}
        )
        assert answer.get_json()["boolean"] is False, text
    protocol = client.get(
        "/sparql",
        query_string=[("query", f"ASK {{ <{SECRET}> ?p ?o }}"), ("default-graph-uri", SECRET_GRAPH)],
        headers={"Accept": "application/sparql-results+json"},
    )
    assert protocol.get_json()["boolean"] is False
    listing = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                         headers={"Accept": "text/csv"})  # fmt: skip
    for body in (
        listing.get_data(as_text=True),
        client.get("/catalog.ttl").get_data(as_text=True),
        client.get("/.well-known/void").get_data(as_text=True),
        gzip.decompress(client.get("/dumps/partnerkg.nq.gz").data).decode("utf-8"),
        client.get("/").get_data(as_text=True),
        client.get("/dumps/graph/sources.ttl").get_data(as_text=True),
    ):
        assert "secret-informant" not in body and "Internal Only" not in body
        assert "hr-notes" not in body and "private/notes" not in body
    assert client.get("/id/person/secret-informant").status_code == 404
    assert client.get("/dumps/graph/internal/hr-notes.ttl").status_code == 404
    assert client.get("/data", query_string={"graph": SECRET_GRAPH}).status_code == 404
    held = client.get("/data", query_string={"graph": SECRET_GRAPH}, headers={"Authorization": "Bearer " + token})
    assert held.status_code == 200 and "Internal Only" in held.get_data(as_text=True)


def test_internal_provenance_stays_internal(published):
    store = published[1]
    rows = store.query(
        f"SELECT ?where WHERE {{ GRAPH ?where {{ <{SECRET_GRAPH}> <http://www.w3.org/ns/prov#generatedAtTime> ?t }} }}"
    )
    assert [r["where"] for r in rows] == [ox.NamedNode("https://w3id.org/partnerkg/graph/internal/sources")]
