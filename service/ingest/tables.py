"""Spreadsheets in and out: one declarative mapping between the register's tables and RDF.

`TABLES` is the whole mapping: each table, how its rows are named, the classes its rows become, and
for each column the predicate, the kind of value and where it hangs (on the row's resource, on a node
of its own such as a meeting's agenda or an appointment's period, or pointing back at the row from
the resource the column names). The reader, the validator, the converter, the exporter, the template
writer and the docs all work from it; no other code knows a column name.

IRIs are minted from natural keys (`<base>partnership/<key>`), so importing the same register again
updates rather than duplicates, and a row removed from a register disappears from its graph. Rows
without a key of their own (attendance, briefings, votes, meeting reports) and the nodes inside a row
(an agenda, a period) get stable IRIs under `<base>genid/` made from the row's identifying columns:
RDF 1.1 calls these Skolem IRIs, the stable stand-ins for blank nodes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, SKOS, TIME, XSD

from ..namespaces import CODE, CRITERION, OBLIGATION, ORG, PK, POLICY

GENID = "genid/"
"""Where, under the base IRI, the Skolem IRIs of keyless rows and of nodes inside rows live."""


@dataclass(frozen=True)
class Column:
    """One column: its value kind and where its value goes."""

    name: str
    kind: str  # key, text, prose, date, datetime, bool, integer, decimal, code, ref, iri, email, phone,
    # policy, obligation, criterion, class
    predicate: URIRef | None = None
    required: bool = False
    many: bool = False  # several values separated by ';'
    inverse: bool = False  # the triple runs from the named resource to the row (value predicate row)
    identifies: bool = False  # part of a keyless row's identity
    codes: str = ""  # the code list (scheme local name) for kind "code"
    ref: tuple[str, ...] = ()  # the tables a kind "ref" value names a row of
    classes: tuple[tuple[str, URIRef], ...] = ()  # for kind "class": value -> class
    node: tuple[tuple[str, URIRef, URIRef | None], ...] = ()  # (IRI suffix, link predicate, class) from the row
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
    def key(self) -> Column | None:
        """The natural-key column, or None for a table whose rows are named by their identifying columns."""
        return next((c for c in self.columns if c.kind == "key"), None)

    @property
    def identity(self) -> tuple[Column, ...]:
        """The columns that name a keyless row."""
        return tuple(c for c in self.columns if c.identifies)

    @property
    def classes(self) -> tuple[URIRef, ...]:
        """Every class a row of this table may have."""
        kinds = [cls for c in self.columns if c.kind == "class" for _, cls in c.classes]
        return ((self.rdf_type,) if self.rdf_type is not None else ()) + tuple(kinds)


def _c(name: str, kind: str, predicate: URIRef | None = None, **options) -> Column:
    return Column(name, kind, predicate, **options)


def _ref(name: str, predicate: URIRef, *tables: str, **options) -> Column:
    return Column(name, "ref", predicate, ref=tables, **options)


def _code(name: str, predicate: URIRef, scheme: str, **options) -> Column:
    return Column(name, "code", predicate, codes=scheme, **options)


def _paper(prefix: str, link: URIRef, cls: URIRef) -> tuple[Column, Column]:
    node = ((prefix, link, cls),)
    return (
        _c(f"{prefix}_date", "date", DCTERMS.issued, node=node, note=f"Date the {prefix} was published."),
        _c(f"{prefix}_url", "iri", PK.publishedAt, node=node, note=f"Web address of the {prefix}."),
    )


def _period(start_note: str) -> tuple[Column, Column]:
    period = ("period", ORG.memberDuring, TIME.Interval)
    return (
        _c(
            "start",
            "date",
            TIME.inXSDDate,
            required=True,
            node=(period, ("start", TIME.hasBeginning, None)),
            note=start_note,
        ),
        _c("end", "date", TIME.inXSDDate, node=(period, ("end", TIME.hasEnd, None)), note="Blank while it lasts."),
    )


COMMENT = _c("comment", "prose", RDFS.comment, note="Free text.")
BODIES = ("partnerships", "partnership_bodies", "organisations")

TABLES: tuple[Table, ...] = (
    Table(
        "organisations",
        "organisation/",
        None,
        (
            _c("organisation_id", "key", note="Short stable id, e.g. cambridge-city-council."),
            _c("name", "prose", RDFS.label, required=True),
            _c("short_name", "text", SKOS.altLabel),
            _c(
                "type",
                "class",
                RDF.type,
                required=True,
                classes=(
                    ("council", PK.Council),
                    ("organisation", ORG.FormalOrganization),
                    ("scrutiny-committee", PK.ScrutinyCommittee),
                ),
            ),
            _code("sector", PK.sector, "sector"),
            _code("nation", PK.nation, "nation", note="Decides the bank holidays."),
            _code("authority_type", PK.authorityType, "authority-type"),
            _c("gss_code", "text", PK.gssCode, note="ONS code of the area a council governs, e.g. E07000008."),
            _c("companies_house_number", "text", PK.companiesHouseNumber, note="As text, keeping leading zeros."),
            _c("charity_number", "text", PK.charityNumber, note="As text, keeping leading zeros."),
            _c(
                "org_id",
                "text",
                PK.orgId,
                many=True,
                note="org-id.guide identifiers, e.g. GB-LAE-... for a council in the local-authority scheme.",
            ),
            _c("web_page", "iri", FOAF.homepage),
            _code("body_kind", PK.bodyKind, "body-kind"),
            _ref("unit_of", ORG.unitOf, "organisations", note="The council a committee belongs to."),
            _ref("scrutinises", PK.scrutinises, "partnerships", many=True),
            _c("established", "date", PK.establishedOn),
            _c("abolished", "date", PK.abolishedOn),
            _ref("derived_from", PROV.wasDerivedFrom, "organisations", many=True, note="Predecessors."),
            _ref("changed_by", ORG.changedBy, "changes"),
            COMMENT,
        ),
        "Councils, partner organisations and council committees.",
    ),
    Table(
        "partnerships",
        "partnership/",
        PK.Partnership,
        (
            _c("partnership_id", "key"),
            _c("name", "prose", RDFS.label, required=True),
            _c("short_name", "text", SKOS.altLabel),
            _code("kind", PK.bodyKind, "body-kind"),
            _code("status", PK.partnershipStatus, "partnership-status"),
            _ref("administered_by", PK.administeredBy, "organisations"),
            _c("web_page", "iri", FOAF.homepage),
            _c("council_web_page", "iri", PK.councilWebPage),
            _c(
                "frameworks",
                "policy",
                PK.subjectToFramework,
                many=True,
                note="Policy documents that apply, e.g. cambridge-principles.",
            ),
            _ref("serves_objectives", PK.servesObjective, "objectives", many=True),
            _c("established", "date", PK.establishedOn),
            _c("abolished", "date", PK.abolishedOn),
            COMMENT,
        ),
        "The partnerships the council works in.",
    ),
    Table(
        "partnership_bodies",
        "body/",
        PK.PartnershipBody,
        (
            _c("body_id", "key"),
            _ref("partnership", ORG.hasSubOrganization, "partnerships", inverse=True, required=True),
            _c("name", "prose", RDFS.label, required=True),
            _c("short_name", "text", SKOS.altLabel),
            _code("kind", PK.bodyKind, "body-kind"),
            _ref("administered_by", PK.administeredBy, "organisations"),
            _c("attendance_restricted", "bool", PK.attendanceRestricted),
            COMMENT,
        ),
        "Boards, groups and forums inside a partnership.",
    ),
    Table(
        "memberships",
        "membership/",
        PK.PartnerMembership,
        (
            _c("membership_id", "key"),
            _ref("member", ORG.member, "organisations", required=True),
            _ref("of", ORG.organization, *BODIES, required=True),
            _code("role", ORG.role, "role", required=True),
            *_period("When the organisation joined."),
            COMMENT,
        ),
        "Which organisations are members of which partnerships and bodies.",
    ),
    Table(
        "seat_allocations",
        "seats/",
        PK.SeatAllocation,
        (
            _c("allocation_id", "key"),
            _ref("on", PK.seatsOn, *BODIES, required=True),
            _ref("allocated_to", PK.allocatedTo, "organisations", required=True),
            _c("seats", "integer", PK.seatCount, required=True),
        ),
        "Seats on a body allocated to each member organisation.",
    ),
    Table(
        "people",
        "person/",
        None,
        (
            _c("person_id", "key"),
            _c("name", "text", FOAF.name, required=True),
            _c(
                "kind",
                "class",
                RDF.type,
                required=True,
                classes=(("councillor", PK.Councillor), ("officer", PK.Officer)),
            ),
            _ref("councillor_of", PK.councillorOf, "organisations"),
            _ref("officer_of", PK.officerOf, "organisations"),
            _c("political_group", "text", PK.politicalGroup),
            _c("email", "email", FOAF.mbox),
            _c("phone", "phone", FOAF.phone),
            _c("contact_page", "iri", PK.contactPublishedAt, note="Where their contact details are published."),
            COMMENT,
        ),
        "People who hold appointments.",
    ),
    Table(
        "appointments",
        "appointment/",
        PK.Appointment,
        (
            _c("appointment_id", "key"),
            _ref("person", ORG.member, "people", required=True),
            _ref("to", ORG.organization, *BODIES, required=True),
            _ref("on_behalf_of", PK.onBehalfOf, "organisations"),
            _code("role", ORG.role, "role", required=True),
            _c("remit", "prose", PK.remit),
            _c("delegated_authority", "prose", PK.delegatedAuthority),
            *_period("When the appointment began."),
        ),
        "Appointments of people to partnerships and bodies, on behalf of an organisation.",
    ),
    Table(
        "meetings",
        "meeting/",
        PK.Meeting,
        (
            _c("meeting_id", "key"),
            _ref("of", PK.meetingOf, *BODIES, required=True),
            _c("date", "date", PK.meetingDate, required=True),
            _c("title", "prose", RDFS.label),
            _c("held_in_public", "bool", PK.heldInPublic),
            *_paper("notice", PK.publicNotice, PK.PublicNotice),
            *_paper("agenda", PK.agenda, PK.Agenda),
            *_paper("minutes", PK.minutes, PK.Minutes),
            COMMENT,
        ),
        "Meetings with their notice, agenda and minutes.",
    ),
    Table(
        "meeting_reports",
        "report/",
        PK.MeetingReport,
        (
            _ref("meeting", PK.report, "meetings", inverse=True, required=True, identifies=True),
            _c("title", "prose", DCTERMS.title, required=True, identifies=True),
            _c("date", "date", DCTERMS.issued),
            _c("url", "iri", PK.publishedAt),
        ),
        "Reports published for a meeting besides its agenda.",
    ),
    Table(
        "attendance",
        "attendance/",
        PK.Attendance,
        (
            _ref("meeting", PK.atMeeting, "meetings", required=True, identifies=True),
            _ref("attendee", PK.attendee, "people", required=True, identifies=True),
            _ref("on_behalf_of", PK.onBehalfOf, "organisations"),
            _code("capacity", PK.capacity, "role"),
            _c("invited_for_item", "text", PK.invitedForItem, note="For a guest invited for one item."),
        ),
        "Who attended each meeting, for whom and in what capacity.",
    ),
    Table(
        "briefings",
        "briefing/",
        PK.Briefing,
        (
            _ref("person", PK.briefed, "people", required=True, identifies=True),
            _ref("for_meeting", PK.briefingFor, "meetings", required=True, identifies=True),
            _c("date", "date", PK.briefingDate, required=True, identifies=True),
        ),
        "Briefings of council representatives before meetings.",
    ),
    Table(
        "decisions",
        "decision/",
        PK.Decision,
        (
            _c("decision_id", "key"),
            _ref("meeting", PK.atMeeting, "meetings", required=True),
            _c("title", "prose", DCTERMS.title, required=True),
            _code("method", PK.decisionMethod, "decision-method"),
            _code("outcome", PK.decisionOutcome, "decision-outcome"),
            _c("requires_council_confirmation", "bool", PK.requiresCouncilConfirmation),
            _ref("confirmed_by", PK.confirmedBy, "council_decisions"),
            COMMENT,
        ),
        "Decisions taken at meetings.",
    ),
    Table(
        "votes",
        "vote/",
        PK.Vote,
        (
            _ref(
                "decision",
                PK.vote,
                "decisions",
                inverse=True,
                identifies=True,
                note="The decision voted on; leave blank for a casting vote.",
            ),
            _ref(
                "casting_vote_in",
                PK.castingVote,
                "decisions",
                inverse=True,
                identifies=True,
                note="The decision this casting vote settled.",
            ),
            _ref("person", PK.castByPerson, "people", identifies=True),
            _ref("organisation", PK.castBy, "organisations", identifies=True),
            _code("value", PK.voteValue, "vote-value", required=True),
            _c(
                "repeat",
                "integer",
                identifies=True,
                note="2, 3, ... on a vote that repeats another row exactly (a member who voted twice).",
            ),
        ),
        "Votes cast on decisions, by person and organisation.",
    ),
    Table(
        "council_decisions",
        "council-decision/",
        PK.CouncilDecision,
        (
            _c("decision_id", "key"),
            _c("title", "prose", DCTERMS.title, required=True),
            _ref("decided_by", PK.decidedBy, "organisations", required=True),
            _c("date", "date", PK.decisionDate, required=True),
            _ref("affects", PK.affectsPartnership, "partnerships", many=True),
            _c("budget", "bool", PK.isBudgetDecision),
            _code("outcome", PK.decisionOutcome, "decision-outcome"),
            _c("partnership_impact", "prose", PK.partnershipImpact),
            COMMENT,
        ),
        "The council's own decisions that affect partnerships.",
    ),
    Table(
        "resources",
        "resource/",
        PK.ResourceCommitment,
        (
            _c("resource_id", "key"),
            _ref("committed_by", PK.committedBy, "organisations", required=True),
            _ref("committed_to", PK.committedTo, *BODIES, required=True),
            _c("financial_year", "text", PK.financialYear, required=True, note="e.g. 2025-26"),
            _code("kind", PK.resourceKind, "resource-kind", required=True),
            _c("amount", "decimal", PK.amount, required=True),
            _c("unit", "text", PK.unit, note="GBP, FTE, ..."),
        ),
        "Money, staff time and other resources committed to partnerships.",
    ),
    Table(
        "reviews",
        "review/",
        None,
        (
            _c("review_id", "key"),
            _c(
                "type",
                "class",
                RDF.type,
                required=True,
                classes=(
                    ("review", PK.Review),
                    ("appraisal", PK.Appraisal),
                    ("resource-review", PK.ResourceReview),
                    ("scrutiny-report", PK.ScrutinyReport),
                ),
            ),
            _ref("reviews", PK.assesses, *BODIES, "people", required=True),
            _ref("by", PK.assessedBy, "organisations", "partnership_bodies", "people"),
            _c("date", "date", PK.assessmentDate, required=True),
            _c("title", "prose", DCTERMS.title),
            _c("obligations", "obligation", PK.againstObligation, many=True, note="Obligation ids, e.g. CSP-R3."),
            _code("outcome", PK.reviewOutcome, "review-outcome"),
            _ref("reported_to", PK.reportedTo, "organisations"),
            _ref("commitment", PK.reviewedCommitment, "resources"),
            _c("portfolio_plan", "text", PK.portfolioPlan),
            COMMENT,
        ),
        "Reviews of partnerships, appraisals, reviews of resources and scrutiny reports.",
    ),
    Table(
        "assessments",
        "assessment/",
        None,
        (
            _c("assessment_id", "key"),
            _c(
                "type",
                "class",
                RDF.type,
                required=True,
                classes=(
                    ("assessment", PK.Assessment),
                    ("health-check", PK.HealthCheck),
                    ("value-assessment", PK.ValueAssessment),
                ),
            ),
            _ref("assesses", PK.assesses, *BODIES, "people", required=True),
            _ref("by", PK.assessedBy, "organisations", "partnership_bodies", "people"),
            _c("date", "date", PK.assessmentDate, required=True),
            _c("obligations", "obligation", PK.againstObligation, many=True),
            _code("value_rating", PK.valueRating, "value-rating"),
            COMMENT,
        ),
        "Assessments, health checks and value-for-money assessments.",
    ),
    Table(
        "justifications",
        "justification/",
        PK.Justification,
        (
            _c("justification_id", "key"),
            _ref("justifies", PK.justifies, "partnerships", required=True),
            _c("criterion", "criterion", PK.criterion, required=True, note="A joining criterion, e.g. CAM-1a."),
            _ref("stated_by", PK.statedBy, "organisations"),
            COMMENT,
        ),
        "Why the council joined a partnership: the joining criterion each partnership meets.",
    ),
    Table(
        "objectives",
        "objective/",
        PK.StrategicObjective,
        (
            _c("objective_id", "key"),
            _c("name", "prose", SKOS.prefLabel, required=True),
            _ref("objective_of", PK.objectiveOf, "organisations"),
        ),
        "The councils' strategic objectives that partnerships serve.",
    ),
    Table(
        "partnership_objectives",
        "partnership-objective/",
        PK.Objective,
        (
            _c("objective_id", "key"),
            _ref("partnership", PK.hasObjective, *BODIES, inverse=True, required=True),
            _c("name", "prose", RDFS.label, required=True),
            _ref("targets", PK.hasTarget, "targets", many=True),
        ),
        "A partnership's own objectives.",
    ),
    Table(
        "targets",
        "target/",
        PK.Target,
        (
            _c("target_id", "key"),
            _c("name", "prose", RDFS.label, required=True),
            _c("date", "date", PK.targetDate),
        ),
        "Targets of partnership objectives.",
    ),
    Table(
        "outcomes",
        "outcome/",
        PK.PartnershipOutcome,
        (
            _c("outcome_id", "key"),
            _ref("partnership", PK.hasOutcome, *BODIES, inverse=True, required=True),
            _c("name", "prose", RDFS.label, required=True),
            _c("date", "date", DCTERMS.date),
        ),
        "Outcomes a partnership achieved.",
    ),
    Table(
        "governance",
        "arrangement/",
        None,
        (
            _c("arrangement_id", "key"),
            _ref("partnership", PK.hasGovernanceArrangement, *BODIES, inverse=True, required=True),
            _c(
                "type",
                "class",
                RDF.type,
                required=True,
                classes=(
                    ("terms-of-reference", PK.TermsOfReference),
                    ("performance-management", PK.PerformanceManagementArrangement),
                    ("risk-management", PK.RiskManagementArrangement),
                    ("public-engagement", PK.PublicEngagementArrangement),
                    ("complaints", PK.ComplaintsProcedure),
                ),
            ),
            _c("name", "prose", RDFS.label),
            _c("title", "prose", DCTERMS.title, note="A document's title (terms of reference)."),
            _c("date", "date", DCTERMS.issued, note="When the document was adopted."),
            _c("web_page", "iri", FOAF.page),
        ),
        "Terms of reference and the other governance arrangements of a partnership.",
    ),
    Table(
        "actions",
        "action/",
        PK.AgreedAction,
        (
            _c("action_id", "key"),
            _ref("of", PK.actionOf, *BODIES, required=True),
            _c("title", "prose", DCTERMS.title, required=True),
            _ref("owner", PK.ownedBy, "organisations"),
            _c("due", "date", PK.dueDate),
            _code("status", PK.actionStatus, "action-status"),
            COMMENT,
        ),
        "Actions agreed by a partnership and who owns them.",
    ),
    Table(
        "non_delivery_notices",
        "notice/",
        PK.NonDeliveryNotice,
        (
            _c("notice_id", "key"),
            _ref("action", PK.aboutAction, "actions", required=True),
            _c("date", "date", PK.noticeDate, required=True),
            COMMENT,
        ),
        "Notices that an agreed action will not be delivered.",
    ),
    Table(
        "registrations",
        "registration/",
        PK.RegistrationOfInterest,
        (
            _c("registration_id", "key"),
            _ref("registered_by", PK.registeredBy, "organisations", required=True),
            _ref("registered_with", PK.registeredWith, *BODIES, required=True),
            _c("date", "date", DCTERMS.date),
        ),
        "Registrations of interest in joining a partnership.",
    ),
    Table(
        "changes",
        "change/",
        PK.Reorganisation,
        (
            _c("change_id", "key"),
            _c("name", "prose", RDFS.label, required=True),
            _c("at", "datetime", PROV.atTime),
            _ref("original", ORG.originalOrganization, "organisations", many=True),
            _ref("resulting", ORG.resultingOrganization, "organisations", many=True),
            COMMENT,
        ),
        "Reorganisations that abolished and created organisations.",
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
    tables: dict[str, list[tuple[int, dict[str, object]]]] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(r) for r in self.tables.values())


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


def text_of(value: object) -> str:
    """A cell's value as the text the mapping reads."""
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
            _take(rows, table, [list(r) for r in book[table.name].iter_rows(values_only=True)])
    book.close()
    return rows


def _take(rows: Rows, table: Table, values: list[list[object]]) -> None:
    if not values:
        return
    header = [text_of(h) for h in values[0]]
    known = {c.name for c in table.columns}
    for column in table.columns:
        if (column.required or column.kind == "key" or column.identifies) and column.name not in header:
            rows.problems.append(ImportProblem(table.name, 1, column.name, "", "required column is missing"))
    for name in header:
        if name and name not in known:
            rows.problems.append(ImportProblem(table.name, 1, name, "", "unknown column"))
    taken = []
    for number, raw in enumerate(values[1:], start=2):
        if not any(text_of(v) for v in raw) or text_of(raw[0]).startswith("#"):
            continue  # an empty row, or the template's notes row
        taken.append((number, {h: raw[i] if i < len(raw) else None for i, h in enumerate(header) if h}))
    rows.tables[table.name] = taken


def code_lists(vocabulary: Graph) -> dict[str, dict[str, URIRef]]:
    """Each code list's notations and the concepts they name."""
    out: dict[str, dict[str, URIRef]] = {}
    for concept, scheme in vocabulary.subject_objects(SKOS.inScheme):
        if str(scheme).startswith(str(CODE)):
            notation = vocabulary.value(concept, SKOS.notation)
            if notation is not None:
                out.setdefault(str(scheme)[len(str(CODE)) :], {})[str(notation)] = concept  # type: ignore[index]
    return out


NAMED = {"policy": str(POLICY), "obligation": str(OBLIGATION), "criterion": str(CRITERION)}
"""Columns naming a policy document, an obligation or a joining criterion, by id."""


def canonical_decimal(number: Decimal) -> str:
    """The canonical lexical form of an xsd:decimal (`50000.0`, `0.2`), so a value imports the same
    whether a spreadsheet stored it as 50000, 50000.0 or 50000.00."""
    text = format(number.normalize(), "f")
    return text if "." in text else text + ".0"


def row_iri(table: Table, cells: dict[str, object], base: str) -> URIRef:
    """The IRI a row is named by: from its key, or (keyless rows) a Skolem IRI from its identifying columns."""
    if table.key is not None:
        return URIRef(base + table.path + slug(text_of(cells.get(table.key.name))))
    parts = [slug(text_of(cells.get(c.name))) for c in table.identity]
    return URIRef(base + GENID + table.path + ".".join(parts))


def node_iri(owner: URIRef, suffix: str, base: str) -> URIRef:
    """The Skolem IRI of a node inside a row (an agenda, a period)."""
    local = str(owner)[len(base) :]
    return URIRef(base + (local if local.startswith(GENID) else GENID + local) + "/" + suffix)


def to_graph(
    rows: Rows, base: str, vocabulary: Graph, progress: Callable[[int], None] | None = None
) -> tuple[Graph, list[ImportProblem]]:
    """The register as RDF, and every problem found (all at once; a register with any is not imported)."""
    problems = list(rows.problems)
    codes = code_lists(vocabulary)
    known = {
        kind: {str(s)[len(ns) :] for s in vocabulary.subjects() if str(s).startswith(ns)} for kind, ns in NAMED.items()
    }
    keys: dict[str, set[str]] = {}
    for table in TABLES:
        seen: set[str] = set()
        for number, cells in rows.tables.get(table.name, []):
            if table.key is not None:
                key = text_of(cells.get(table.key.name))
                if not key:
                    problems.append(ImportProblem(table.name, number, table.key.name, "", "the key is empty"))
                    continue
                name, what = slug(key), "duplicate key"
            else:
                key = ", ".join(text_of(cells.get(c.name)) for c in table.identity)
                name, what = (
                    str(row_iri(table, cells, base)),
                    "duplicate row: another row has the same " + ", ".join(c.name for c in table.identity),
                )
            if name in seen:
                column = table.key.name if table.key is not None else table.identity[0].name
                problems.append(ImportProblem(table.name, number, column, key, what))
            seen.add(name)
        keys[table.name] = seen
    graph = Graph()
    done = 0
    for table in TABLES:
        for number, cells in rows.tables.get(table.name, []):
            done += 1
            if progress is not None and done % 500 == 0:
                progress(500)
            if table.key is not None and not text_of(cells.get(table.key.name)):
                continue
            subject = row_iri(table, cells, base)
            if table.rdf_type is not None:
                graph.add((subject, RDF.type, table.rdf_type))
            for column in table.columns:
                if column.kind == "key" or column.predicate is None:
                    continue
                raw = cells.get(column.name)
                text = text_of(raw)
                if not text:
                    if column.required:
                        problems.append(ImportProblem(table.name, number, column.name, "", "a value is required"))
                    continue
                try:
                    parts = [p.strip() for p in text.split(";") if p.strip()] if column.many else [text]
                    values = [_value(column, raw if len(parts) == 1 else p, p, base, codes, keys, known) for p in parts]
                except ValueError as exc:
                    problems.append(ImportProblem(table.name, number, column.name, text, str(exc)))
                    continue
                target = subject
                for suffix, link, cls in column.node:
                    node = node_iri(target, suffix, base)
                    graph.add((target, link, node))
                    if cls is not None:
                        graph.add((node, RDF.type, cls))
                    target = node
                for value in values:
                    graph.add(
                        (value, column.predicate, target) if column.inverse else (target, column.predicate, value)
                    )
    if progress is not None:
        progress(done % 500)
    return graph, problems


def _value(column: Column, raw: object, text: str, base: str, codes, keys, known):
    kind = column.kind
    if kind == "text":
        return Literal(text)
    if kind == "prose":
        return Literal(text, lang="en")
    if kind == "date":
        return Literal(parse_date(raw), datatype=XSD.date)
    if kind == "datetime":
        try:
            return Literal(datetime.fromisoformat(text.replace("Z", "+00:00")), datatype=XSD.dateTime)
        except ValueError:
            raise ValueError("not a date and time: use YYYY-MM-DDTHH:MM:SS") from None
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "y", "1"):
            return Literal(True)
        if lowered in ("false", "no", "n", "0"):
            return Literal(False)
        raise ValueError("not yes or no")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError("not a whole number")
        return Literal(int(text))
    if kind == "decimal":
        try:
            number = Decimal(repr(raw) if isinstance(raw, float) else text)
        except InvalidOperation:
            raise ValueError("not a number") from None
        if not number.is_finite():
            raise ValueError("not a number")
        return Literal(canonical_decimal(number), datatype=XSD.decimal)
    if kind == "iri":
        if not re.match(r"^https?://\S+$", text):
            raise ValueError("not a web address (http:// or https://)")
        return URIRef(text)
    if kind == "email":
        if not re.match(r"^[^@\s]+@[^@\s]+$", text):
            raise ValueError("not an e-mail address")
        return URIRef("mailto:" + text)
    if kind == "phone":
        if not re.fullmatch(r"\+?[0-9][0-9 ()-]{4,}", text):
            raise ValueError("not a telephone number")
        return URIRef("tel:" + re.sub(r"[ ()]+", "-", text).strip("-"))
    if kind == "code":
        listed = codes.get(column.codes, {})
        if text not in listed:
            raise ValueError(f"unknown code; use one of {', '.join(sorted(listed))}")
        return listed[text]
    if kind == "class":
        lookup = dict(column.classes)
        if text not in lookup:
            raise ValueError(f"unknown type; use one of {', '.join(lookup)}")
        return lookup[text]
    if kind in NAMED:
        ident = slug(text) if kind == "policy" else text
        if known[kind] and ident not in known[kind]:
            raise ValueError(f"no {kind} with this id")
        return URIRef(NAMED[kind] + ident)
    if kind == "ref":
        if text.startswith(("http://", "https://")):
            return URIRef(text)
        for name in column.ref:
            if slug(text) in keys.get(name, ()):
                return URIRef(base + BY_NAME[name].path + slug(text))
        raise ValueError(f"no row with this key in {' or '.join(column.ref)}")
    raise ValueError(f"unknown column kind {kind}")


def from_graph(graph: Graph, base: str, vocabulary: Graph) -> dict[str, list[dict[str, object]]]:
    """The register tables that hold what `graph` says, row by row (the inverse of `to_graph`).

    Rows are the resources of each table's classes (keyed rows only under the table's IRI path);
    a reference to a row of the register is written as its key, anything else as its full IRI.
    """
    notations = {
        concept: notation for listed in code_lists(vocabulary).values() for notation, concept in listed.items()
    }
    members: dict[str, list] = {}
    for table in TABLES:
        prefix = base + table.path
        found = {s for cls in table.classes for s in graph.subjects(RDF.type, cls)}
        if table.key is not None:
            found = {
                s
                for s in found
                if isinstance(s, URIRef) and str(s).startswith(prefix) and "/" not in str(s)[len(prefix) :]
            }
        members[table.name] = list(found)
    keys = {t.name: {str(s)[len(base + t.path) :] for s in members[t.name]} for t in TABLES if t.key is not None}

    def ref_text(column: Column, iri) -> str:
        if isinstance(iri, BNode):
            raise ValueError("a reference to a blank node cannot be written to a register")
        for name in column.ref:
            key = str(iri)[len(base + BY_NAME[name].path) :]
            if str(iri).startswith(base + BY_NAME[name].path) and key in keys.get(name, ()):
                first = next(n for n in column.ref if key in keys.get(n, ()))
                return key if first == name else str(iri)
        return str(iri)

    def cell(column: Column, value) -> object:
        kind = column.kind
        if kind == "ref":
            return ref_text(column, value)
        if kind == "code":
            return notations.get(value, str(value))
        if kind in NAMED:
            return str(value)[len(NAMED[kind]) :] if str(value).startswith(NAMED[kind]) else str(value)
        if kind == "email":
            return str(value).removeprefix("mailto:")
        if kind == "phone":
            return str(value).removeprefix("tel:")
        if kind == "bool":
            return "yes" if value.toPython() is True else "no"
        if kind == "date":
            python = value.toPython()
            return python if isinstance(python, date) else str(value)
        if kind == "integer":
            return int(value)
        if kind == "decimal":
            return float(Decimal(str(value)))
        return str(value)

    out: dict[str, list[dict[str, object]]] = {}
    for table in TABLES:
        rows = []
        for subject in members[table.name]:
            types = set(graph.objects(subject, RDF.type))
            row: dict[str, object] = {}
            for column in table.columns:
                if column.kind == "key":
                    row[column.name] = str(subject)[len(base + table.path) :]
                    continue
                if column.predicate is None:
                    continue
                if column.kind == "class":
                    row[column.name] = next((n for n, cls in column.classes if cls in types), None)
                    continue
                target = subject
                for _, link, _ in column.node:
                    target = graph.value(target, link)
                    if target is None:
                        break
                if target is None:
                    continue
                values = (
                    graph.subjects(column.predicate, target)
                    if column.inverse
                    else graph.objects(target, column.predicate)
                )
                cells = sorted((cell(column, v) for v in values), key=str)
                if cells:
                    row[column.name] = "; ".join(str(c) for c in cells) if column.many else cells[0]
            rows.append(row)
        counter = next((c for c in table.identity if c.predicate is None), None)
        if counter is not None:  # number the rows that would otherwise name the same resource
            seen: dict[tuple, int] = {}
            for row in sorted(rows, key=lambda r: [text_of(r.get(c.name)) for c in table.columns]):
                same = tuple(text_of(row.get(c.name)) for c in table.columns if c is not counter)
                seen[same] = seen.get(same, 0) + 1
                if seen[same] > 1:
                    row[counter.name] = seen[same]
        out[table.name] = sorted(rows, key=lambda r: [text_of(r.get(c.name)) for c in table.columns])
    return out
