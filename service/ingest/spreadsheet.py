"""Importing a register kept in a spreadsheet, and the empty template to keep it in. One core call
each (`import_register`, `write_template`), which the CLI and the web upload share."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from openpyxl.utils.exceptions import InvalidFileException
from rdflib import Graph

from ..namespaces import GRAPH, ID
from ..store import Store
from ..store.terms import graph_from_triples, quads_into
from .bootstrap import ONTOLOGY_DIR, POLICIES_FILE, PROJECT_ROOT, SAMPLE_DIR
from .rdf import SOURCES_GRAPH, provenance
from .tables import TABLES, ImportProblem, code_lists, from_graph, read_register, to_graph

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


class RegisterError(Exception):
    """The register has problems; nothing was written. Each problem names sheet, row and column."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote (or, in a dry run, would write)."""

    graph: str
    triples: int
    rows: dict[str, int]
    dry_run: bool


@lru_cache(maxsize=1)
def vocabulary() -> Graph:
    """The code lists the register's coded columns use, and the policies, obligations and joining
    criteria its id columns name."""
    graph = Graph()
    for path in (ONTOLOGY_DIR / "codes.ttl", POLICIES_FILE):
        graph.parse(path)
    return graph


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def import_register(
    store: Store,
    path: Path,
    *,
    base: str,
    graph: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    internal: Callable[[str], bool] | None = None,
) -> ImportReport:
    """Import a workbook or CSV folder into its own named graph (replacing what that register gave
    before), all or nothing; raise RegisterError listing every problem."""
    path = Path(path)
    if not path.exists():
        raise RegisterError([ImportProblem(path.name, 0, "", "", "no such file or folder")])
    if path.is_file() and path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise RegisterError(
            [
                ImportProblem(
                    path.name, 0, "", "", f"not a workbook: use {', '.join(WORKBOOK_SUFFIXES)} or a folder of CSV files"
                )
            ]
        )
    try:
        rows = read_register(path)
    except (
        OSError,
        ValueError,
        KeyError,
        zipfile.BadZipFile,
        InvalidFileException,
    ) as exc:  # openpyxl on a non-workbook
        raise RegisterError([ImportProblem(path.name, 0, "", "", f"cannot read it as a workbook: {exc}")]) from exc
    total = rows.count
    step = (lambda n: progress(n, total)) if progress is not None else None
    data, problems = to_graph(rows, base, vocabulary(), step)
    if not rows.tables and not problems:
        problems.append(
            ImportProblem(path.name, 0, "", "", f"no sheet or CSV file named {', '.join(t.name for t in TABLES)}")
        )
    if problems:
        raise RegisterError(problems)
    target = graph or str(GRAPH["import/" + quote(path.name)])
    report = ImportReport(target, len(data), {name: len(r) for name, r in rows.tables.items()}, dry_run)
    if not dry_run:
        name = ox.NamedNode(target)
        notes = provenance({target: [(path, _digest(path))]}, internal)
        store.write_graphs(quads_into(data, name), [name], annotations=notes)
    return report


def write_template(out: Path) -> None:
    """An empty workbook: one sheet a table, a header row, a notes row, and lists for coded columns."""
    write_workbook(out, {}, notes=True)


def write_workbook(out: Path, tables: dict[str, list[dict[str, object]]], *, notes: bool = False) -> None:
    """A register workbook: one sheet a table with its header row (and, for a template, a notes row),
    lists for the coded columns, then the rows. Written beside `out` and moved into place."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    codes = code_lists(vocabulary())
    book = Workbook()
    book.remove(book.active)
    for table in TABLES:
        sheet = book.create_sheet(table.name)
        sheet.append([c.name for c in table.columns])
        if notes:
            sheet.append(["# " + (table.columns[0].note or table.note)] + [_note(c) for c in table.columns[1:]])
        for row in tables.get(table.name, []):
            sheet.append([row.get(c.name) for c in table.columns])
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            if column.kind == "date":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "yyyy-mm-dd"
            options = sorted(codes.get(column.codes, {})) if column.kind == "code" else [k for k, _ in column.classes]
            if options:
                rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
                rule.add(f"{letter}2:{letter}{max(5000, sheet.max_row + 1000)}")
                sheet.add_data_validation(rule)
        sheet.freeze_panes = "A2"
    tmp = out.with_name(out.name + ".part")
    book.save(tmp)
    tmp.replace(out)


def export_register(store: Store, out: Path, *, base: str, graph: str | None = None) -> dict[str, int]:
    """Write the register held in the store (every data graph, or one) as a workbook in the import
    layout, so that importing it gives the same graph back. Returns the rows written per table."""
    from ..reasoning import read_data

    if graph is None:
        data = read_data(store)
    else:
        result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        data = graph_from_triples(result)  # type: ignore[arg-type]
    tables = from_graph(data, base, vocabulary())
    write_workbook(out, tables)
    return {name: len(rows) for name, rows in tables.items() if rows}


KIND_TEXT = {
    "key": "key: a short stable id",
    "text": "text",
    "prose": "text (English)",
    "date": "date (a date cell, YYYY-MM-DD or DD/MM/YYYY)",
    "datetime": "date and time (YYYY-MM-DDTHH:MM:SSZ)",
    "bool": "yes or no",
    "integer": "whole number",
    "decimal": "number",
    "iri": "web address",
    "email": "e-mail address",
    "phone": "telephone number",
    "policy": "policy document id",
    "obligation": "obligation id",
    "criterion": "joining criterion id",
}


def describe(column, codes: dict[str, dict[str, object]], *, short: bool = False) -> str:
    """What a column holds, in words: for the template's notes row and for docs/import.md."""
    if column.kind == "code":
        value = (
            "one of the listed codes"
            if short
            else "one of " + ", ".join(f"`{c}`" for c in sorted(codes.get(column.codes, {})))
        )
    elif column.kind == "class":
        value = "one of the listed types" if short else "one of " + ", ".join(f"`{k}`" for k, _ in column.classes)
    elif column.kind == "ref":
        value = "a key from " + " or ".join(column.ref)
    else:
        value = KIND_TEXT[column.kind]
    if column.many:
        value += ", several separated by ;"
    return value


def _note(column) -> str:
    parts = [column.note] if column.note else []
    if column.required:
        parts.append("required")
    parts.append(describe(column, {}, short=True))
    return "; ".join(parts)


__all__ = [
    "ImportReport",
    "RegisterError",
    "SOURCES_GRAPH",
    "export_register",
    "import_register",
    "write_template",
    "write_workbook",
]


def render_docs() -> str:
    """docs/import.md from the mapping: every table and column."""
    lines = [
        "# Importing a register from a spreadsheet",
        "",
        "Generated from `service/ingest/tables.py` by `python -m service.ingest.spreadsheet`; do not edit by hand.",
        "",
        "A register is an `.xlsx` workbook with one sheet a table, or a folder with one CSV file a table",
        "(`organisations.csv`, `partnerships.csv`, ...). Row 1 holds the column names; a row whose first cell",
        "starts with `#` (the template's notes row) and empty rows are skipped. Sheets may be left out.",
        "`partnerkg template --out FILE.xlsx` writes an empty workbook with lists for the coded columns;",
        "`partnerkg import FILE` imports one; `partnerkg export --format xlsx --out FILE.xlsx` writes what the",
        "store holds in the same layout, and importing that gives the same graph back.",
        "`data/sample/register.xlsx` is the sample register in this layout.",
        "",
        "Keys are short stable ids; each row's IRI is made from its table and key (`<base>partnership/<key>`),",
        "so importing again updates rather than duplicates, and a removed row disappears. Tables without a key",
        "(attendance, briefings, votes, meeting reports) name a row by its identifying columns (marked *id*).",
        "A reference column holds a key from the named table (or a full IRI). Dates may be date cells, Excel",
        "serial numbers, `YYYY-MM-DD` or `DD/MM/YYYY`. Every problem is reported with its sheet, row and",
        "column, all at once, and a register with any problem is not imported at all.",
        "",
        "Each import goes into its own named graph (`<root>graph/import/<file name>`, or `--graph IRI`), and",
        "the `graph/sources` graph records, in PROV-O, the file it was derived from, its SHA-256 and when.",
    ]
    codes = code_lists(vocabulary())
    for table in TABLES:
        lines += [
            "",
            f"## {table.name}",
            "",
            table.note,
            "",
            "| column | required | value | meaning |",
            "| --- | --- | --- | --- |",
        ]
        for column in table.columns:
            required = "yes" if column.required or column.kind == "key" else ""
            if column.identifies:
                required = (required + " id").strip()
            lines.append(f"| `{column.name}` | {required} | {describe(column, codes)} | {column.note} |")
    return "\n".join(lines) + "\n"


def write_sample_workbook(out: Path = SAMPLE_DIR / "register.xlsx") -> None:
    """The Turtle sample as a register workbook (`data/sample/register.xlsx`); a test holds its import
    isomorphic to the Turtle, up to the Skolem IRIs standing for the Turtle's blank nodes."""
    graph = Graph()
    for path in sorted(SAMPLE_DIR.glob("*.ttl")):
        graph.parse(path)
    write_workbook(out, from_graph(graph, str(ID), vocabulary()))


if __name__ == "__main__":
    (PROJECT_ROOT / "docs" / "import.md").write_text(render_docs(), encoding="utf-8")
    write_sample_workbook()
