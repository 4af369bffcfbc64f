"""The SPARQL engine (shapes run as queries on Oxigraph) against pySHACL, the reference."""

from __future__ import annotations

import threading
from datetime import date

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef

from service.compliance.engine import Engine, Unsupported
from service.compliance.validate import results_of, validate
from service.generate import generate
from service.ingest.bootstrap import init_store
from service.ingest.rdf import load_files
from service.namespaces import SH
from service.sparqltext import join_into_groups, rewrite_not_exists
from service.store import EmbeddedStore
from service.store.terms import quads_into

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
"""

# Every constraint the engine compiles, each broken by some node and met by another.
SHAPES = (
    PREFIXES
    + """
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ; sh:message "person"@en ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ; sh:message "name"@en ] ,
        [ sh:path ex:knows ; sh:class ex:Person ; sh:message "knows"@en ] ,
        [ sh:path ex:status ; sh:in ( ex:active ex:retired ) ] ,
        [ sh:path ex:phone ; sh:minCount 2 ] ,
        [ sh:path ( ex:address ex:city ) ; sh:hasValue ex:Cambridge ] ,
        [ sh:path [ sh:inversePath ex:knows ] ; sh:qualifiedValueShape [ sh:class ex:Person ; sh:property [ sh:path ex:status ; sh:hasValue ex:active ] ] ;
          sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ] ,
        [ sh:path ex:start ; sh:lessThan ex:end ] ,
        [ sh:path ex:start ; sh:lessThanOrEquals ex:end ] ,
        [ sh:path ex:knows ; sh:node ex:NamedShape ] ,
        [ sh:path ex:status ; sh:not [ sh:hasValue ex:banned ] ] .
ex:NamedShape a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:EitherShape a sh:NodeShape ; sh:targetSubjectsOf ex:status ;
    sh:or ( [ sh:property [ sh:path ex:phone ; sh:minCount 1 ] ] [ sh:property [ sh:path ex:email ; sh:minCount 1 ] ] ) ;
    sh:and ( [ sh:class ex:Person ] ) .
ex:prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
ex:LonerShape a sh:NodeShape ; sh:targetNode ex:ann , ex:bob , ex:cat ;
    sh:sparql [ a sh:SPARQLConstraint ; sh:prefixes ex:prefixes ; sh:message "{$this} knows nobody who knows {?other}" ;
        sh:select \"\"\"SELECT $this ?other WHERE {
            ?other a ex:Person .
            FILTER NOT EXISTS { $this ex:knows ?x . ?x ex:knows ?other }
            FILTER (?other != $this) }\"\"\" ] .
ex:SelectedShape a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:prefixes ex:prefixes ; sh:select "SELECT ?this WHERE { ?this ex:status ex:retired }" ] ;
    sh:property [ sh:path ex:end ; sh:minCount 1 ] .
"""
)

DATA = (
    PREFIXES
    + """
ex:Student rdfs:subClassOf ex:Person .
ex:ann a ex:Person ; ex:name "Ann" ; ex:knows ex:bob , ex:rock ; ex:status ex:active ; ex:phone "1" , "2" ;
    ex:address [ ex:city ex:Cambridge ] ; ex:start 3 ; ex:end 2 .
ex:bob a ex:Student ; ex:name "Bob" , "Robert" ; ex:knows ex:ann , ex:cat ; ex:status ex:banned ; ex:email "b@x" ;
    ex:start "2024-01-01"^^xsd:date ; ex:end "2024-01-01"^^xsd:date .
ex:cat a ex:Person ; ex:name 7 ; ex:status ex:retired ; ex:knows ex:dan .
ex:dan a ex:Person ; ex:knows ex:ann ; ex:status ex:active .
ex:rock ex:name "Rock" .
ex:eve a ex:Person ; ex:name "Eve" ; ex:knows ex:ann ; ex:status ex:active ; ex:phone "3" , "4" .
[] a ex:Person ; ex:knows ex:eve ; ex:status ex:active ; ex:phone "5" , "6" .
ex:zoe a ex:Person ; ex:name "Zo\u00eb\t\\"Z\\"\\nof \\\\ Ely"@en ; ex:knows ex:eve ; ex:status ex:active ; ex:phone "7" , "8" .
"""
)


def _comparable(results, shapes: Graph) -> set[tuple]:  # noqa: ANN001
    """Results as comparable tuples: blank nodes (paths, nested shapes) by their description."""
    out = set()
    for r in results:
        path = r.path
        if isinstance(path, BNode):
            where = r.paths if r.paths is not None else shapes
            path = tuple(sorted((str(p), str(o)) for _, p, o in where.cbd(path) if not isinstance(o, BNode)))
        shape = str(r.shape) if isinstance(r.shape, URIRef) else "a property shape"
        # a shape's own message must match; the words each engine makes up when there is none need not
        own = r.constraint is not None or (r.shape, SH.message, None) in shapes
        message = sorted(str(m) for m in r.messages)[0] if own else ""
        out.add(
            (
                str(r.focus),
                shape,
                str(r.component),
                str(r.severity),
                str(r.value),
                str(path),
                message,
            )
        )
    return out


def test_every_compiled_constraint_finds_what_pyshacl_finds():
    shapes, data = Graph().parse(data=SHAPES, format="turtle"), Graph().parse(data=DATA, format="turtle")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, advanced=True, inference="none", allow_warnings=True)
    expected = results_of(report)
    store = ox.Store()
    store.extend(quads_into(data, ox.DefaultGraph()))
    engine = Engine(shapes)
    by_shape, _ = engine.targets(store)
    found = engine.run(store, by_shape)
    assert len(expected) >= 15  # every constraint above is broken at least once
    components = {str(r.component).rsplit("#", 1)[-1] for r in found}
    assert {
        "ClassConstraintComponent",
        "MinCountConstraintComponent",
        "LessThanConstraintComponent",
        "SPARQLConstraintComponent",
        "OrConstraintComponent",
        "QualifiedMaxCountConstraintComponent",
    } <= components
    # pySHACL keeps the node shape's message beside a SPARQL constraint's own; the engine keeps the
    # constraint's (the one the report shows), so compare on everything else and on the kept message
    for r in expected:
        if r.constraint is not None:
            own = {str(m) for m in shapes.objects(r.shape, SH.message)}
            r.messages = [m for m in r.messages if str(m) not in own] or r.messages
    assert _comparable(found, shapes) == _comparable(expected, shapes)
    assert not list(store.named_graphs())  # the focus marks are gone again
    # the answers come back from the engine's threads as TSV: a blank node, and a literal with a tab,
    # quotes, a line break and a backslash, came through as themselves (compared with pySHACL's above)
    assert any(isinstance(r.focus, BNode) for r in found)
    assert any(isinstance(r.value, Literal) and r.value.language == "en" and "\t" in r.value for r in found)


def test_a_caller_that_leaves_the_checks_early_stops_them_and_leaves_no_focus_marks():
    shapes, data = Graph().parse(data=SHAPES, format="turtle"), Graph().parse(data=DATA, format="turtle")
    store = ox.Store()
    store.extend(quads_into(data, ox.DefaultGraph()))
    engine = Engine(shapes)
    by_shape, _ = engine.targets(store)
    threads = threading.active_count()
    with pytest.raises(RuntimeError, match="the caller failed"), engine.checking(store, by_shape) as found:
        assert next(found) is not None
        raise RuntimeError("the caller failed")
    assert threading.active_count() == threads  # the engine's threads have ended
    assert not list(store.named_graphs())
    assert _comparable(engine.run(store, by_shape), shapes)  # the store is fit for the next run


def test_a_shape_the_engine_cannot_run_is_refused_and_the_run_falls_back_to_pyshacl(tmp_path):
    shapes = Graph().parse(
        data=PREFIXES
        + 'ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:name ; sh:pattern "^A" ] .',
        format="turtle",
    )
    with pytest.raises(Unsupported, match="pattern"):
        Engine(shapes)
    custom = Graph().parse(data=PREFIXES + "ex:T a sh:NodeShape ; sh:target [ a ex:MyTarget ] .", format="turtle")
    with pytest.raises(Unsupported, match="not a SPARQL-based target"):
        Engine(custom)  # found when the shapes are compiled, so the run can fall back, not mid-run
    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=False)
    data = tmp_path / "people.ttl"
    data.write_text(PREFIXES + 'ex:bob a ex:Person ; ex:name "Bob" .\n', encoding="utf-8")
    load_files(store, [data])
    store.write_graphs(
        quads_into(shapes, ox.NamedNode("https://w3id.org/partnerkg/graph/shapes")),
        [ox.NamedNode("https://w3id.org/partnerkg/graph/shapes")],
    )
    run = validate(store, as_at=date(2026, 11, 22), save=False)
    assert [(f.focus, f.path) for f in run.findings] == [("http://example.org/bob", "http://example.org/name")]
    store.close()


@pytest.mark.parametrize("as_at", [date(2025, 6, 1), date(2026, 11, 22)])
def test_the_engines_agree_on_the_sample(sample_store, as_at):
    fast = validate(sample_store, as_at=as_at, save=False)
    reference = validate(sample_store, as_at=as_at, save=False, engine="pyshacl")
    assert fast.findings and sorted(fast.findings, key=str) == sorted(reference.findings, key=str)
    assert fast.scorecard == reference.scorecard


def test_the_engines_agree_on_a_generated_register_and_on_one_partnership(tmp_path):
    made = generate(tmp_path / "gen", councils=2, partnerships_per_council=8, seed=5)
    store = EmbeddedStore(tmp_path / "store")
    init_store(store, sample=False)
    load_files(store, [made.register])
    as_at = date(2026, 11, 22)
    fast = validate(store, as_at=as_at, save=False)
    reference = validate(store, as_at=as_at, save=False, engine="pyshacl")
    assert len(fast.findings) > 150 and sorted(fast.findings, key=str) == sorted(reference.findings, key=str)
    one = fast.findings[0].partnerships[0]
    alone = validate(store, as_at=as_at, save=False, partnership=one)
    assert sorted(alone.findings, key=str) == sorted((f for f in fast.findings if one in f.partnerships), key=str)
    store.close()


def test_not_exists_is_rewritten_outside_strings_iris_and_comments():
    query = """SELECT ?x WHERE {
      ?x a <http://e/T> . FILTER NOT EXISTS { ?x <http://e/p> "}" . FILTER NOT EXISTS { ?x <http://e/q> ?c } } # }
      ?x <http://e/n> ?n . FILTER (?n < 3) }"""
    out = rewrite_not_exists(query)
    assert "NOT EXISTS" not in out and out.count("OPTIONAL") == 2 and '"}"' in out and "<http://e/T>" in out
    data = """@prefix e: <http://e/> .
    e:a a <http://e/T> ; e:n 1 . e:b a <http://e/T> ; e:n 2 ; e:p "}" .
    e:c a <http://e/T> ; e:n 2 ; e:p "}" ; e:q 1 . e:d a <http://e/T> ; e:n 5 ."""
    store = ox.Store()
    store.load(data.encode(), format=ox.RdfFormat.TURTLE)
    assert (
        {r[0] for r in store.query(out)}
        == {r[0] for r in store.query(query)}
        == {ox.NamedNode("http://e/a"), ox.NamedNode("http://e/c")}
    )


def test_the_focus_nodes_join_a_lone_nested_group_and_answer_as_they_do_outside_it():
    """join_into_groups puts the pattern into a top-level group's one nested group (or each UNION
    branch) when nothing but OPTIONAL, FILTER and BIND stands beside it, and at the top otherwise
    (a triple pattern, GRAPH or a subquery beside or in it); the answers are the outer join's."""
    focus = "?this <http://e/focus> true ."
    lone = "SELECT ?this ?n WHERE { { ?this a <http://e/T> } OPTIONAL { ?this <http://e/n> ?n } FILTER (!BOUND(?n) || ?n < 3) }"
    union = 'SELECT ?this WHERE { { ?this <http://e/n> 1 } UNION { ?this <http://e/p> "{" } # { x\n }'
    beside = "SELECT ?this WHERE { { ?this a <http://e/T> } ?this <http://e/n> 2 }"
    sub = "SELECT ?this WHERE { { SELECT ?this WHERE { ?this a <http://e/T> } } OPTIONAL { ?this <http://e/n> ?n } }"
    graph = "SELECT ?this WHERE { { ?this a <http://e/T> } GRAPH ?g { ?this <http://e/n> 2 } }"

    def top(query: str) -> str:
        start = query.index("{")
        return query[: start + 1] + " " + focus + " " + query[start + 1 :]

    assert join_into_groups(lone, focus) == lone.replace("{ {", "{ { " + focus + " ", 1)
    assert join_into_groups(union, focus).count(focus) == 2 and '"{"' in join_into_groups(union, focus)
    for query in (beside, sub, graph):
        assert join_into_groups(query, focus) == top(query)
    data = """@prefix e: <http://e/> .
    e:a a e:T ; e:n 1 ; e:focus true . e:b a e:T ; e:n 2 ; e:p "{" . e:c a e:T ; e:n 5 ; e:focus true .
    e:d a e:T ; e:focus true . e:e e:p "{" ; e:focus true ."""
    store = ox.Store()
    store.load(data.encode(), format=ox.RdfFormat.TURTLE)
    for query in (lone, union, beside, sub):
        joined = {tuple(map(str, r)) for r in store.query(join_into_groups(query, focus))}
        assert joined == {tuple(map(str, r)) for r in store.query(top(query))}, query
    assert {r[0].value for r in store.query(join_into_groups(lone, focus))} == {"http://e/a", "http://e/d"}


def test_the_project_shapes_sparql_answers_the_same_rewritten(sample_store):
    """Every SPARQL constraint and target of the shapes, rewritten, selects what it selects as written."""
    from service.compliance.derive import dated_values
    from service.compliance.validate import entailed_for, read_shapes, working_copy
    from service.namespaces import sparql_prefixes

    work, digest, _ = working_copy(sample_store)
    entailed_for(sample_store, work, digest)
    work.extend(dated_values(work, date(2026, 11, 22), run=URIRef("urn:x-run")))
    shapes = read_shapes(sample_store)
    texts = [str(t) for t in shapes.objects(None, SH.select)]
    assert len([t for t in texts if "NOT EXISTS" in t]) >= 8
    for text in texts:
        query = sparql_prefixes() + text.replace("$this", "?this")
        assert sorted(map(str, work.query(rewrite_not_exists(query)))) == sorted(map(str, work.query(query))), text
