"""The store interface and the service above it, on three backends: the embedded store, a real
Oxigraph server and a real Virtuoso, each started here on free ports of 127.0.0.1 and stopped after.
The same sample must give the same graphs, the same query answers and the same validation findings."""

from __future__ import annotations

import io
from datetime import date

import pyoxigraph as ox
import pytest
from serving import sparql_server, virtuoso_server

from service import create_app
from service.auth import TokenStore
from service.compliance.validate import list_runs, validate
from service.ingest.bootstrap import init_store
from service.ingest.rdf import load_files
from service.queries import run_query
from service.queries.saved import run_saved, saved_queries
from service.settings import Settings
from service.store import EmbeddedStore, StoreError
from service.store.remote import RemoteStore

BACKENDS = ("embedded", "oxigraph", "virtuoso")
AS_AT = date(2026, 9, 1)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """One Oxigraph server and one Virtuoso for the module, each with its own folder."""
    import contextlib

    with contextlib.ExitStack() as stack:
        oxigraph = stack.enter_context(sparql_server(tmp_path_factory.mktemp("oxigraph"), read_only=False))
        virtuoso = stack.enter_context(virtuoso_server(tmp_path_factory.mktemp("virtuoso")))
        yield {"oxigraph": oxigraph.removesuffix("/query"), "virtuoso": virtuoso}


def open_backend(kind, servers, tmp_path, **options):
    if kind == "embedded":
        return EmbeddedStore(tmp_path / "store")
    if kind == "oxigraph":
        store = RemoteStore(servers["oxigraph"], dialect="oxigraph", work=tmp_path / "work", **options)
    else:
        store = RemoteStore(servers["virtuoso"], dialect="virtuoso", user="dba", password="dba",
                            work=tmp_path / "work", **options)  # fmt: skip
    for name in store.graph_names():  # each test starts from an empty store (only our graphs: never Virtuoso's)
        store.update(f"DROP SILENT GRAPH <{name}>")
    return store


@pytest.fixture(params=BACKENDS)
def backend(request, servers, tmp_path):
    store = open_backend(request.param, servers, tmp_path)
    yield store
    store.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sample on the embedded store, validated: what every backend must match."""
    store = EmbeddedStore(tmp_path_factory.mktemp("reference") / "store")
    init_store(store, sample=True)
    run = validate(store, as_at=AS_AT)
    yield store, run
    store.close()


def findings(run):
    return sorted((f.focus, f.obligation, f.severity) for f in run.findings)


def test_the_sample_gives_the_same_graphs_and_quads(backend, reference):
    init_store(backend, sample=True)
    expected = {g.name: g.triples for g in reference[0].graphs()}
    got = {g.name: g.triples for g in backend.graphs()}
    assert {k: v for k, v in got.items() if "/graph/sources" not in k} == {
        k: v
        for k, v in expected.items()
        if "/graph/sources" not in k and "/graph/run" not in k and "entailed" not in k and "/graph/hanging" not in k
    }
    assert backend.default_graph_is_empty()
    assert backend.has_graph(ox.NamedNode("https://w3id.org/partnerkg/graph/sample/partnerships"))
    assert not backend.has_graph(ox.NamedNode("https://w3id.org/partnerkg/graph/nothing"))


def test_the_same_validation_findings_on_every_backend(backend, reference):
    init_store(backend, sample=True)
    run = validate(backend, as_at=AS_AT)
    assert findings(run) == findings(reference[1]) and run.findings
    stored = run_query(backend, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?r a sh:ValidationResult } }")
    assert int(stored.rows[0][0].value) == len(reference[1].findings)
    # a second run finding the same keeps its metadata only, naming the first's report graph
    again = validate(backend, as_at=AS_AT)
    first, second = list_runs(backend)
    assert (first.id, second.id) == (run.id, again.id) and second.report_graph == first.report_graph
    stored = run_query(backend, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?r a sh:ValidationResult } }")
    assert int(stored.rows[0][0].value) == len(reference[1].findings)


def test_the_same_answers_to_every_saved_query(backend, reference):
    init_store(backend, sample=True)
    for query in saved_queries():
        given = {p.name: p.default for p in query.parameters if p.default}
        _, want = run_saved(reference[0], query.name, given, union_default_graph=True)
        _, got = run_saved(backend, query.name, given, union_default_graph=True)
        assert sorted(map(str, got.rows)) == sorted(map(str, want.rows)), query.name


def test_dataset_parameters_and_query_forms(backend):
    init_store(backend, sample=False)
    ontology = "https://w3id.org/partnerkg/graph/ontology"
    asked = run_query(backend, "ASK { ?c a owl:Class }", default_graphs=[ontology])
    assert asked.boolean is True
    assert run_query(backend, "ASK { ?c a owl:Class }").boolean is False  # the default graph is not the union
    assert run_query(backend, "ASK { ?c a owl:Class }", union_default_graph=True).boolean is True
    named = run_query(backend, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[ontology])
    assert [r[0].value for r in named.rows] == [ontology]
    built = run_query(backend, f"CONSTRUCT {{ ?c a owl:Class }} WHERE {{ GRAPH <{ontology}> {{ ?c a owl:Class }} }}")
    assert built.kind == "triples" and len(built.triples) > 40
    with pytest.raises(SyntaxError):
        run_query(backend, "SELECT * WHERE { ?s ?p ")


def test_replace_append_and_annotations(backend):
    g = ox.NamedNode("http://example.org/g")
    notes = ox.NamedNode("http://example.org/notes")
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    backend.write_graphs(
        [ox.Quad(s, p, ox.Literal("one"), g)], [g], annotations=[ox.Quad(g, p, ox.Literal("v1"), notes)]
    )
    backend.write_graphs(
        [ox.Quad(s, p, ox.Literal("two"), g)], [g], annotations=[ox.Quad(g, p, ox.Literal("v2"), notes)]
    )
    values = {q.object.value for q in backend.graph_quads(g.value)}
    assert values == {"two"}
    assert {q.object.value for q in backend.graph_quads(notes.value)} == {"v2"}
    backend.write_graphs([ox.Quad(s, p, ox.Literal("three"), g)], [g], append=True)
    assert {q.object.value for q in backend.graph_quads(g.value)} == {"two", "three"}
    assert not [n for n in backend.graph_names() if "staging" in n]


def test_dropping_graphs_and_forgetting_what_a_graph_says_of_subjects(backend):
    """drop_graphs (what pruning old runs uses): the graphs named go whole, the statements a graph
    makes about the subjects named go, and nothing else changes."""
    p, notes = ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/notes")
    g1, g2 = ox.NamedNode("http://example.org/g1"), ox.NamedNode("http://example.org/g2")
    r1, r2, r3 = (ox.NamedNode(f"http://example.org/r{i}") for i in (1, 2, 3))
    quads = [ox.Quad(r, p, ox.Literal(f"{r.value} in {g.value}"), g) for g in (g1, g2) for r in (r1, r2)]
    backend.write_graphs(quads, [g1, g2], derived=True)
    backend.write_graphs(
        [ox.Quad(r, p, ox.Literal(f"record {i}"), notes) for i, r in enumerate((r1, r2, r3))], [notes], derived=True
    )
    backend.drop_graphs([g1], forget=[(notes, r1), (notes, r2)])
    names = backend.graph_names()
    assert g1.value not in names and g2.value in names
    assert sorted(q.object.value for q in backend.graph_quads(g2.value)) == sorted(
        q.object.value for q in quads if q.graph_name == g2
    )
    assert [q.object.value for q in backend.graph_quads(notes.value)] == ["record 2"]
    assert not [n for n in names if "staging" in n]


def test_a_derived_graph_loaded_from_text_with_its_labelled_quads_and_notes(backend):
    """Derived triples given as text (a full run's entailments) go into a new graph with the quads that
    name stored blank nodes and the notes about them; the embedded store keeps those nodes' labels."""
    g = ox.NamedNode("http://example.org/derived")
    notes = ox.NamedNode("http://example.org/notes")
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    node = ox.BlankNode("storednode1")
    count = backend.load_new_graph(
        b'<http://example.org/s> <http://example.org/p> "one" .\n',
        ox.RdfFormat.N_TRIPLES,
        g,
        annotations=lambda: [ox.Quad(g, p, ox.Literal("stamp"), notes)],
        derived=True,
        labelled=[ox.Quad(node, p, ox.Literal("two"), g)],
    )
    quads = list(backend.graph_quads(g.value))
    assert count == 2 and {q.object.value for q in quads} == {"one", "two"}
    assert {q.subject for q in quads if q.object.value == "one"} == {s}
    assert {q.object.value for q in backend.graph_quads(notes.value)} == {"stamp"}
    if isinstance(backend, EmbeddedStore):
        assert ox.Quad(node, p, ox.Literal("two"), g) in quads


def test_a_failed_write_leaves_the_store_unchanged(backend, monkeypatch, tmp_path):
    path = tmp_path / "a.ttl"
    path.write_text("<http://example.org/a> <http://example.org/p> 1 .\n", encoding="utf-8")
    load_files(backend, [path], graph="http://example.org/a")
    load_files(backend, [path], graph="http://example.org/b")
    before = sorted((g.name, g.triples) for g in backend.graphs())
    if isinstance(backend, RemoteStore):
        original, calls = backend._put, []

        def failing(graph, triples, **kw):
            calls.append(graph)
            if len(calls) == 2:
                raise StoreError("the connection dropped")
            return original(graph, triples, **kw)

        monkeypatch.setattr(backend, "_put", failing)
    else:
        monkeypatch.setattr(backend, "_apply_journal", lambda: (_ for _ in ()).throw(StoreError("crash")))
    new = [ox.Quad(ox.NamedNode("http://example.org/x"), ox.NamedNode("http://example.org/p"), ox.Literal("2"),
                   ox.NamedNode(name)) for name in ("http://example.org/a", "http://example.org/b")]  # fmt: skip
    with pytest.raises(StoreError):
        backend.write_graphs(new, [ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b")])
    monkeypatch.undo()
    if isinstance(backend, EmbeddedStore):
        backend._recover()  # the next open finishes the interrupted change: all of it, never half
        contents = {
            n: {q.subject.value for q in backend.graph_quads(n)}
            for n in ("http://example.org/a", "http://example.org/b")
        }
        assert contents["http://example.org/a"] == contents["http://example.org/b"]
    else:
        assert sorted((g.name, g.triples) for g in backend.graphs()) == before
        assert {q.subject.value for q in backend.graph_quads("http://example.org/b")} == {"http://example.org/a"}


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_a_bulk_load_streams_in_batches_and_resumes_without_duplicates(kind, servers, tmp_path):
    store = open_backend(kind, servers, tmp_path, batch=100)
    path = tmp_path / "big.ttl"
    lines = [f"<http://example.org/s{i}> <http://example.org/p> _:b{i // 3} ." for i in range(1000)]
    lines += [f"_:b{i} <http://example.org/q> {i} ." for i in range(334)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    original, sent = store._put, []

    def flaky(graph, triples, **kw):
        sent.append(len(triples))
        if len(sent) == 6:
            raise StoreError("the connection dropped")
        return original(graph, triples, **kw)

    store._put = flaky  # type: ignore[method-assign]
    target = ox.NamedNode("http://example.org/big")
    with pytest.raises(StoreError), open(path, "rb") as source:
        store.load_new_graph(source, ox.RdfFormat.TURTLE, target)
    assert not store.has_graph(target)
    progress = []
    with open(path, "rb") as source:
        count = store.load_new_graph(source, ox.RdfFormat.TURTLE, target, progress=progress.append)
    assert count == 1334 and sum(sent) == 1334 + 100  # the failed batch was sent again, no other
    assert {g.name: g.triples for g in store.graphs()}["http://example.org/big"] == 1334
    linked = run_query(
        store,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <http://example.org/p> ?b . ?b <http://example.org/q> ?v } }",
    )
    assert int(linked.rows[0][0].value) == 1000  # blank nodes split across batches stayed one node each


def test_dump_and_web_pages_on_every_backend(backend, tmp_path):
    init_store(backend, sample=True)
    out = io.BytesIO()
    backend.dump(out, ox.RdfFormat.N_QUADS)
    assert len(list(ox.parse(out.getvalue(), ox.RdfFormat.N_QUADS))) == sum(g.triples for g in backend.graphs())
    settings = Settings.load({}, tokens=str(tmp_path / "t.json"))
    client = create_app(settings, store=backend).test_client()
    # the Graph Store Protocol writes through the store's own replace and append on every backend
    auth = {"Authorization": f"Bearer {TokenStore(settings.tokens).create('tests')}"}
    target = {"graph": "http://example.org/gsp"}
    one, two = "<http://x/s> <http://x/p> <http://x/o1> .", "<http://x/s> <http://x/p> <http://x/o2> ."
    assert (
        client.put("/data", query_string=target, data=one, content_type="text/turtle", headers=auth).status_code == 201
    )
    assert (
        client.post("/data", query_string=target, data=two, content_type="text/turtle", headers=auth).status_code == 204
    )
    assert {q.object.value for q in backend.graph_quads("http://example.org/gsp")} == {"http://x/o1", "http://x/o2"}
    assert (
        client.put("/data", query_string=target, data=two, content_type="text/turtle", headers=auth).status_code == 204
    )
    assert {q.object.value for q in backend.graph_quads("http://example.org/gsp")} == {"http://x/o2"}
    listing = client.get("/partnerships").get_data(as_text=True)
    assert "Cumbria Strategic Partnership" in listing
    page = client.get("/id/partnership/cumbria-strategic-partnership", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "CSP CLB" in page.get_data(as_text=True)
    answer = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?p a pk:Partnership }"},
                        headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    assert answer.get_json()["results"]["bindings"][0]["n"]["value"] == "8"
