"""SPARQL 1.1 Protocol, Update and the Graph Store Protocol, in process (Flask's test client) and
through a real HTTP client against a running server."""

from __future__ import annotations

import json
import threading
import time

import pytest
from rdflib import Graph
from serving import running_server

from service import create_app
from service.auth import TokenStore
from service.namespaces import GRAPH, PREFIXES
from service.queries import QueryTimeout, named_iris, run_query
from service.settings import Settings
from service.store import EmbeddedStore

QUERY = "SELECT ?name WHERE { ?p a pk:Partnership ; rdfs:label ?name } ORDER BY ?name"


@pytest.fixture
def web(tmp_path, sample_store):
    """A test client over the shared sample store (reads only)."""
    app = create_app(Settings.load({}, tokens=str(tmp_path / "tokens.json")), store=sample_store)
    return app.test_client()


@pytest.fixture
def writable(tmp_path):
    """A test client over an empty store of its own, a token, and the store."""
    from service.ingest.bootstrap import init_store

    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=False)
    settings = Settings.load({}, tokens=str(tmp_path / "tokens.json"), union_default_graph=False)
    secret = TokenStore(settings.tokens).create("tests")
    client = create_app(settings, store=store).test_client()
    yield client, {"Authorization": f"Bearer {secret}"}, store
    store.close()


def test_select_by_get_and_post_in_every_results_format(web):
    got = web.get("/sparql", query_string={"query": QUERY})
    assert got.status_code == 200 and got.mimetype == "application/sparql-results+json"
    names = [b["name"]["value"] for b in got.get_json()["results"]["bindings"]]
    assert len(names) == 8 and "Cambridgeshire Together" in names
    posted = web.post("/sparql", data={"query": QUERY})
    assert posted.get_json() == got.get_json()
    direct = web.post("/sparql", data=QUERY, content_type="application/sparql-query")
    assert direct.get_json() == got.get_json()
    for accept, marker in (
        ("application/sparql-results+xml", b"<sparql"),
        ("text/csv", b"name\r\n"),
        ("text/tab-separated-values", b"?name\n"),
    ):
        response = web.get("/sparql", query_string={"query": QUERY}, headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept and marker in response.data
    assert web.get("/sparql", query_string={"query": QUERY, "format": "csv"}).mimetype == "text/csv"


def test_construct_and_describe_in_every_graph_format(web):
    construct = "CONSTRUCT { ?p a pk:Partnership } WHERE { ?p a pk:Partnership }"
    for accept, fmt in (
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ):
        response = web.get("/sparql", query_string={"query": construct}, headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept
        if fmt == "json-ld":  # rdflib's JSON-LD parser warns of its own deprecations; read it with Oxigraph
            import pyoxigraph

            assert len(list(pyoxigraph.parse(response.data, pyoxigraph.RdfFormat.JSON_LD))) == 8
        else:
            assert len(Graph().parse(data=response.data, format=fmt)) == 8
    describe = web.get(
        "/sparql",
        query_string={"query": "DESCRIBE <https://w3id.org/partnerkg/id/partnership/cambridgeshire-together>"},
    )
    assert describe.status_code == 200 and b"Cambridgeshire Together" in describe.data


def test_ask_and_the_union_default_graph(web):
    assert web.get("/sparql", query_string={"query": "ASK { ?m a pk:Meeting }"}).get_json()["boolean"] is True


def test_dataset_parameters_choose_the_graphs(web):
    graph = "https://w3id.org/partnerkg/graph/sample/organisations"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    only = web.get("/sparql", query_string={"query": count, "default-graph-uri": graph}).get_json()
    assert int(only["results"]["bindings"][0]["n"]["value"]) == 273


def test_named_iris_reads_brackets_and_prefixed_names():
    query = """PREFIX g: <https://w3id.org/partnerkg/graph/file/>
    SELECT * WHERE { GRAPH g:people.ttl { ?s a pk:Person } GRAPH <http://x/g> { ?s ?p ?o } } # g:left-out"""
    found = named_iris(query, PREFIXES)
    assert {"https://w3id.org/partnerkg/graph/file/people.ttl", "http://x/g", PREFIXES["pk"] + "Person"} <= found
    assert "https://w3id.org/partnerkg/graph/file/left-out" not in found


def test_graph_patterns_range_over_the_graphs_clients_wrote(tmp_path):
    """While the register's graphs make up the default graph, GRAPH ?g lists the graphs written over the
    protocols, and a register graph only where the query names it; without the union, every graph."""
    from service.ingest.bootstrap import init_store

    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=True)
    settings = Settings.load({}, tokens=str(tmp_path / "tokens.json"))
    auth = {"Authorization": f"Bearer {TokenStore(settings.tokens).create('tests')}"}
    client = create_app(settings, store=store).test_client()
    written = "http://x/g"
    triple = "<http://x/s> a <http://x/T> ."
    put = client.put("/data", query_string={"graph": written}, data=triple, content_type="text/turtle", headers=auth)
    assert put.status_code == 201

    def rows(query: str, client=client, **params: str) -> list[tuple[str, ...]]:
        got = client.get("/sparql", query_string={"query": query, **params}).get_json()
        return [tuple(b[v]["value"] for v in got["head"]["vars"]) for b in got["results"]["bindings"]]

    listed = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert rows(listed) == [(written,)]
    assert rows("SELECT (COUNT(*) AS ?n) WHERE { ?s a pk:Partnership }") == [("8",)]
    assert client.get("/sparql", query_string={"query": "ASK { <http://x/s> a ?t }"}).get_json()["boolean"]
    people = str(GRAPH["sample/people"])
    assert rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{people}> {{ ?p a pk:Councillor }} }}") == [("10",)]
    prefixed = (
        f"PREFIX g: <{GRAPH}sample/> SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g = g:people) }}"
    )
    assert rows(prefixed) == [(people,)]
    assert rows(listed, **{"named-graph-uri": people}) == [(people,)]
    everything = create_app(Settings.load({}, tokens=settings.tokens, union_default_graph=False), store=store)
    assert {g for (g,) in rows(listed, client=everything.test_client())} == set(store.graph_names())
    store.close()


def test_service_description_without_a_query(web):
    response = web.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="turtle")
    assert any("sparql-service-description#Service" in str(o) for o in graph.objects())


def test_errors_400_415_406_and_cors(web):
    bad = web.get("/sparql", query_string={"query": "SELEC ?x"})
    assert bad.status_code == 400 and b"does not parse" in bad.data
    assert web.post("/sparql", data=QUERY, content_type="text/plain").status_code == 415
    assert web.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "image/png"}).status_code == 406
    assert web.get("/sparql", query_string={"query": QUERY}).headers["Access-Control-Allow-Origin"] == "*"
    assert web.get("/sparql", query_string={"query": QUERY}).headers["X-Content-Type-Options"] == "nosniff"


def test_service_to_an_endpoint_off_the_allowlist_is_refused(web):
    refused = web.get(
        "/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}
    )
    assert refused.status_code == 403
    variable = web.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }"})
    assert variable.status_code == 403


def test_from_never_fetches_anything(web):
    # Oxigraph reads FROM as a graph of the store: an outside address yields nothing, and no request
    response = web.get(
        "/sparql", query_string={"query": "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }"}
    )
    assert response.status_code == 200 and response.get_json()["results"]["bindings"] == []


def test_a_runaway_query_ends_with_an_error_while_others_are_answered(tmp_path, sample_store):
    settings = Settings.load({}, query_timeout=1.0, row_cap=1000, tokens=str(tmp_path / "t.json"))
    client = create_app(settings, store=sample_store).test_client()
    runaway = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    outcome = {}

    def slow():
        outcome["response"] = client.get("/sparql", query_string={"query": runaway})

    worker = threading.Thread(target=slow)
    started = time.monotonic()
    worker.start()
    quick = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert quick.status_code == 200 and time.monotonic() - started < 1.0  # answered while the runaway runs
    worker.join(30)
    assert outcome["response"].status_code in (413, 503)
    capped = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert capped.status_code == 413 and b"more than 1000 rows" in capped.data


def test_query_checks_are_kept_for_short_texts_only_and_answer_the_same_either_way(sample_store):
    """A lookup's text is checked once and kept; a long text is checked each time and never held, and
    a SERVICE call or a comment is seen alike in both."""
    from service.queries import QueryRefused, _uncommented, service_endpoints
    from service.sparqltext import KEPT_TEXT

    kept = service_endpoints.kept  # type: ignore[attr-defined]
    short = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } } # SERVICE elsewhere"
    padding = "# " + "x" * KEPT_TEXT + "\n"
    long = padding + short
    before = kept.cache_info()
    stripped = _uncommented.kept.cache_info().currsize  # type: ignore[attr-defined]
    for text in (short, long):
        assert service_endpoints(text) == ("<http://127.0.0.1:9/sparql>",)
        with pytest.raises(QueryRefused):
            run_query(sample_store, text)
        assert "SERVICE elsewhere" not in _uncommented(text)
    after = kept.cache_info()
    assert after.currsize == before.currsize + 1  # the short text only
    assert after.hits > before.hits  # run_query found the short text's answer kept
    assert _uncommented.kept.cache_info().currsize == stripped + 1  # type: ignore[attr-defined]


def test_queries_reuse_idle_threads_and_one_stopped_late_holds_none_up(sample_store):
    """Each query runs in a thread the caller can leave behind at its deadline; a thread that has
    finished waits for the next query instead of a new one starting for each."""
    threads = []

    class Watched:
        def __getattr__(self, name):
            return getattr(sample_store, name)

        def query(self, *args, **kwargs):
            threads.append(threading.current_thread())
            return sample_store.query(*args, **kwargs)

    store = Watched()
    for _ in range(20):
        assert run_query(store, "ASK { ?s ?p ?o }", union_default_graph=True).boolean
    assert len(threads) == 20 and len(set(threads)) == 1 and threading.current_thread() not in threads
    runaway = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with pytest.raises(QueryTimeout):
        run_query(store, runaway, timeout=0.2, row_cap=10**12, union_default_graph=True)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a pk:Partnership }"
    assert int(run_query(store, count, union_default_graph=True).rows[0][0].value) > 0


def test_updates_need_a_valid_token_and_a_failed_update_changes_nothing(writable):
    client, auth, store = writable
    insert = "INSERT DATA { GRAPH <http://x/g> { <http://x/s> <http://x/p> 1 } }"
    assert client.post("/update", data=insert, content_type="application/sparql-update").status_code == 401
    wrong = {"Authorization": "Bearer pk_not-a-token"}
    assert (
        client.post("/update", data=insert, content_type="application/sparql-update", headers=wrong).status_code == 403
    )
    assert (
        client.post("/update", data=insert, content_type="application/sparql-update", headers=auth).status_code == 204
    )
    before = store.quad_count()
    broken = (
        "INSERT DATA { GRAPH <http://x/g> { <http://x/s> <http://x/p> 2 } } ; LOAD <http://127.0.0.1:9/nothing.ttl>"
    )
    assert (
        client.post("/update", data=broken, content_type="application/sparql-update", headers=auth).status_code == 400
    )
    assert store.quad_count() == before
    assert client.get("/update").status_code == 405


def test_graph_store_protocol(writable):
    client, auth, store = writable
    turtle = "<http://x/s> <http://x/p> <http://x/o> , <http://x/o2> ."
    graph = {"graph": "http://x/g"}
    assert client.put("/data", query_string=graph, data=turtle, content_type="text/turtle").status_code == 401
    assert (
        client.put("/data", query_string=graph, data=turtle, content_type="text/turtle", headers=auth).status_code
        == 201
    )
    got = client.get("/data", query_string=graph, headers={"Accept": "application/n-triples"})
    assert len(Graph().parse(data=got.data, format="nt")) == 2
    more = "<http://x/s> <http://x/p> <http://x/o3> ."
    assert (
        client.post("/data", query_string=graph, data=more, content_type="text/turtle", headers=auth).status_code == 204
    )
    assert (
        client.put("/data", query_string=graph, data=more, content_type="text/turtle", headers=auth).status_code == 204
    )
    assert len(Graph().parse(data=client.get("/data", query_string=graph).data, format="turtle")) == 1
    bad = client.put(
        "/data", query_string=graph, data="<http://x/s> <http://x/p> .", content_type="text/turtle", headers=auth
    )
    assert bad.status_code == 400 and b"line 1" in bad.data
    assert len(Graph().parse(data=client.get("/data", query_string=graph).data, format="turtle")) == 1
    assert client.put("/data", query_string=graph, data=more, content_type="image/png", headers=auth).status_code == 415
    assert (
        client.put(
            "/data", query_string={"default": ""}, data=more, content_type="text/turtle", headers=auth
        ).status_code
        == 204
    )
    assert client.delete("/data", query_string=graph, headers=auth).status_code == 204
    assert client.get("/data", query_string=graph).status_code == 404
    assert client.delete("/data", query_string=graph, headers=auth).status_code == 404
    assert client.get("/data").status_code == 400


def test_tokens_are_printed_once_and_stored_hashed(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERKG_TOKENS", str(tmp_path / "tokens.json"))
    created = cli("token", "create", "--name", "publisher")
    secret = created.output.strip().splitlines()[-1]
    assert created.exit_code == 0 and secret.startswith("pk_")
    stored = (tmp_path / "tokens.json").read_text()
    assert secret not in stored and json.loads(stored)[0]["name"] == "publisher"
    assert "publisher" in cli("token", "list").output and secret not in cli("token", "list").output
    assert cli("token", "create", "--name", "publisher").exit_code == 2
    assert cli("token", "revoke", "publisher").exit_code == 0
    assert TokenStore(tmp_path / "tokens.json").verify(secret) is None
    assert cli("token", "revoke", "publisher").exit_code == 2


@pytest.mark.slow
def test_sparqlwrapper_against_a_running_server(tmp_path):
    from SPARQLWrapper import JSON, SPARQLWrapper

    with running_server(tmp_path, ("init",)) as (base, _):
        client = SPARQLWrapper(base + "/sparql")
        client.setQuery(
            "PREFIX pk: <https://w3id.org/partnerkg/def#> SELECT (COUNT(*) AS ?n) WHERE { ?m a pk:Meeting }"
        )
        client.setReturnFormat(JSON)
        answer = client.query().convert()
        assert int(answer["results"]["bindings"][0]["n"]["value"]) == 41
        client.setMethod("POST")
        assert int(client.query().convert()["results"]["bindings"][0]["n"]["value"]) == 41
    assert "/sparql" in (tmp_path / "serve.log").read_text()  # each request is logged with its time
