"""The embedded store and RDF loading: formats, graphs, persistence, and all-or-nothing writes."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest
from rdflib import Graph

from service.ingest.rdf import SOURCES_GRAPH, LoadError, default_graph_for, load_files
from service.store import EmbeddedStore, StoreBusy
from service.store.embedded import STAGING

SMALL = """@prefix ex: <http://example.org/> .
ex:a ex:p ex:b ; ex:q "one" .
ex:b ex:p [ ex:r "blank" ] .
"""


class Wrapping:
    """Stands in for an Oxigraph store, passing everything on: subclasses make one call fail."""

    def __init__(self, store):
        self.real = store

    def __getattr__(self, name):
        return getattr(self.real, name)


def triples_in(store, graph: str) -> int:
    return next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")))["n"].value


@pytest.mark.parametrize("fmt,ext", [("turtle", "ttl"), ("nt", "nt"), ("xml", "rdf"), ("json-ld", "jsonld")])
def test_each_triple_format_loads_into_the_files_own_graph(tmp_path, store, fmt, ext):
    path = tmp_path / f"small.{ext}"
    path.write_text(Graph().parse(data=SMALL, format="turtle").serialize(format=fmt), encoding="utf-8")
    report = load_files(store, [path])
    graph = default_graph_for(path).value
    assert report.graphs == {graph: 4}
    assert int(triples_in(store, graph)) == 4


@pytest.mark.parametrize("fmt,ext", [("nquads", "nq"), ("trig", "trig")])
def test_quad_formats_keep_their_named_graphs(tmp_path, store, fmt, ext):
    text = {
        "nquads": "<http://x/s> <http://x/p> <http://x/o> <http://x/g1> .\n"
        "<http://x/s> <http://x/p> <http://x/o2> <http://x/g2> .\n",
        "trig": "<http://x/g1> { <http://x/s> <http://x/p> <http://x/o> } "
        "<http://x/g2> { <http://x/s> <http://x/p> <http://x/o2> }",
    }[fmt]
    path = tmp_path / f"data.{ext}"
    path.write_text(text, encoding="utf-8")
    load_files(store, [path])
    assert {(g.name, g.triples) for g in store.graphs()} >= {("http://x/g1", 1), ("http://x/g2", 1)}


def test_reloading_a_file_replaces_its_graph_and_append_adds(tmp_path, store):
    path = tmp_path / "a.ttl"
    path.write_text(SMALL, encoding="utf-8")
    load_files(store, [path])
    load_files(store, [path])  # blank nodes would double if this added
    graph = default_graph_for(path).value
    assert int(triples_in(store, graph)) == 4
    path.write_text("<http://example.org/a> <http://example.org/p> <http://example.org/c> .", encoding="utf-8")
    load_files(store, [path])
    assert int(triples_in(store, graph)) == 1
    load_files(store, [tmp_path / "a.ttl"], graph="http://x/extra")
    (tmp_path / "b.ttl").write_text(SMALL, encoding="utf-8")
    load_files(store, [tmp_path / "b.ttl"], graph="http://x/extra", append=True)
    assert int(triples_in(store, "http://x/extra")) == 5


def test_load_records_where_each_graph_came_from(tmp_path, store):
    path = tmp_path / "a.ttl"
    path.write_text(SMALL, encoding="utf-8")
    load_files(store, [path])
    load_files(store, [path])
    rows = list(
        store.query(
            f"SELECT ?p ?o WHERE {{ GRAPH <{SOURCES_GRAPH.value}> {{ <{default_graph_for(path).value}> ?p ?o }} }}"
        )
    )
    values = {(r["p"].value.rsplit("/", 1)[-1].rsplit("#", 1)[-1], r["o"].value) for r in rows}
    assert ("source", "a.ttl") in values
    assert ("wasDerivedFrom", "urn:sha256:" + hashlib.sha256(SMALL.encode()).hexdigest()) in values
    assert sum(1 for p, _ in values if p == "generatedAtTime") == 1  # replaced, not accumulated


def test_blank_nodes_of_two_files_stay_apart(tmp_path, store):
    for name in ("x.ttl", "y.ttl"):
        (tmp_path / name).write_text("_:b <http://x/p> 1 .", encoding="utf-8")
    load_files(store, [tmp_path / "x.ttl", tmp_path / "y.ttl"], graph="http://x/g")
    assert int(triples_in(store, "http://x/g")) == 2


def test_a_file_that_does_not_parse_names_file_line_and_column_and_writes_nothing(tmp_path, store):
    good = tmp_path / "good.ttl"
    good.write_text(SMALL, encoding="utf-8")
    load_files(store, [good])
    before = store.quad_count()
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://x/> .\nex:a ex:b ex:c .\nex:d ex:e "unterminated .\n', encoding="utf-8")
    other = tmp_path / "other.ttl"
    other.write_text("<http://x/s> <http://x/p> <http://x/o> .", encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_files(store, [other, bad, good])
    [problem] = caught.value.problems
    assert problem.path.endswith("bad.ttl") and problem.line == 3
    assert "bad.ttl, line 3, column" in str(problem)
    assert store.quad_count() == before
    assert default_graph_for(other).value not in {g.name for g in store.graphs()}


def test_every_bad_file_is_reported_at_once(tmp_path, store):
    (tmp_path / "one.ttl").write_text("<http://x/s> <http://x/p> .", encoding="utf-8")
    (tmp_path / "two.nt").write_text("<not an iri> <http://x/p> <http://x/o> .", encoding="utf-8")
    (tmp_path / "three.txt").write_text("", encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_files(store, [tmp_path / "one.ttl", tmp_path / "two.nt", tmp_path / "three.txt", tmp_path / "missing.ttl"])
    assert [p.path.rsplit("/", 1)[-1] for p in caught.value.problems] == [
        "one.ttl",
        "two.nt",
        "three.txt",
        "missing.ttl",
    ]
    assert store.quad_count() == 0


def test_data_survives_closing_and_reopening(tmp_path):
    location = tmp_path / "store"
    first = EmbeddedStore(location)
    (tmp_path / "a.ttl").write_text(SMALL, encoding="utf-8")
    load_files(first, [tmp_path / "a.ttl"])
    count = first.quad_count()
    first.close()
    again = EmbeddedStore(location)
    assert again.quad_count() == count > 0
    again.close()


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path):
    first = EmbeddedStore(tmp_path / "store")
    with pytest.raises(StoreBusy, match="in use by another process"):
        EmbeddedStore(tmp_path / "store")
    first.close()


def test_abandoned_staging_graphs_are_dropped_on_open(tmp_path):
    location = tmp_path / "store"
    s = EmbeddedStore(location)
    s.update(f"INSERT DATA {{ GRAPH <{STAGING}dead:d0> {{ <http://x/s> <http://x/p> <http://x/o> }} }}")
    s.close()
    s = EmbeddedStore(location)
    assert s.quad_count() == 0
    s.close()


@pytest.mark.slow
def test_a_load_killed_half_way_leaves_all_or_nothing(tmp_path):
    """kill -9 a load of a large file at several moments: the store holds the whole file or none of it."""
    big = tmp_path / "big.nt"
    n = 200_000
    with open(big, "w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(f'<http://x/s{i}> <http://x/p> "value {i}" .\n')
    outcomes = set()
    for delay in (0.3, 0.8, 1.5, 2.5):
        location = tmp_path / f"store-{delay}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "--store", str(location), "load", str(big)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        s = EmbeddedStore(location)
        count = s.quad_count()
        outcomes.add(count)
        data = sum(g.triples for g in s.graphs() if g.name != SOURCES_GRAPH.value)
        s.close()
        assert data in (0, n), f"killed after {delay}s: {data} of {n} triples"
    assert outcomes, "no run"


def test_a_replacement_interrupted_after_its_journal_is_finished_on_reopen(tmp_path, monkeypatch):
    location = tmp_path / "store"
    path = tmp_path / "a.ttl"
    path.write_text(SMALL, encoding="utf-8")
    s = EmbeddedStore(location)
    load_files(s, [path])
    path.write_text("<http://example.org/a> <http://example.org/p> <http://example.org/new> .", encoding="utf-8")

    def crash(self):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(EmbeddedStore, "_apply_journal", crash)
    with pytest.raises(KeyboardInterrupt):
        load_files(s, [path])
    s.close()
    monkeypatch.undo()
    s = EmbeddedStore(location)
    graph = default_graph_for(path).value
    rows = list(s.query(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
    assert [r["o"].value for r in rows] == ["http://example.org/new"]
    assert s.quad_count() == sum(g.triples for g in s.graphs())  # no staging quads left behind
    assert int(triples_in(s, SOURCES_GRAPH.value)) == 5  # type, time, derived from, name, checksum
    s.close()


class _DiesAfterFirstBatch(Wrapping):
    """The bulk loader commits in batches: it writes the file's first triple, then fails."""

    def bulk_load(self, source, **kwargs):  # noqa: ANN001
        import pyoxigraph

        first = next(iter(pyoxigraph.parse(source, format=kwargs["format"])))
        self.real.add(pyoxigraph.Quad(first.subject, first.predicate, first.object, kwargs["to_graph"]))
        raise KeyboardInterrupt("killed")


def test_a_bulk_load_that_died_part_way_is_dropped_on_reopen(tmp_path, monkeypatch):
    """A death after the first batch, before the load can take it back: the next open drops it."""
    location = tmp_path / "store"
    path = tmp_path / "big.nt"
    path.write_text("".join(f'<http://x/s{i}> <http://x/p> "{i}" .\n' for i in range(100)), encoding="utf-8")
    s = EmbeddedStore(location)
    real = s._store
    s._store = _DiesAfterFirstBatch(real)
    monkeypatch.setattr(EmbeddedStore, "_apply_journal", lambda self: False)  # dead: nothing runs after
    with pytest.raises(KeyboardInterrupt):
        load_files(s, [path])
    monkeypatch.undo()
    assert len(real) > 0  # the first batch is there
    assert s.data_version() is None  # "changing": no run pairs a name with this
    s._store = real
    s.close()
    del real  # the directory lock goes with the last reference
    s = EmbeddedStore(location)
    assert s.quad_count() == 0
    load_files(s, [path])
    assert s.quad_count() == 100 + 5  # the file and its provenance note
    s.close()


def test_a_bulk_load_that_fails_takes_back_what_it_wrote_and_keeps_the_datas_name(tmp_path):
    """The bulk loader is its own syntax check: a file it cannot finish is dropped again at once, and
    the data, being as it was, keeps its name (a run's cache and stored entailments stay current)."""
    location = tmp_path / "store"
    s = EmbeddedStore(location)
    first = tmp_path / "first.ttl"
    first.write_text(SMALL, encoding="utf-8")
    load_files(s, [first])
    before, version = sorted(map(str, s.match())), s.data_version()
    path = tmp_path / "big.nt"
    path.write_text("".join(f'<http://x/s{i}> <http://x/p> "{i}" .\n' for i in range(100)), encoding="utf-8")
    real = s._store
    s._store = _DiesAfterFirstBatch(real)
    with pytest.raises(KeyboardInterrupt):
        load_files(s, [path])
    s._store = real
    assert sorted(map(str, s.match())) == before and s.data_version() == version
    # a file broken at its end, after 50,000 good triples: refused whole, naming the line
    broken = tmp_path / "broken.ttl"
    with open(broken, "w", encoding="utf-8") as handle:
        handle.writelines(f'<http://x/s{i}> <http://x/p> "{i}" .\n' for i in range(50_000))
        handle.write('<http://x/s> <http://x/p> "unterminated .\n')
    with pytest.raises(LoadError) as caught:
        load_files(s, [broken])
    assert caught.value.problems[0].line == 50_001 and "broken.ttl" in str(caught.value.problems[0])
    assert sorted(map(str, s.match())) == before and s.data_version() == version
    names = {g.value for g in s._store.named_graphs()}  # no journal left either
    assert names == {default_graph_for(first).value, SOURCES_GRAPH.value}
    s.close()


def test_every_data_write_renames_the_data_state_and_derived_or_unchanged_writes_do_not(tmp_path):
    """data_version names what the data holds (a run's cache is keyed by it): each kind of write that
    changes a graph gives a new name; a derived graph or a write that changes nothing keeps it. While a
    write is under way (or after one died) there is no name, so no run pairs a name with other data."""
    from pyoxigraph import NamedNode, Quad

    location = tmp_path / "store"
    s = EmbeddedStore(location)
    path = tmp_path / "one.ttl"
    path.write_text('<http://x/a> <http://x/p> "one" .\n', encoding="utf-8")  # no blank node: a reload is the same
    seen = [s.data_version()]
    assert seen[0] is not None and not s.graph_names()  # the store's own bookkeeping is no graph

    def renamed() -> bool:
        seen.append(s.data_version())
        return seen[-1] is not None and seen[-1] not in seen[:-1]

    load_files(s, [path])  # a file into a new graph (the bulk loader)
    assert renamed()
    load_files(s, [path])  # the same file again: nothing changes
    assert s.data_version() == seen[-1]
    g = NamedNode("http://x/g")
    s.write_graphs([Quad(NamedNode("http://x/a"), NamedNode("http://x/p"), NamedNode("http://x/b"), g)], [g])
    assert renamed()
    s.write_graphs([Quad(NamedNode("http://x/a"), NamedNode("http://x/p"), NamedNode("http://x/c"), g)], [g])
    assert renamed()  # a replacement through the journal
    extra = Quad(NamedNode("http://x/d"), NamedNode("http://x/p"), NamedNode("http://x/e"), g)
    s.write_graphs([extra], [g], append=True)
    assert renamed()
    d = NamedNode("http://x/derived")
    s.write_graphs([Quad(NamedNode("http://x/a"), NamedNode("http://x/p"), d, d)], [d], derived=True)
    assert s.data_version() == seen[-1]
    s.update("INSERT DATA { GRAPH <http://x/g> { <http://x/u> <http://x/p> 1 } }")
    assert renamed()
    # a write that dies part-way leaves no name until the store is opened again
    real = s._store

    class Dies(Wrapping):
        def extend(self, quads):
            raise KeyboardInterrupt("killed")

    s._store = Dies(real)
    with pytest.raises(KeyboardInterrupt):
        s.write_graphs([extra], [NamedNode("http://x/h")], append=True)
    s._store = real
    assert s.data_version() is None  # no name until the store is opened again (or written again)
    s.close()
    del real
    again = EmbeddedStore(location, read_only=True)
    assert again.data_version() is None  # a read-only opening names nothing: another process may write
    del again
    (tmp_path / "store.cache" / "version").write_text("changing", encoding="ascii")  # as a crash leaves it
    s = EmbeddedStore(location)
    assert renamed()
    s.close()


def test_copying_graphs_out_keeps_their_text_and_leaves_nothing_behind_when_it_fails(tmp_path):
    """copy_graphs_into parses the graphs Oxigraph writes while it writes them: the copy holds every
    triple of the graphs asked for (all their predicates), blank-node labels included, the kept text is
    what was parsed and its hash is the text's; a write that dies leaves neither the kept file nor any
    part of it."""
    import pyoxigraph

    s = EmbeddedStore(tmp_path / "store")
    a, b, c = (pyoxigraph.NamedNode(f"http://x/g{i}") for i in range(3))
    p = pyoxigraph.NamedNode("http://x/p")
    quads = [
        pyoxigraph.Quad(pyoxigraph.NamedNode(f"{g.value}/s{i}"), p, pyoxigraph.Literal(str(i)), g)
        for g in (a, b, c)
        for i in range(2000)
    ]
    quads.append(pyoxigraph.Quad(pyoxigraph.BlankNode("kept"), p, pyoxigraph.Literal("x"), b))
    quads.append(pyoxigraph.Quad(pyoxigraph.BlankNode("kept"), pyoxigraph.NamedNode("http://x/q"), a, b))
    s.write_graphs(quads, [a, b, c])
    keep = tmp_path / "out" / "copy.nt"
    keep.parent.mkdir()
    work = pyoxigraph.Store()
    hasher = s.copy_graphs_into([a.value, b.value], work, keep)
    assert len(work) == 4002 and not list(work.quads_for_pattern(None, None, None, c))
    assert pyoxigraph.BlankNode("kept") in {q.subject for q in work}
    text = keep.read_bytes()
    assert hasher.hexdigest() == hashlib.sha256(text).hexdigest()
    assert {q.triple for q in pyoxigraph.parse(text, pyoxigraph.RdfFormat.N_TRIPLES, rename_blank_nodes=False)} == {
        q.triple for q in work
    }
    assert sorted(x.name for x in keep.parent.iterdir()) == ["copy.nt"]
    real = s._store

    class DiesPartWay(Wrapping):
        def query(self, text, **kw):
            if text.startswith("CONSTRUCT") and c.value in text:  # the third graph, once two are written
                raise OSError("No space left on device")
            return self.real.query(text, **kw)

    s._store = DiesPartWay(real)
    keep.unlink()
    with pytest.raises(Exception, match="No space left"):
        s.copy_graphs_into([a.value, b.value, c.value], pyoxigraph.Store(), keep)
    assert list(keep.parent.iterdir()) == []
    s._store = real
    s.close()


def test_the_journal_leaves_no_graph_name_behind(tmp_path):
    """A bulk load and a bulk-written derived graph mark their work in the journal graph and unmark it
    after; SPARQL's list of graphs then shows only the graphs written, never the journal."""
    import pyoxigraph

    from service.store.embedded import BULK_WRITE

    s = EmbeddedStore(tmp_path / "store")
    path = tmp_path / "a.ttl"
    path.write_text('<http://x/a> <http://x/p> "1" .\n', encoding="utf-8")
    load_files(s, [path])
    g = pyoxigraph.NamedNode("http://x/report")
    p = pyoxigraph.NamedNode("http://x/p")
    s.write_graphs(
        [pyoxigraph.Quad(pyoxigraph.BlankNode(), p, pyoxigraph.Literal(str(i)), g) for i in range(BULK_WRITE + 1)],
        [g],
        derived=True,
    )
    listed = {r["g"].value for r in s.query("SELECT ?g WHERE { GRAPH ?g { } }")}
    assert listed == {default_graph_for(path).value, SOURCES_GRAPH.value, g.value}
    assert not [name for name in listed if name.startswith(STAGING)]
    s.close()


def test_a_bulk_write_keeps_the_labels_of_blank_nodes_in_every_graph(tmp_path, monkeypatch):
    """A write large enough for the bulk loader, into a new graph and one that holds data already (the
    entailments and the hanging index when only one of them is stored), keeps the labels of the blank
    nodes it names in both: they are the data's own nodes, which SPARQL's INSERT DATA would relabel."""
    from pyoxigraph import BlankNode, Literal, NamedNode, Quad

    import service.store.embedded as embedded

    monkeypatch.setattr(embedded, "BULK_WRITE", 10)
    s = EmbeddedStore(tmp_path / "store")
    old, new, p = NamedNode("http://x/old"), NamedNode("http://x/new"), NamedNode("http://x/p")
    node = BlankNode("datanode1")
    there = Quad(NamedNode("http://x/a"), p, Literal("0"), old)
    s.write_graphs([there], [old], derived=True)
    many = [Quad(node, p, Literal(str(i)), new) for i in range(20)]
    s.write_graphs([*many, there, Quad(node, p, Literal("kept"), old)], [new, old], derived=True)
    assert {q.subject for q in s.match(None, None, None, new)} == {node}
    assert Quad(node, p, Literal("kept"), old) in set(s.match(None, None, None, old))
    s.close()


def test_a_bulk_write_into_a_new_graph_is_compacted_after(tmp_path, monkeypatch):
    """After a write into new graphs large enough for the bulk loader (a full run's report), the store
    is compacted in the background, whatever the write's size: without it, looking up one node's
    triples at 10,000 partnerships took 3 to 48 ms instead of 0.1 ms, and at 1,000 one-partnership
    runs took two to four times as long. A write too small for the bulk loader is not followed by one."""
    from pyoxigraph import Literal, NamedNode, Quad

    import service.store.embedded as embedded

    s = EmbeddedStore(tmp_path / "store")
    compacted = []
    monkeypatch.setattr(s, "_compact", lambda wait=True: compacted.append(wait))
    g, h = NamedNode("http://x/small"), NamedNode("http://x/report")
    p = NamedNode("http://x/p")
    few = [Quad(NamedNode(f"http://x/r{i}"), p, Literal(str(i)), g) for i in range(embedded.BULK_WRITE)]
    s.write_graphs(few, [g], derived=True)
    assert compacted == [] and s.quad_count() == len(few)
    many = [Quad(NamedNode(f"http://x/r{i}"), p, Literal(str(i)), h) for i in range(embedded.BULK_WRITE + 1)]
    assert len(many) < embedded.COMPACT_AFTER
    s.write_graphs(many, [h], derived=True)
    assert compacted == [False] and s.quad_count() == len(few) + len(many)  # in the background
    s.close()


def test_a_bulk_load_is_compacted_after(tmp_path, monkeypatch):
    """A file stored with the bulk loader is compacted after, in the background: left as loaded, the
    queries of later read-only opens took about three times as long at 10,000 partnerships."""
    from pyoxigraph import NamedNode, RdfFormat

    s = EmbeddedStore(tmp_path / "store")
    compacted = []
    monkeypatch.setattr(s, "_compact", lambda wait=True: compacted.append(wait))
    data = tmp_path / "one.nt"
    data.write_text("<http://x/a> <http://x/p> <http://x/b> .\n<http://x/a> <http://x/p> <http://x/c> .\n")
    with open(data, "rb") as source:
        assert s.load_new_graph(source, RdfFormat.N_TRIPLES, NamedNode("http://x/g")) == 2
    assert compacted == [False]
    s.close()


class _SlowOptimize:
    """An Oxigraph store whose optimize() waits until the test lets it go."""

    def __init__(self, store, go) -> None:  # noqa: ANN001
        self._inner, self.go = store, go

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._inner, name)

    def __len__(self) -> int:
        return len(self._inner)

    def optimize(self) -> None:
        assert self.go.wait(10)
        self._inner.optimize()


def test_a_compaction_in_the_background_answers_reads_and_holds_back_writes(tmp_path):
    """A background compaction (after a run's report) leaves reads answered, makes the next write wait
    until it ends, and keeps a marker in the cache directory while under way."""
    import threading

    from pyoxigraph import Literal, NamedNode, Quad

    from service.store.embedded import COMPACTING_FILE

    s = EmbeddedStore(tmp_path / "store")
    p, g = NamedNode("http://x/p"), NamedNode("http://x/g")
    s.write_graphs([Quad(NamedNode("http://x/a"), p, Literal("1"), g)], [g])
    go = threading.Event()
    s._store = _SlowOptimize(s._store, go)
    s._compact(wait=False)
    marker = s.cache_directory / COMPACTING_FILE
    assert marker.exists() and s._compacting is not None and s._compacting.is_alive()
    assert s.quad_count() == 1  # a read while it runs
    h = NamedNode("http://x/h")
    writer = threading.Thread(target=s.write_graphs, args=([Quad(NamedNode("http://x/b"), p, Literal("2"), h)], [h]))
    writer.start()
    writer.join(0.5)
    assert writer.is_alive() and s.quad_count() == 1  # the write waits for the compaction
    go.set()
    writer.join(10)
    assert not writer.is_alive() and s.quad_count() == 2 and not marker.exists()
    s.close()


def test_a_compaction_a_stopped_process_left_is_run_again_on_open(tmp_path, monkeypatch):
    """The marker of a compaction that did not end makes the next open for writing compact (a read-only
    open cannot)."""
    from service.store import embedded

    EmbeddedStore(tmp_path / "store").close()
    (tmp_path / "store.cache").mkdir(exist_ok=True)
    (tmp_path / "store.cache" / embedded.COMPACTING_FILE).touch()
    calls = []
    real = embedded.EmbeddedStore._compact
    monkeypatch.setattr(embedded.EmbeddedStore, "_compact", lambda self, wait=True: calls.append(wait) or real(self))
    EmbeddedStore(tmp_path / "store", read_only=True).close()
    assert calls == []
    EmbeddedStore(tmp_path / "store").close()
    assert calls == [True] and not (tmp_path / "store.cache" / embedded.COMPACTING_FILE).exists()


def test_compactions_asked_for_while_deferred_run_once_at_the_end(tmp_path):
    """Within compaction_deferred (a validation run), the bulk writes' compactions wait for its end and
    run once then; the marker is there from the first, so a process stopped meanwhile compacts on the
    next open."""
    import threading

    from pyoxigraph import Literal, NamedNode, Quad

    import service.store.embedded as embedded

    s = EmbeddedStore(tmp_path / "store")
    go = threading.Event()
    go.set()
    s._store = _SlowOptimize(s._store, go)
    started = []
    real = s._store.optimize
    s._store.optimize = lambda: started.append(1) or real()
    p = NamedNode("http://x/p")
    marker = s.cache_directory / embedded.COMPACTING_FILE
    with s.compaction_deferred():
        for name in ("http://x/entailed", "http://x/report"):
            g = NamedNode(name)
            s.write_graphs(
                [Quad(NamedNode(f"http://x/r{i}"), p, Literal(str(i)), g) for i in range(embedded.BULK_WRITE + 1)],
                [g],
                derived=True,
            )
        assert s._compacting is None and marker.exists()
    s.settle()
    assert len(started) == 1 and not marker.exists()
    s.close()


def test_graph_counts_are_kept_until_the_next_write_of_any_kind(tmp_path, monkeypatch):
    """graphs() counts every quad once and keeps the counts while no write begins: a load, a
    replacement, an append and a SPARQL update each give new counts. A read-only store counts each time."""
    from pyoxigraph import Literal, NamedNode, Quad

    s = EmbeddedStore(tmp_path / "store")
    src = tmp_path / "a.ttl"
    src.write_text(SMALL, encoding="utf-8")
    load_files(s, [src])
    g = default_graph_for(src).value
    counted = {"n": 0}
    query = s._store.query

    class Counting(Wrapping):
        def query(self, text, *args, **kwargs):
            if "GROUP BY ?g" in text:
                counted["n"] += 1
            return query(text, *args, **kwargs)

    monkeypatch.setattr(s, "_store", Counting(s._store))

    def sizes():
        return {i.name: i.triples for i in s.graphs()}

    assert sizes()[g] == 4 and sizes()[g] == 4 and counted["n"] == 1
    other = NamedNode("http://x/other")
    s.write_graphs([Quad(NamedNode("http://x/s"), NamedNode("http://x/p"), Literal("1"), other)], [other])
    assert sizes()["http://x/other"] == 1 and counted["n"] == 2
    s.write_graphs([Quad(NamedNode("http://x/s"), NamedNode("http://x/p"), Literal("2"), other)], [other], append=True)
    assert sizes()["http://x/other"] == 2 and counted["n"] == 3
    s.update("DELETE WHERE { GRAPH <http://x/other> { ?s ?p ?o } }")
    assert "http://x/other" not in sizes() and sizes()[g] == 4 and counted["n"] == 4
    s.close()
    ro = EmbeddedStore(tmp_path / "store", read_only=True)
    assert ro.graphs() == ro.graphs() and ro.graphs()
    ro.close()


BIGGER = """@prefix ex: <http://example.org/> .
ex:a ex:p ex:c ; ex:q "two" .
ex:c ex:p [ ex:r "blank again" ; ex:s [ ex:t 1 ] ] .
"""


def _graph_of(store, graph: str) -> Graph:
    text = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in store.graph_quads(graph))
    return Graph().parse(data=text, format="nt")  # one parse: a label names one node throughout


def _notes_about(store, graph: str) -> set[str]:
    rows = store.query(f"SELECT ?o WHERE {{ GRAPH <{SOURCES_GRAPH.value}> {{ <{graph}> ?p ?o }} }}")
    return {r["o"].value for r in rows}


def _store_holding_small(tmp_path, monkeypatch):
    """An embedded store holding SMALL as a file's graph, with every replacement of it going in bulk
    (REPLACE_IN_BULK 0): the store, the file and its graph."""
    from service.ingest import rdf

    monkeypatch.setattr(rdf, "REPLACE_IN_BULK", 0)
    s = EmbeddedStore(tmp_path / "store")
    path = tmp_path / "a.ttl"
    path.write_text(SMALL, encoding="utf-8")
    load_files(s, [path])
    return s, path, default_graph_for(path).value


def _counting_copies(monkeypatch) -> list:
    """Each copy of a staged graph into its target (EmbeddedStore._copy_graph), recorded as it runs."""
    copied, real = [], EmbeddedStore._copy_graph
    monkeypatch.setattr(EmbeddedStore, "_copy_graph", lambda self, *a: copied.append(a) or real(self, *a))
    return copied


def test_a_large_file_replaces_its_graph_in_bulk(tmp_path, monkeypatch):
    """A file of REPLACE_IN_BULK bytes or more that replaces a graph goes in through the bulk loader,
    twice (a staging graph, then the emptied graph): the graph then says what the file says (blank
    nodes and all), its provenance is the new file's alone, the data has a new name, and no staging
    graph or journal is left."""
    from rdflib.compare import isomorphic

    s, path, graph = _store_holding_small(tmp_path, monkeypatch)
    version = s.data_version()
    calls, copied = [], _counting_copies(monkeypatch)
    real_replace = s.replace_graph
    monkeypatch.setattr(s, "replace_graph", lambda *a, **k: calls.append(1) or real_replace(*a, **k))
    path.write_text(BIGGER, encoding="utf-8")
    assert load_files(s, [path]).graphs == {graph: 6}
    assert calls == [1] and not copied  # the file's bytes loaded again, not the staged triples copied
    assert isomorphic(_graph_of(s, graph), Graph().parse(data=BIGGER, format="turtle"))
    digest = "urn:sha256:" + hashlib.sha256(BIGGER.encode()).hexdigest()
    assert digest in _notes_about(s, graph)
    assert "urn:sha256:" + hashlib.sha256(SMALL.encode()).hexdigest() not in _notes_about(s, graph)
    assert s.data_version() not in (None, version)
    assert {g.value for g in s._store.named_graphs()} == {graph, SOURCES_GRAPH.value}
    s.close()


def test_a_large_replacement_that_does_not_parse_leaves_the_graph_as_it_was(tmp_path, monkeypatch):
    s, path, graph = _store_holding_small(tmp_path, monkeypatch)
    before, version = sorted(map(str, s.match())), s.data_version()
    path.write_text(BIGGER + 'ex:d ex:e "unterminated .\n', encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_files(s, [path])
    assert caught.value.problems[0].line == 4 and "a.ttl" in str(caught.value.problems[0])
    assert sorted(map(str, s.match())) == before and s.data_version() == version  # labels and all
    assert {g.value for g in s._store.named_graphs()} == {graph, SOURCES_GRAPH.value}
    s.close()


@pytest.mark.parametrize("stop_in", ["_load_again", "_drop_graph"])
def test_a_large_replacement_stopped_part_way_is_finished_on_reopen(tmp_path, monkeypatch, stop_in):
    """Once the file is read, the replacement is finished even if the process stops part-way: in the
    second load into the emptied graph (a stop there leaves no time for the copy from the staged
    triples either), or in dropping the staging graph after it."""
    from rdflib.compare import isomorphic

    s, path, graph = _store_holding_small(tmp_path, monkeypatch)
    real = getattr(EmbeddedStore, stop_in)
    seen = []

    def stops(self, *args):
        seen.append(args)
        if stop_in == "_drop_graph" and len(seen) == 1:
            return real(self, *args)  # the graph's old triples go; the staging graph's drop never starts
        raise KeyboardInterrupt  # the second load never starts: the graph is empty, the file's triples staged

    def stopped(self, *args):
        raise KeyboardInterrupt  # the process is gone: nothing of the replacement runs after the stop

    monkeypatch.setattr(EmbeddedStore, stop_in, stops)
    monkeypatch.setattr(EmbeddedStore, "_copy_graph", stopped)
    path.write_text(BIGGER, encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        load_files(s, [path])
    monkeypatch.undo()  # the stop, and the copy left undone, are over: the next process opens the store
    staged = [g for g in s._store.named_graphs() if g.value.startswith(STAGING) and g.value.endswith(":replacing")]
    assert len(staged) == 1 and int(triples_in(s, staged[0].value)) == 6  # left for the next open
    s.close()
    s = EmbeddedStore(tmp_path / "store")
    assert isomorphic(_graph_of(s, graph), Graph().parse(data=BIGGER, format="turtle"))
    assert "urn:sha256:" + hashlib.sha256(BIGGER.encode()).hexdigest() in _notes_about(s, graph)
    assert {g.value for g in s._store.named_graphs()} == {graph, SOURCES_GRAPH.value}
    s.close()


def test_a_large_replacement_whose_second_load_fails_is_finished_from_the_staged_triples(tmp_path, monkeypatch):
    """A replacement loads its file's bytes twice: into a staging graph, then into the emptied graph.
    If the second load fails, the same process finishes the replacement from the staged triples, and
    the load reports the failure with the file's name."""
    from rdflib.compare import isomorphic

    s, path, graph = _store_holding_small(tmp_path, monkeypatch)
    copied = _counting_copies(monkeypatch)

    def fails(self, *args):
        raise OSError("No space left on device")

    monkeypatch.setattr(EmbeddedStore, "_load_again", fails)
    path.write_text(BIGGER, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_files(s, [path])
    assert "a.ttl" in str(caught.value.problems[0]) and "No space left" in str(caught.value.problems[0])
    assert len(copied) == 1  # finished by the copy, at once
    assert isomorphic(_graph_of(s, graph), Graph().parse(data=BIGGER, format="turtle"))
    assert "urn:sha256:" + hashlib.sha256(BIGGER.encode()).hexdigest() in _notes_about(s, graph)
    assert {g.value for g in s._store.named_graphs()} == {graph, SOURCES_GRAPH.value}
    s.close()
