"""Importing a register from a workbook or a CSV folder: the template, stable IRIs, idempotence,
exactly-located errors, nothing written when anything is wrong, and the round trip back out."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from openpyxl import load_workbook
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS, TIME

from service.ingest.bootstrap import SAMPLE_DIR
from service.ingest.rdf import load_sources
from service.ingest.spreadsheet import RegisterError, export_register, import_register, write_template
from service.ingest.tables import BY_NAME, GENID, TABLES, parse_date, read_register, text_of

BASE = "https://w3id.org/partnerkg/id/"
ROWS = {
    "organisations": [
        {
            "organisation_id": "cambridge-city-council",
            "name": "Cambridge City Council",
            "type": "council",
            "sector": "public",
            "nation": "ENG",
            "gss_code": "E07000008",
        },
        {"organisation_id": "cambridge-cvs", "name": "Cambridge CVS", "type": "organisation", "sector": "voluntary"},
    ],
    "partnerships": [
        {
            "partnership_id": "ccsp",
            "name": "Cambridge Community Safety Partnership",
            "status": "active",
            "administered_by": "cambridge-city-council",
            "web_page": "https://example.org/ccsp",
            "frameworks": "cambridge-principles",
            "established": "01/12/1998",
        },
    ],
    "people": [
        {
            "person_id": "quinn",
            "name": "Cllr Quinn Test",
            "kind": "councillor",
            "councillor_of": "cambridge-city-council",
            "email": "quinn@example.invalid",
        },
    ],
    "appointments": [
        {
            "appointment_id": "quinn-ccsp-lead",
            "person": "quinn",
            "to": "ccsp",
            "on_behalf_of": "cambridge-city-council",
            "role": "lead-member",
            "remit": "Lead member",
            "start": 45436,
        },
    ],
    "meetings": [
        {
            "meeting_id": "ccsp-2025-04-24",
            "of": "ccsp",
            "date": "2025-04-24",
            "held_in_public": "yes",
            "notice_date": "27/03/2025",
            "agenda_date": "2025-04-16",
            "agenda_url": "https://example.org/a",
        },
    ],
    "attendance": [
        {
            "meeting": "ccsp-2025-04-24",
            "attendee": "quinn",
            "on_behalf_of": "cambridge-city-council",
            "capacity": "chair",
        },
    ],
}


def as_list(table: str, row: dict) -> list:
    return [row.get(c.name) for c in BY_NAME[table].columns]


def workbook(tmp_path, name="register.xlsx", extra=None, rows=ROWS):
    """A template filled with rows (dicts by column name); its data rows start at row 3."""
    path = tmp_path / name
    write_template(path)
    book = load_workbook(path)
    extra = extra or {}
    for sheet in {**rows, **extra}:
        for row in rows.get(sheet, []) + extra.get(sheet, []):
            book[sheet].append(as_list(sheet, row))
    book.save(path)
    return path


def graph_of(store, name):
    return Graph().parse(
        data=store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}").serialize(
            format=__import__("pyoxigraph").RdfFormat.N_TRIPLES
        ),
        format="nt",
    )


def deskolemised(graph: Graph) -> Graph:
    """The graph with the importer's Skolem IRIs turned back into blank nodes."""
    out = Graph()
    for triple in graph:
        out.add(tuple(BNode(str(t)) if str(t).startswith(BASE + GENID) else t for t in triple))  # type: ignore[arg-type]
    return out


def cells(path) -> dict[str, list[tuple[str, ...]]]:
    """Each table of a register as a sorted list of rows of cell texts."""
    rows = read_register(path)
    return {
        name: sorted(tuple(text_of(row.get(c.name)) for c in BY_NAME[name].columns) for _, row in found)
        for name, found in rows.tables.items()
    }


def test_the_template_has_a_sheet_per_table_headers_notes_and_lists(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path)
    book = load_workbook(path)
    assert book.sheetnames == [t.name for t in TABLES]
    required = {
        "partnerships",
        "organisations",
        "appointments",
        "meetings",
        "attendance",
        "briefings",
        "decisions",
        "votes",
        "resources",
        "reviews",
        "assessments",
        "justifications",
        "objectives",
    }
    assert required <= set(book.sheetnames)
    sheet = book["appointments"]
    assert [c.value for c in sheet[1]] == [c.name for c in BY_NAME["appointments"].columns]
    assert str(sheet["A2"].value).startswith("#")
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("lead-member" in f and "opposition-spokesperson" in f for f in formulas)
    kinds = [v.formula1 for v in book["organisations"].data_validations.dataValidation]
    assert any("council" in f and "scrutiny-committee" in f for f in kinds)


def test_import_mints_iris_from_keys_and_reimport_is_idempotent(tmp_path, store):
    path = workbook(tmp_path)
    report = import_register(store, path, base=BASE)
    assert {k: v for k, v in report.rows.items() if v} == {
        "organisations": 2,
        "partnerships": 1,
        "people": 1,
        "appointments": 1,
        "meetings": 1,
        "attendance": 1,
    }
    data = graph_of(store, report.graph)
    partnership = URIRef(BASE + "partnership/ccsp")
    assert (partnership, RDFS.label, Literal("Cambridge Community Safety Partnership", lang="en")) in data
    start = URIRef(BASE + GENID + "appointment/quinn-ccsp-lead/period/start")
    assert str(data.value(start, TIME.inXSDDate)) == "2024-05-24"  # Excel serial 45436
    attendance = URIRef(BASE + GENID + "attendance/ccsp-2025-04-24.quinn")
    assert (attendance, URIRef("https://w3id.org/partnerkg/def#attendee"), URIRef(BASE + "person/quinn")) in data
    before = store.quad_count()
    import_register(store, path, base=BASE)
    assert store.quad_count() == before
    assert isomorphic(graph_of(store, report.graph), data)


def test_a_changed_row_changes_exactly_its_triples_and_a_removed_row_disappears(tmp_path, store):
    first = import_register(store, workbook(tmp_path), base=BASE)
    old = graph_of(store, first.graph)
    renamed = {**ROWS["partnerships"][0], "name": "Cambridge CSP (renamed)"}
    import_register(store, workbook(tmp_path, rows={**ROWS, "partnerships": [renamed]}), base=BASE)
    new = graph_of(store, first.graph)
    partnership = URIRef(BASE + "partnership/ccsp")
    assert set(old - new) == {(partnership, RDFS.label, Literal("Cambridge Community Safety Partnership", lang="en"))}
    assert set(new - old) == {(partnership, RDFS.label, Literal("Cambridge CSP (renamed)", lang="en"))}
    fewer = {**ROWS, "organisations": ROWS["organisations"][:1]}
    import_register(store, workbook(tmp_path, rows=fewer), base=BASE)
    assert not any(s == URIRef(BASE + "organisation/cambridge-cvs") for s, _, _ in graph_of(store, first.graph))


@pytest.mark.parametrize(
    ("sheet", "row", "column", "reason"),
    [
        ("partnerships", {"partnership_id": "ccsp", "name": "Again"}, "partnership_id", "duplicate key"),
        ("partnerships", {"partnership_id": "other", "name": "Other", "status": "dormant"}, "status", "unknown code"),
        (
            "people",
            {"person_id": "ann", "name": "Ann", "kind": "councillor", "councillor_of": "nowhere"},
            "councillor_of",
            "no row with this key in organisations",
        ),
        ("meetings", {"meeting_id": "m2", "of": "ccsp", "date": "31/02/2025"}, "date", "day is out of range"),
        ("meetings", {"meeting_id": "m3", "date": "2025-01-01"}, "of", "a value is required"),
        ("attendance", {"meeting": "ccsp-2025-04-24", "attendee": "quinn"}, "meeting", "duplicate row"),
        (
            "reviews",
            {
                "review_id": "r",
                "type": "review",
                "reviews": "ccsp",
                "date": "2025-01-01",
                "obligations": "CSP-R3; NOPE-9",
            },
            "obligations",
            "no obligation with this id",
        ),
    ],
)
def test_each_error_names_sheet_row_column_and_value_and_nothing_is_written(
    tmp_path, store, sheet, row, column, reason
):
    import_register(store, workbook(tmp_path, "good.xlsx"), base=BASE)
    before = store.quad_count()
    snapshot = {(r["g"], r["s"], r["p"], r["o"]) for r in store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")}
    with pytest.raises(RegisterError) as caught:
        import_register(store, workbook(tmp_path, "bad.xlsx", extra={sheet: [row]}), base=BASE)
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == (sheet, len(ROWS.get(sheet, [])) + 3, column)
    assert reason in problem.reason
    assert (
        store.quad_count() == before
        and {(r["g"], r["s"], r["p"], r["o"]) for r in store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")}
        == snapshot
    )


def test_every_problem_is_reported_at_once_and_a_missing_column_too(tmp_path, store):
    bad_person = {"person_id": "x", "name": "X", "kind": "wizard", "councillor_of": "nowhere", "email": "no-at"}
    path = workbook(tmp_path, extra={"people": [bad_person]})
    book = load_workbook(path)
    book["partnerships"].delete_cols(2)  # the required 'name' column
    book.save(path)
    with pytest.raises(RegisterError) as caught:
        import_register(store, path, base=BASE)
    found = {(p.sheet, p.column) for p in caught.value.problems}
    assert {("partnerships", "name"), ("people", "kind"), ("people", "councillor_of"), ("people", "email")} <= found
    assert store.quad_count() == 0


def test_a_csv_folder_gives_the_same_graph_as_the_workbook(tmp_path, store):
    folder = tmp_path / "register"
    folder.mkdir()
    for table in TABLES:
        with open(folder / f"{table.name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([c.name for c in table.columns])
            writer.writerows(
                [["" if v is None else v for v in as_list(table.name, r)] for r in ROWS.get(table.name, [])]
            )
    from_csv = import_register(store, folder, base=BASE, graph="http://x/csv")
    from_xlsx = import_register(store, workbook(tmp_path), base=BASE, graph="http://x/xlsx")
    assert len(graph_of(store, from_csv.graph)) > 30
    assert isomorphic(graph_of(store, from_csv.graph), graph_of(store, from_xlsx.graph))


def test_dates_in_the_forms_spreadsheets_produce():
    assert parse_date("2025-04-24") == parse_date("24/04/2025") == parse_date(45771) == date(2025, 4, 24)
    with pytest.raises(ValueError):
        parse_date("April 24th")


def test_the_sample_workbook_imports_isomorphic_to_the_turtle_sample(store):
    report = import_register(store, SAMPLE_DIR / "register.xlsx", base=BASE)
    load_sources(store, [(path, "http://x/turtle") for path in sorted(SAMPLE_DIR.glob("*.ttl"))], append=True)
    imported, turtle = deskolemised(graph_of(store, report.graph)), graph_of(store, "http://x/turtle")
    assert len(imported) == len(turtle) > 2700
    assert isomorphic(imported, turtle), "data/sample/register.xlsx is stale: python -m service.ingest.spreadsheet"


def test_workbook_to_store_to_workbook_gives_the_input_back(tmp_path, store):
    source = SAMPLE_DIR / "register.xlsx"
    import_register(store, source, base=BASE)
    out = tmp_path / "again.xlsx"
    written = export_register(store, out, base=BASE)
    assert written["meetings"] == 41 and written["votes"] == 19
    assert cells(out) == cells(source)
    again = import_register(store, out, base=BASE, graph="http://x/again")
    first = graph_of(store, "https://w3id.org/partnerkg/graph/import/register.xlsx")
    assert isomorphic(graph_of(store, again.graph), first)


def test_a_large_register_reports_progress(tmp_path, store):
    people = [{"person_id": f"p{i}", "name": f"Person {i}", "kind": "officer"} for i in range(1200)]
    seen = []
    report = import_register(
        store, workbook(tmp_path, rows={"people": people}), base=BASE, progress=lambda n, total: seen.append((n, total))
    )
    assert report.rows["people"] == 1200
    assert sum(n for n, _ in seen) == 1200 and {t for _, t in seen} == {1200}


def test_the_cli_import_dry_run_export_and_errors(cli, tmp_path):
    path = workbook(tmp_path)
    dry = cli("import", str(path), "--dry-run")
    assert dry.exit_code == 0 and "would import" in dry.output
    assert "import/" not in cli("graphs").output
    assert cli("import", str(path)).exit_code == 0
    out = tmp_path / "out.xlsx"
    exported = cli("export", "--format", "xlsx", "--out", str(out))
    assert exported.exit_code == 0 and "1 partnerships" in exported.output
    [row] = cells(out)["partnerships"]
    assert row[:2] == ("ccsp", "Cambridge Community Safety Partnership") and "1998-12-01" in row  # 01/12/1998
    assert cli("export", "--format", "xlsx").exit_code == 2
    bad = tmp_path / "not-a-workbook.xlsx"
    bad.write_text("hello", encoding="utf-8")
    result = cli("import", str(bad))
    assert result.exit_code == 2 and "not-a-workbook.xlsx" in result.output
    turtle = tmp_path / "data.ttl"
    turtle.write_text("<http://x/s> <http://x/p> <http://x/o> .", encoding="utf-8")
    wrong_kind = cli("import", str(turtle))
    assert wrong_kind.exit_code == 2 and "data.ttl" in wrong_kind.output and "not a workbook" in wrong_kind.output


def test_the_import_records_prov_o_provenance(tmp_path, store):
    report = import_register(store, workbook(tmp_path), base=BASE)
    rows = list(
        store.query(
            "PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?from ?at WHERE { GRAPH ?g { "
            f"<{report.graph}> a prov:Entity ; prov:wasDerivedFrom ?from ; prov:generatedAtTime ?at }} }}"
        )
    )
    assert len(rows) == 1 and rows[0]["from"].value.startswith("urn:sha256:")


def test_the_import_document_is_current():
    from pathlib import Path

    from service.ingest.spreadsheet import render_docs

    committed = (Path(__file__).parents[1] / "docs" / "import.md").read_text(encoding="utf-8")
    assert committed == render_docs(), "docs/import.md is stale: python -m service.ingest.spreadsheet"


@pytest.fixture
def upload_client(tmp_path):
    """A test client over an empty store, with a token."""
    from service import create_app
    from service.auth import TokenStore
    from service.settings import Settings
    from service.store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "web-store")
    settings = Settings.load({}, tokens=str(tmp_path / "t.json"))
    token = TokenStore(settings.tokens).create("officer")
    yield create_app(settings, store=store).test_client(), token, store
    store.close()


def test_the_import_page_checks_then_imports_with_a_token(tmp_path, upload_client):
    client, token, store = upload_client
    page = client.get("/import")
    assert page.status_code == 200 and 'type="file"' in page.get_data(as_text=True)
    template = client.get("/import/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    content = workbook(tmp_path).read_bytes()

    def post(**form):
        return client.post("/import", data=form, content_type="multipart/form-data")

    assert post(workbook=(__import__("io").BytesIO(content), "register.xlsx")).status_code == 401
    assert post(workbook=(__import__("io").BytesIO(content), "register.xlsx"), token="wrong").status_code == 403
    checked = post(workbook=(__import__("io").BytesIO(content), "register.xlsx"), token=token)
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "ready to import" in text and checked.headers["Cache-Control"] == "no-store"
    assert store.quad_count() == 0  # the check wrote nothing
    digest = __import__("re").search(r'name="upload" value="([0-9a-f]{64})"', text).group(1)
    done = post(action="import", upload=digest, token=token)
    assert done.status_code == 200 and "Imported register.xlsx" in done.get_data(as_text=True)
    assert store.has_graph(__import__("pyoxigraph").NamedNode("https://w3id.org/partnerkg/graph/import/register.xlsx"))
    assert post(action="import", upload=digest, token=token).status_code == 400  # used up


def test_the_import_page_lists_every_problem_and_writes_nothing(tmp_path, upload_client):
    import io

    client, token, store = upload_client
    bad = workbook(tmp_path, extra={"meetings": [{"meeting_id": "m9", "of": "nowhere", "date": "31/02/2024x"}]})
    response = client.post(
        "/import",
        data={"workbook": (io.BytesIO(bad.read_bytes()), "bad.xlsx"), "token": token},
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "2 problems in bad.xlsx" in text
    assert "31/02/2024x" in text and "no row with this key" in text and '<td class="n">4</td>' in text
    assert store.quad_count() == 0
    not_xlsx = client.post(
        "/import",
        data={"workbook": (io.BytesIO(b"a,b"), "data.csv"), "token": token},
        content_type="multipart/form-data",
    )
    assert not_xlsx.status_code == 400 and "not a workbook" in not_xlsx.get_data(as_text=True)
