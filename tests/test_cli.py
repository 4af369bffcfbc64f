"""The partnerkg command, in process, on the sample."""

from __future__ import annotations

import json

import pyoxigraph
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from service.cli import main
from service.ingest.bootstrap import SAMPLE_DIR
from service.namespaces import GRAPH
from service.store.terms import graph_from_triples

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


@pytest.mark.parametrize("command", ["init", "load", "export", "query", "graphs", "serve", "reason"])
def test_every_command_has_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_main_help_lists_commands_and_settings(cli):
    result = cli("--help")
    for word in ("load", "export", "query", "graphs", "serve", "PARTNERKG_STORE", "PARTNERKG_PORT"):
        assert word in result.output


def test_init_loads_everything_and_if_empty_leaves_a_full_store_alone(cli):
    first = cli("init")
    assert first.exit_code == 0, first.output
    graphs = json.loads(cli("graphs", "--format", "json").output)
    names = {g["graph"] for g in graphs}
    assert {str(GRAPH["ontology"]), str(GRAPH["policies"]), str(GRAPH["sample/partnerships"])} <= names
    again = cli("init", "--if-empty")
    assert "left as it is" in again.output


def test_query_formats(cli):
    cli("init")
    q = "SELECT ?p ?name WHERE { GRAPH ?g { ?p a pk:Partnership ; rdfs:label ?name } } ORDER BY ?name"
    table = cli("query", q)
    assert "Cambridgeshire Together" in table.output and "partnership:" not in table.output
    csv_out = cli("query", q, "--format", "csv").output.splitlines()
    assert csv_out[0] == "p,name" and len(csv_out) == 9
    tsv_out = cli("query", q, "--format", "tsv").output.splitlines()
    assert tsv_out[0] == "?p\t?name" and len(tsv_out) == 9
    data = json.loads(cli("query", q, "--format", "json").output)
    assert len(data["results"]["bindings"]) == 8
    assert cli("query", "ASK { GRAPH ?g { ?x a pk:Council } }").output.strip() == "true"


def test_query_from_file_and_union_default_graph(cli, tmp_path):
    cli("init")
    path = tmp_path / "q.rq"
    path.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?m a pk:Meeting }", encoding="utf-8")
    plain = cli("query", "--file", str(path), "--format", "csv").output.splitlines()[-1]
    union = cli("query", "--file", str(path), "--format", "csv", "--union").output.splitlines()[-1]
    assert plain == "0" and int(union) >= 40


def test_construct_prints_rdf(cli):
    cli("init")
    out = cli("query", "CONSTRUCT { ?s a pk:Council } WHERE { GRAPH ?g { ?s a pk:Council } }", "--format", "csv").output
    assert len(Graph().parse(data=out, format="nt")) >= 15


def test_a_bad_query_exits_2_with_the_parsers_message(cli):
    result = cli("query", "SELEC ?x WHERE {}")
    assert result.exit_code == 2
    assert "does not parse" in result.output and "1:" in result.output


def test_export_of_the_dataset_reloads_isomorphically(cli, tmp_path):
    cli("init")
    out = tmp_path / "dump.trig"
    assert cli("export", "--out", str(out)).exit_code == 0
    quads = list(pyoxigraph.parse(path=str(out), format=pyoxigraph.RdfFormat.TRIG))
    people = graph_from_triples(q for q in quads if getattr(q.graph_name, "value", None) == str(GRAPH["sample/people"]))
    assert isomorphic(people, Graph().parse(SAMPLE_DIR / "people.ttl"))
    assert len({q.graph_name for q in quads}) >= 8


def test_export_of_one_graph_as_turtle_and_of_an_unknown_graph(cli):
    cli("init")
    result = cli("export", "--graph", str(GRAPH["sample/organisations"]))
    assert result.exit_code == 0
    assert isomorphic(
        Graph().parse(data=result.output, format="turtle"), Graph().parse(SAMPLE_DIR / "organisations.ttl")
    )
    missing = cli("export", "--graph", "http://nowhere/graph")
    assert missing.exit_code == 2 and "no graph" in missing.output


def test_load_of_a_broken_file_exits_2_naming_file_and_line_and_changes_nothing(cli, tmp_path):
    cli("init")
    before = cli("query", COUNT_ALL, "--format", "csv").output
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://x/> .\nex:a ex:b ex:c .\nex:d ex:e "unterminated .\n', encoding="utf-8")
    result = cli("load", str(bad))
    assert result.exit_code == 2
    assert "bad.ttl, line 3" in result.output
    assert cli("query", COUNT_ALL, "--format", "csv").output == before


def test_load_into_a_named_graph_and_list_it(cli, tmp_path):
    path = tmp_path / "extra.ttl"
    path.write_text("<http://x/s> <http://x/p> <http://x/o> , <http://x/o2> .", encoding="utf-8")
    result = cli("load", str(path), "--graph", "http://x/mine")
    assert result.exit_code == 0 and "2\thttp://x/mine" in result.output
    listing = cli("graphs", "--format", "csv").output
    assert "http://x/mine,2" in listing
    assert cli("load", str(path), "--graph", "not an iri").exit_code == 2


def test_reason_materialises_an_inferred_graph(cli):
    cli("init")
    result = cli("reason")
    assert result.exit_code == 0, result.output
    ask = (
        "ASK { GRAPH <https://w3id.org/partnerkg/graph/inferred> "
        "{ partnership:cambridgeshire-together a org:Organization } }"
    )
    assert (
        cli("query", "PREFIX partnership: <https://w3id.org/partnerkg/id/partnership/> " + ask).output.strip() == "true"
    )


def test_a_bad_setting_is_named(monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setenv("PARTNERKG_PORT", "eighty")
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 2 and "PARTNERKG_PORT" in result.output
