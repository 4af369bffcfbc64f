"""Spreadsheets in: one declarative mapping from the register's tables to RDF.

`TABLES` is the whole mapping: each table, its natural key, the class its rows become, and for each
column the predicate, the kind of value and where it hangs (on the row's resource, or on a node of
its own such as a meeting's agenda or an appointment's period). The reader, the validator, the
converter, the template writer and the docs all work from it; no other code knows a column name.

IRIs are minted from natural keys (`<base>partnership/<key>`), so importing the same register again
updates rather than duplicates, and a row removed from a register disappears from its graph.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS, TIME, XSD

from ..namespaces import CODE, ORG, PK, POLICY


@dataclass(frozen=True)
class Column:
    """One column: its value kind and where its value goes."""

    name: str
    kind: str  # key, text, date, bool, integer, code, ref, iri, email, policy, class
    predicate: URIRef | None = None
    required: bool = False
    codes: str = ""  # the code list (scheme local name) for kind "code"
    ref: tuple[str, ...] = ()  # the tables a kind "ref" value names a row of
    classes: tuple[tuple[str, URIRef], ...] = ()  # for kind "class": value -> class
    node: tuple[tuple[str, URIRef, URIRef], ...] = ()  # (IRI suffix, link predicate, class) from the row down
    note: str = ""


@dataclass(frozen=True)
class Table:
    """One sheet (or CSV file) of the register."""

    name: str
    path: str
    rdf_type: URIRef | None
    columns: tuple[Column, ...]
    note: str

    @property
    def key(self) -> Column:
        """The natural-key column."""
        return next(c for c in self.columns if c.kind == "key")


def _doc(prefix: str, link: URIRef, cls: URIRef) -> tuple[Column, Column]:
    node = ((prefix, link, cls),)
    return (
        Column(f"{prefix}_date", "date", DCTERMS.issued, node=node, note=f"Date the {prefix} was published."),
        Column(f"{prefix}_url", "iri", PK.publishedAt, node=node, note=f"Web address of the {prefix}."),
    )


PERIOD = ("period", ORG.memberDuring, TIME.Interval)

TABLES: tuple[Table, ...] = (
    Table(
        "bodies",
        "organisation/",
        None,
        (
            Column("body_id", "key", note="Short stable id, e.g. cambridge-city-council."),
            Column("name", "text", RDFS.label, required=True),
            Column(
                "type",
                "class",
                RDF.type,
                required=True,
                classes=(
                    ("council", PK.Council),
                    ("organisation", ORG.FormalOrganization),
                    ("partnership-body", PK.PartnershipBody),
                ),
            ),
            Column("sector", "code", PK.sector, codes="sector"),
            Column(
                "nation", "code", PK.nation, codes="nation", note="ENG, WLS, SCT or NIR: decides the bank holidays."
            ),
            Column("gss_code", "text", PK.gssCode),
            Column(
                "part_of", "ref", PK.partOfPartnership, ref=("partnerships",), note="For a body inside a partnership."
            ),
            Column("body_kind", "code", PK.bodyKind, codes="body-kind"),
            Column("attendance_restricted", "bool", PK.attendanceRestricted),
        ),
        "Councils, partner organisations and the bodies inside partnerships.",
    ),
    Table(
        "partnerships",
        "partnership/",
        PK.Partnership,
        (
            Column("partnership_id", "key"),
            Column("name", "text", RDFS.label, required=True),
            Column("status", "code", PK.partnershipStatus, codes="partnership-status"),
            Column("administered_by", "ref", PK.administeredBy, ref=("bodies",)),
            Column("web_page", "iri", FOAF.homepage),
            Column("council_web_page", "iri", PK.councilWebPage),
            Column(
                "frameworks",
                "policy",
                PK.subjectToFramework,
                note="Policy documents that apply, separated by ';' (e.g. cambridge-principles).",
            ),
            Column("established", "date", PK.establishedOn),
        ),
        "The partnerships the council works in.",
    ),
    Table(
        "people",
        "person/",
        None,
        (
            Column("person_id", "key"),
            Column("name", "text", FOAF.name, required=True),
            Column(
                "kind",
                "class",
                RDF.type,
                required=True,
                classes=(("councillor", PK.Councillor), ("officer", PK.Officer)),
            ),
            Column(
                "member_of", "ref", ORG.memberOf, ref=("bodies",), note="The council or organisation they belong to."
            ),
            Column("email", "email", FOAF.mbox),
            Column("contact_page", "iri", PK.contactPublishedAt, note="Where their contact details are published."),
        ),
        "People who hold appointments.",
    ),
    Table(
        "appointments",
        "appointment/",
        PK.Appointment,
        (
            Column("appointment_id", "key"),
            Column("person", "ref", ORG.member, required=True, ref=("people",)),
            Column("to", "ref", ORG.organization, required=True, ref=("partnerships", "bodies")),
            Column("on_behalf_of", "ref", PK.onBehalfOf, ref=("bodies",)),
            Column("role", "code", ORG.role, required=True, codes="role"),
            Column("remit", "text", PK.remit),
            Column(
                "start",
                "date",
                TIME.inXSDDate,
                required=True,
                node=(PERIOD, ("start", TIME.hasBeginning, TIME.Instant)),
            ),
            Column("end", "date", TIME.inXSDDate, node=(PERIOD, ("end", TIME.hasEnd, TIME.Instant))),
        ),
        "Appointments of people to partnerships and bodies, on behalf of an organisation.",
    ),
    Table(
        "meetings",
        "meeting/",
        PK.Meeting,
        (
            Column("meeting_id", "key"),
            Column("of", "ref", PK.meetingOf, required=True, ref=("partnerships", "bodies")),
            Column("date", "date", PK.meetingDate, required=True),
            Column("held_in_public", "bool", PK.heldInPublic),
            *_doc("notice", PK.publicNotice, PK.PublicNotice),
            *_doc("agenda", PK.agenda, PK.Agenda),
            *_doc("minutes", PK.minutes, PK.Minutes),
        ),
        "Meetings with their notice, agenda and minutes.",
    ),
)
"""The register's tables, in the order they are read and written."""

BY_NAME = {t.name: t for t in TABLES}


@dataclass(frozen=True)
class ImportProblem:
    """One problem in a register, located to the cell."""

    sheet: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.sheet}, row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}" + (f" (value {self.value!r})" if self.value else "")


@dataclass
class Rows:
    """A register read from a workbook or folder: each table's rows, with their spreadsheet row numbers."""

    source: str
    tables: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)


def slug(text: str) -> str:
    """A natural key as an IRI segment."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: object) -> date:
    """A date in any form spreadsheets produce: a date cell, an Excel serial number, ISO, or dd/mm/yyyy."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    raise ValueError("not a date: use YYYY-MM-DD or DD/MM/YYYY")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return str(value).strip()


def read_register(path: Path) -> Rows:
    """Read an .xlsx workbook (one sheet a table) or a folder of CSV files (one file a table)."""
    rows = Rows(path.name)
    if path.is_dir():
        for table in TABLES:
            file = path / f"{table.name}.csv"
            if file.exists():
                with open(file, newline="", encoding="utf-8-sig") as handle:
                    _take(rows, table, list(csv.reader(handle)))
        return rows
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    for table in TABLES:
        if table.name in book.sheetnames:
            values = [list(r) for r in book[table.name].iter_rows(values_only=True)]
            _take(rows, table, values)
    book.close()
    return rows


def _take(rows: Rows, table: Table, values: list[list[object]]) -> None:
    if not values:
        return
    header = [_text(h) for h in values[0]]
    missing = [c.name for c in table.columns if (c.required or c.kind == "key") and c.name not in header]
    for name in missing:
        rows.problems.append(ImportProblem(table.name, 1, name, "", "required column is missing"))
    unknown = [h for h in header if h and h not in {c.name for c in table.columns}]
    for name in unknown:
        rows.problems.append(ImportProblem(table.name, 1, name, "", "unknown column"))
    taken = []
    for number, raw in enumerate(values[1:], start=2):
        cells = {h: raw[i] if i < len(raw) else None for i, h in enumerate(header) if h}
        first = _text(raw[0]) if raw else ""
        if first.startswith("#") or not any(_text(v) for v in raw):
            continue  # the template's notes row, or an empty row
        taken.append((number, {k: v for k, v in cells.items()}))  # type: ignore[misc]
    rows.tables[table.name] = taken  # type: ignore[assignment]


def _codes(vocabulary: Graph) -> dict[str, dict[str, URIRef]]:
    out: dict[str, dict[str, URIRef]] = {}
    for concept, scheme in vocabulary.subject_objects(SKOS.inScheme):
        if str(scheme).startswith(str(CODE)):
            notation = vocabulary.value(concept, SKOS.notation)
            if notation is not None:
                out.setdefault(str(scheme)[len(str(CODE)) :], {})[str(notation)] = concept  # type: ignore[index]
    return out


def to_graph(rows: Rows, base: str, vocabulary: Graph) -> tuple[Graph, list[ImportProblem]]:
    """The register as RDF, and every problem found (all at once; a register with any is not imported)."""
    problems = list(rows.problems)
    codes = _codes(vocabulary)
    keys: dict[str, set[str]] = {}
    for table in TABLES:
        seen: set[str] = set()
        for number, cells in rows.tables.get(table.name, []):
            key = _text(cells.get(table.key.name))
            if not key:
                problems.append(ImportProblem(table.name, number, table.key.name, "", "the key is empty"))
            elif slug(key) in seen:
                problems.append(ImportProblem(table.name, number, table.key.name, key, "duplicate key"))
            seen.add(slug(key))
        keys[table.name] = seen
    graph = Graph()
    for table in TABLES:
        for number, cells in rows.tables.get(table.name, []):
            key = _text(cells.get(table.key.name))
            if not key:
                continue
            subject = URIRef(base + table.path + slug(key))
            if table.rdf_type is not None:
                graph.add((subject, RDF.type, table.rdf_type))
            for column in table.columns:
                if column.kind == "key":
                    continue
                raw = cells.get(column.name)
                text = _text(raw)
                if not text:
                    if column.required:
                        problems.append(ImportProblem(table.name, number, column.name, "", "a value is required"))
                    continue
                try:
                    values = _values(column, raw, text, base, codes, keys)
                except ValueError as exc:
                    problems.append(ImportProblem(table.name, number, column.name, text, str(exc)))
                    continue
                target = subject
                for suffix, link, cls in column.node:
                    node = URIRef(f"{target}/{suffix}")
                    graph.add((target, link, node))
                    graph.add((node, RDF.type, cls))
                    target = node
                for value in values:
                    graph.add((target, column.predicate, value))  # type: ignore[arg-type]
    return graph, problems


def _values(column: Column, raw: object, text: str, base: str, codes, keys) -> list:
    kind = column.kind
    if kind == "text":
        return [Literal(text)]
    if kind == "date":
        return [Literal(parse_date(raw), datatype=XSD.date)]
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "y", "1"):
            return [Literal(True)]
        if lowered in ("false", "no", "n", "0"):
            return [Literal(False)]
        raise ValueError("not yes or no")
    if kind == "integer":
        return [Literal(int(text))]
    if kind == "iri":
        if not re.match(r"^https?://\S+$", text):
            raise ValueError("not a web address (http:// or https://)")
        return [URIRef(text)]
    if kind == "email":
        if not re.match(r"^[^@\s]+@[^@\s]+$", text):
            raise ValueError("not an e-mail address")
        return [URIRef("mailto:" + text)]
    if kind == "code":
        known = codes.get(column.codes, {})
        if text not in known:
            raise ValueError(f"unknown code; use one of {', '.join(sorted(known))}")
        return [known[text]]
    if kind == "class":
        lookup = dict(column.classes)
        if text not in lookup:
            raise ValueError(f"unknown type; use one of {', '.join(lookup)}")
        return [lookup[text]]
    if kind == "policy":
        return [POLICY[slug(part)] for part in text.split(";") if part.strip()]
    if kind == "ref":
        if text.startswith(("http://", "https://")):
            return [URIRef(text)]
        for name in column.ref:
            if slug(text) in keys.get(name, ()):
                return [URIRef(base + BY_NAME[name].path + slug(text))]
        raise ValueError(f"no row with this key in {' or '.join(column.ref)}")
    raise ValueError(f"unknown column kind {kind}")
