"""Importing a register kept in a spreadsheet, and the empty template to keep it in. One core call
each (`import_register`, `write_template`), which the CLI and the web upload share."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from openpyxl.utils.exceptions import InvalidFileException
from rdflib import Graph

from ..namespaces import GRAPH
from ..store import Store
from ..store.terms import quads_into
from .bootstrap import ONTOLOGY_DIR
from .rdf import SOURCES_GRAPH, provenance
from .tables import TABLES, ImportProblem, _codes, read_register, to_graph

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


def vocabulary() -> Graph:
    """The code lists the register's coded columns use."""
    graph = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("codes.ttl")):
        graph.parse(path)
    return graph


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def import_register(
    store: Store, path: Path, *, base: str, graph: str | None = None, dry_run: bool = False
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
    data, problems = to_graph(rows, base, vocabulary())
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
        notes = provenance({target: [(path, _digest(path))]})
        store.write_graphs(quads_into(data, name), [name], annotations=notes)
    return report


def write_template(out: Path) -> None:
    """An empty workbook: one sheet a table, a header row, a notes row, and lists for coded columns."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    codes = _codes(vocabulary())
    book = Workbook()
    book.remove(book.active)
    for table in TABLES:
        sheet = book.create_sheet(table.name)
        sheet.append([c.name for c in table.columns])
        sheet.append(["# " + (table.columns[0].note or table.note)] + [_note(c) for c in table.columns[1:]])
        for index, column in enumerate(table.columns, start=1):
            options = sorted(codes.get(column.codes, {})) if column.kind == "code" else [k for k, _ in column.classes]
            if options:
                letter = sheet.cell(row=1, column=index).column_letter
                rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
                rule.add(f"{letter}3:{letter}5000")
                sheet.add_data_validation(rule)
    book.save(out)


def _note(column) -> str:
    parts = [column.note] if column.note else []
    if column.required:
        parts.append("required")
    parts.append(
        {
            "date": "date (YYYY-MM-DD or DD/MM/YYYY)",
            "bool": "yes or no",
            "ref": "a key from " + " or ".join(column.ref),
            "code": "one of the listed codes",
            "class": "one of the listed types",
            "iri": "web address",
            "email": "e-mail address",
            "policy": "policy ids separated by ;",
        }.get(column.kind, column.kind)
    )
    return "; ".join(parts)


__all__ = ["ImportReport", "RegisterError", "SOURCES_GRAPH", "import_register", "write_template"]


def render_docs() -> str:
    """docs/import.md from the mapping: every table and column."""
    lines = [
        "# Importing a register from a spreadsheet",
        "",
        "Generated from `service/ingest/tables.py` by `python -m service.ingest.spreadsheet`; do not edit by hand.",
        "",
        "A register is an `.xlsx` workbook with one sheet a table, or a folder with one CSV file a table",
        "(`bodies.csv`, `partnerships.csv`, ...). Row 1 holds the column names; a row whose first cell starts",
        "with `#` (the template's notes row) and empty rows are skipped. `partnerkg template --out FILE.xlsx`",
        "writes an empty workbook with lists for the coded columns; `partnerkg import FILE` imports it.",
        "",
        "Keys are short stable ids; each row's IRI is made from its table and key (`<base>partnership/<key>`),",
        "so importing again updates rather than duplicates, and a removed row disappears. A reference column",
        "holds a key from the named table (or a full IRI). Dates may be date cells, Excel serial numbers,",
        "`YYYY-MM-DD` or `DD/MM/YYYY`. Every problem is reported with its sheet, row and column, and a register",
        "with any problem is not imported at all.",
    ]
    codes = _codes(vocabulary())
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
            if column.kind == "code":
                value = "one of " + ", ".join(f"`{c}`" for c in sorted(codes.get(column.codes, {})))
            elif column.kind == "class":
                value = "one of " + ", ".join(f"`{k}`" for k, _ in column.classes)
            elif column.kind == "ref":
                value = "a key from " + " or ".join(column.ref)
            else:
                value = column.kind
            required = "yes" if column.required or column.kind == "key" else ""
            lines.append(f"| `{column.name}` | {required} | {value} | {column.note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (Path(__file__).resolve().parents[2] / "docs" / "import.md").write_text(render_docs(), encoding="utf-8")
