"""Importing a register from a workbook or a CSV folder: the template, stable IRIs, idempotence,
exactly-located errors, and nothing written when anything is wrong."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from openpyxl import load_workbook
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

from service.ingest.spreadsheet import RegisterError, import_register, write_template
from service.ingest.tables import TABLES, parse_date

BASE = "https://w3id.org/partnerkg/id/"
ROWS = {
    "bodies": [
        ["cambridge-city-council", "Cambridge City Council", "council", "public", "ENG", "E07000008", None, None, None],
        ["cambridge-cvs", "Cambridge CVS", "organisation", "voluntary", "ENG", None, None, None, None],
    ],
    "partnerships": [
        [
            "ccsp",
            "Cambridge Community Safety Partnership",
            "active",
            "cambridge-city-council",
            "https://example.org/ccsp",
            None,
            "cambridge-principles",
            "01/12/1998",
        ]
    ],
    "people": [["quinn", "Cllr Quinn Test", "councillor", "cambridge-city-council", "quinn@example.invalid", None]],
    "appointments": [
        ["quinn-ccsp-lead", "quinn", "ccsp", "cambridge-city-council", "lead-member", "Lead member", 45436, None]
    ],
    "meetings": [
        [
            "ccsp-2025-04-24",
            "ccsp",
            "2025-04-24",
            "yes",
            "27/03/2025",
            None,
            "2025-04-16",
            "https://example.org/a",
            None,
            None,
        ]
    ],
}


def workbook(tmp_path, name="register.xlsx", extra=None, rows=ROWS):
    path = tmp_path / name
    write_template(path)
    book = load_workbook(path)
    for sheet, values in rows.items():
        for row in values + (extra or {}).get(sheet, []):
            book[sheet].append(row)
    book.save(path)
    return path


def graph_of(store, name):
    return Graph().parse(
        data=store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}").serialize(
            format=__import__("pyoxigraph").RdfFormat.N_TRIPLES
        ),
        format="nt",
    )


def test_the_template_has_a_sheet_per_table_headers_notes_and_lists(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path)
    book = load_workbook(path)
    assert book.sheetnames == [t.name for t in TABLES]
    sheet = book["appointments"]
    assert [c.value for c in sheet[1]] == [c.name for c in TABLES[3].columns]
    assert str(sheet["A2"].value).startswith("#")
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("lead-member" in f and "opposition-spokesperson" in f for f in formulas)


def test_import_mints_iris_from_keys_and_reimport_is_idempotent(tmp_path, store):
    path = workbook(tmp_path)
    report = import_register(store, path, base=BASE)
    assert report.rows == {"bodies": 2, "partnerships": 1, "people": 1, "appointments": 1, "meetings": 1}
    data = graph_of(store, report.graph)
    partnership = URIRef(BASE + "partnership/ccsp")
    assert (partnership, RDFS.label, Literal("Cambridge Community Safety Partnership")) in data
    start = URIRef(BASE + "appointment/quinn-ccsp-lead/period/start")
    assert str(data.value(start, URIRef("http://www.w3.org/2006/time#inXSDDate"))) == "2024-05-24"  # Excel serial 45436
    before = store.quad_count()
    import_register(store, path, base=BASE)
    assert store.quad_count() == before


def test_a_changed_row_changes_exactly_its_triples_and_a_removed_row_disappears(tmp_path, store):
    first = import_register(store, workbook(tmp_path), base=BASE)
    old = graph_of(store, first.graph)
    changed = {**ROWS, "partnerships": [["ccsp", "Cambridge CSP (renamed)", *ROWS["partnerships"][0][2:]]]}
    import_register(store, workbook(tmp_path, rows=changed), base=BASE)
    new = graph_of(store, first.graph)
    partnership = URIRef(BASE + "partnership/ccsp")
    assert set(old - new) == {(partnership, RDFS.label, Literal("Cambridge Community Safety Partnership"))}
    assert set(new - old) == {(partnership, RDFS.label, Literal("Cambridge CSP (renamed)"))}
    fewer = {**ROWS, "bodies": ROWS["bodies"][:1]}
    import_register(store, workbook(tmp_path, rows=fewer), base=BASE)
    assert not any(s == URIRef(BASE + "organisation/cambridge-cvs") for s, _, _ in graph_of(store, first.graph))


@pytest.mark.parametrize(
    ("sheet", "row", "column", "reason"),
    [
        ("partnerships", ["ccsp", "Again", "active", None, None, None, None, None], "partnership_id", "duplicate key"),
        ("partnerships", ["other", "Other", "dormant", None, None, None, None, None], "status", "unknown code"),
        ("people", ["ann", "Ann", "councillor", "nowhere", None, None], "member_of", "no row with this key in bodies"),
        (
            "meetings",
            ["m2", "ccsp", "31/02/2025", None, None, None, None, None, None, None],
            "date",
            "day is out of range",
        ),
        ("meetings", ["m3", None, "2025-01-01", None, None, None, None, None, None, None], "of", "a value is required"),
    ],
)
def test_each_error_names_sheet_row_column_and_value_and_nothing_is_written(
    tmp_path, store, sheet, row, column, reason
):
    import_register(store, workbook(tmp_path, "good.xlsx"), base=BASE)
    before = store.quad_count()
    with pytest.raises(RegisterError) as caught:
        import_register(store, workbook(tmp_path, "bad.xlsx", extra={sheet: [row]}), base=BASE)
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == (sheet, len(ROWS[sheet]) + 3, column)
    assert reason in problem.reason
    assert store.quad_count() == before


def test_every_problem_is_reported_at_once_and_a_missing_column_too(tmp_path, store):
    path = workbook(tmp_path, extra={"people": [["x", "X", "wizard", "nowhere", "not-an-email", None]]})
    book = load_workbook(path)
    book["partnerships"].delete_cols(2)  # the required 'name' column
    book.save(path)
    with pytest.raises(RegisterError) as caught:
        import_register(store, path, base=BASE)
    found = {(p.sheet, p.column) for p in caught.value.problems}
    assert {("partnerships", "name"), ("people", "kind"), ("people", "member_of"), ("people", "email")} <= found
    assert store.quad_count() == 0


def test_a_csv_folder_gives_the_same_graph_as_the_workbook(tmp_path, store):
    folder = tmp_path / "register"
    folder.mkdir()
    for table in TABLES:
        with open(folder / f"{table.name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([c.name for c in table.columns])
            writer.writerows([["" if v is None else v for v in row] for row in ROWS.get(table.name, [])])
    from_csv = import_register(store, folder, base=BASE, graph="http://x/csv")
    from_xlsx = import_register(store, workbook(tmp_path), base=BASE, graph="http://x/xlsx")
    assert isomorphic(graph_of(store, from_csv.graph), graph_of(store, from_xlsx.graph))


def test_dates_in_the_forms_spreadsheets_produce():
    assert parse_date("2025-04-24") == parse_date("24/04/2025") == parse_date(45771) == date(2025, 4, 24)
    with pytest.raises(ValueError):
        parse_date("April 24th")


def test_the_cli_import_dry_run_and_errors(cli, tmp_path):
    path = workbook(tmp_path)
    dry = cli("import", str(path), "--dry-run")
    assert dry.exit_code == 0 and "would import" in dry.output
    assert "import/" not in cli("graphs").output
    assert cli("import", str(path)).exit_code == 0
    bad = tmp_path / "not-a-workbook.xlsx"
    bad.write_text("hello", encoding="utf-8")
    result = cli("import", str(bad))
    assert result.exit_code == 2 and "not-a-workbook.xlsx" in result.output
    turtle = tmp_path / "data.ttl"
    turtle.write_text("<http://x/s> <http://x/p> <http://x/o> .", encoding="utf-8")
    wrong_kind = cli("import", str(turtle))
    assert wrong_kind.exit_code == 2 and "data.ttl" in wrong_kind.output and "not a workbook" in wrong_kind.output


def test_the_import_document_is_current():
    from pathlib import Path

    from service.ingest.spreadsheet import render_docs

    committed = (Path(__file__).parents[1] / "docs" / "import.md").read_text(encoding="utf-8")
    assert committed == render_docs(), "docs/import.md is stale: python -m service.ingest.spreadsheet"
