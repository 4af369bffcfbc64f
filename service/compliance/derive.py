"""Derived values: what the shapes need that is arithmetic, computed in Python into its own graph.

Date arithmetic in SPARQL-based SHACL constraints makes pyshacl slow on medium graphs, so working
days, due dates, "current as at" and "within the review period" are computed here, once per run,
and the shapes compare plain values (docs/compliance.md). Also materialised here, the entailments
the shapes rely on: a body's (and its meetings', decisions', appointments') partnership, the inverse
of org:hasSubOrganization, and broader appointment roles (a lead member is a representative).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date

from dateutil.relativedelta import relativedelta
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS, TIME, XSD
from rdflib.term import Node

from ..namespaces import CODE, ORG, PK
from ..settings import SETTINGS
from .workdays import Calendar, Counting

NATION_CODES = {
    CODE["nation-england"]: "ENG",
    CODE["nation-wales"]: "WLS",
    CODE["nation-scotland"]: "SCT",
    CODE["nation-northern-ireland"]: "NIR",
}


def _default(name: str):
    return next(s.default for s in SETTINGS if s.name == name)


@dataclass(frozen=True)
class Thresholds:
    """The configurable numbers the shapes depend on; their defaults are the settings' (defined once,
    in service.settings)."""

    agenda_notice_days: int = _default("agenda_notice_days")
    minutes_days: int = _default("minutes_days")
    officer_limit: int = _default("officer_limit")
    review_months: int = _default("review_months")
    day_counting: str = _default("day_counting")

    @classmethod
    def from_settings(cls, settings: object) -> Thresholds:
        """The thresholds a process's settings give (each setting of the same name)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def _date(node: Node | None) -> date | None:
    if isinstance(node, Literal) and isinstance(node.toPython(), date):
        return node.toPython()
    return None


def _period(graph: Graph, node: Node) -> tuple[date | None, date | None]:
    interval = graph.value(node, ORG.memberDuring)
    if interval is None:
        return None, None
    start = _date(graph.value(graph.value(interval, TIME.hasBeginning), TIME.inXSDDate))
    end = _date(graph.value(graph.value(interval, TIME.hasEnd), TIME.inXSDDate))
    return start, end


def current(start: date | None, end: date | None, day: date) -> bool:
    """True when the day lies in the period (an open start or end is unbounded)."""
    return (start is None or start <= day) and (end is None or day <= end)


def financial_year(day: date) -> str:
    """The UK public-sector financial year containing the day, written 2026-27."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{str(first + 1)[-2:]}"


LINKS = (PK.meetingOf, PK.atMeeting, ORG.organization, PK.actionOf, PK.committedTo, PK.assesses, PK.affectsPartnership)
"""A thing belongs to the partnership its link points to (a meeting to whoever holds it)."""
PARTS = (PK.hasObjective, PK.hasGovernanceArrangement, PK.hasOutcome)
"""What a partnership has belongs to it."""


def partnership_of(graph: Graph) -> dict[Node, Node]:
    """Each partnership, its bodies, and everything that hangs off them, mapped to its partnership."""
    owner: dict[Node, Node] = {}
    for p in graph.subjects(RDF.type, PK.Partnership):
        owner[p] = p
        for body in graph.objects(p, ORG.hasSubOrganization):
            owner[body] = p
    for body, p in graph.subject_objects(PK.partOfPartnership):
        owner.setdefault(body, p)
    for predicate in LINKS:
        for subject, target in graph.subject_objects(predicate):
            if target in owner:
                owner.setdefault(subject, owner[target])
    for predicate in PARTS:
        for p, part in graph.subject_objects(predicate):
            if p in owner:
                owner.setdefault(part, owner[p])
    # a joint committee's seats belong to the partnership it scrutinises (CAM-7); its meetings do not
    for allocation, committee in graph.subject_objects(PK.seatsOn):
        for p in graph.objects(committee, PK.scrutinises):
            owner.setdefault(allocation, p)
    return owner


def council_of_framework(graph: Graph, partnership: Node) -> list[Node]:
    """The councils whose frameworks apply to a partnership, with the successors of abolished ones."""
    councils: list[Node] = []
    for scheme in graph.objects(partnership, PK.subjectToFramework):
        for publisher in graph.objects(scheme, DCTERMS.publisher):
            councils.append(publisher)
            for event in graph.subjects(ORG.originalOrganization, publisher):
                councils.extend(graph.objects(event, ORG.resultingOrganization))
    return list(dict.fromkeys(councils))


def nation_of(graph: Graph, councils: list[Node]) -> str:
    """The nation whose bank holidays count: the first framework council's, England if unknown."""
    for council in councils:
        code = NATION_CODES.get(graph.value(council, PK.nation))
        if code:
            return code
    return "ENG"


def entailments(graph: Graph) -> Graph:
    """What the shapes rely on that follows from the data whatever the date: each node's partnership
    (pk:forPartnership), org:hasSubOrganization and its inverse pk:partOfPartnership, and broader
    appointment roles (a lead member is a representative). Stored in its own named graph and
    refreshed when the data changes (validate.entailed_for)."""
    out = Graph()
    for node, p in partnership_of(graph).items():
        out.add((node, PK.forPartnership, p))
    for p in graph.subjects(RDF.type, PK.Partnership):
        for body in graph.objects(p, ORG.hasSubOrganization):
            out.add((body, PK.partOfPartnership, p))
    for body, p in graph.subject_objects(PK.partOfPartnership):
        out.add((p, ORG.hasSubOrganization, body))
    broader = {r: set(graph.transitive_objects(r, SKOS.broader)) - {r} for r in set(graph.objects(None, ORG.role))}
    for membership, role in list(graph.subject_objects(ORG.role)):
        for wider in broader.get(role, ()):
            out.add((membership, ORG.role, wider))
    return out


def derive(
    graph: Graph,
    as_at: date,
    thresholds: Thresholds | None = None,
    run: URIRef | None = None,
    entailed: Graph | None = None,
) -> Graph:
    """The derived graph for a data graph (ontology, policies and data merged), as at a date: the
    entailments (computed here unless given) and the dated values."""
    out = Graph()
    thresholds = thresholds or Thresholds()
    counting = Counting(thresholds.day_counting)
    entailed = entailments(graph) if entailed is None else entailed
    out += entailed
    owner = dict(entailed.subject_objects(PK.forPartnership))
    if run is not None:
        out.add((run, RDF.type, PK.ValidationRun))
        out.add((run, PK.asAt, Literal(as_at, datatype=XSD.date)))

    # partnerships in force as at the date
    for p in graph.subjects(RDF.type, PK.Partnership):
        established = _date(graph.value(p, PK.establishedOn))
        abolished = _date(graph.value(p, PK.abolishedOn))
        closed = graph.value(p, PK.partnershipStatus) == CODE["status-closed"]
        alive = (
            not closed and (established is None or established <= as_at) and (abolished is None or as_at < abolished)
        )
        out.add((p, PK.isCurrent, Literal(alive)))

    # appointments and memberships current as at the date
    for membership in set(graph.subjects(ORG.memberDuring, None)):
        start, end = _period(graph, membership)
        out.add((membership, PK.isCurrent, Literal(current(start, end, as_at))))

    # assessments, reviews and reports in the review period; commitments for the current year
    since = as_at - relativedelta(months=thresholds.review_months)
    for assessment, day in graph.subject_objects(PK.assessmentDate):
        d = _date(day)
        if d is not None:
            out.add((assessment, PK.isRecent, Literal(since < d <= as_at)))
    this_year = financial_year(as_at)
    for commitment, year in graph.subject_objects(PK.financialYear):
        out.add((commitment, PK.isRecent, Literal(str(year) == this_year)))

    _derive_meetings(graph, out, owner, as_at, thresholds, counting)
    return out


def _derive_meetings(
    graph: Graph, out: Graph, owner: dict[Node, Node], as_at: date, thresholds: Thresholds, counting: Counting
) -> None:
    officers_by_meeting: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
    for attendance in graph.subjects(RDF.type, PK.Attendance):
        meeting = graph.value(attendance, PK.atMeeting)
        person = graph.value(attendance, PK.attendee)
        if meeting is not None and (person, RDF.type, PK.Officer) in graph:
            officers_by_meeting[meeting].append((person, graph.value(attendance, PK.onBehalfOf)))
    for meeting, day in graph.subject_objects(PK.meetingDate):
        held = _date(day)
        if held is None:
            continue
        p = owner.get(meeting)
        councils = council_of_framework(graph, p) if p is not None else []
        calendar = Calendar(nation_of(graph, councils), counting)
        latest = calendar.latest_before(held, thresholds.agenda_notice_days)
        out.add((meeting, PK.latestAgendaDate, Literal(latest, datatype=XSD.date)))
        agenda_day = _date(graph.value(graph.value(meeting, PK.agenda), DCTERMS.issued))
        if agenda_day is not None:
            out.add((meeting, PK.agendaClearDays, Literal(calendar.clear_days_between(agenda_day, held))))
        due = calendar.deadline_after(held, thresholds.minutes_days)
        out.add((meeting, PK.minutesDueDate, Literal(due, datatype=XSD.date)))
        minutes_day = _date(graph.value(graph.value(meeting, PK.minutes), DCTERMS.issued))
        if minutes_day is not None:
            out.add((meeting, PK.minutesDays, Literal(calendar.days_after(held, minutes_day))))
            overdue = minutes_day > due or minutes_day < held
        else:
            overdue = as_at > due
        out.add((meeting, PK.minutesOverdue, Literal(overdue)))
        attending = {person for person, org in officers_by_meeting.get(meeting, ()) if org in councils}
        if meeting in officers_by_meeting:
            out.add((meeting, PK.councilOfficersAttending, Literal(len(attending))))
            out.add((meeting, PK.officerLimitExceeded, Literal(len(attending) > thresholds.officer_limit)))
