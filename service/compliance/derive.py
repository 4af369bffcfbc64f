"""Derived values: what the shapes need that is arithmetic, computed in Python into its own graph.

Date arithmetic in SPARQL-based SHACL constraints makes pyshacl slow on medium graphs, so working
days, due dates, "current as at" and "within the review period" are computed here, once per run,
and the shapes compare plain values (docs/compliance.md). Also materialised here, the entailments
the shapes rely on (service.entailment: a body's, and its meetings', decisions', appointments',
partnership, the inverse of org:hasSubOrganization, broader appointment roles).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date

import pyoxigraph as ox
from dateutil.relativedelta import relativedelta
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import XSD

from ..entailment import LINKS, PARTS, entailed_triples, partnership_of
from ..namespaces import CODE, PK, sparql_prefixes
from ..settings import SETTINGS
from ..store.terms import GraphView, quads_into, to_rdflib
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


def current(start: date | None, end: date | None, day: date) -> bool:
    """True when the day lies in the period (an open start or end is unbounded)."""
    return (start is None or start <= day) and (end is None or day <= end)


def financial_year(day: date) -> str:
    """The UK public-sector financial year containing the day, written 2026-27."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{str(first + 1)[-2:]}"


__all__ = ["LINKS", "PARTS", "entailed_triples", "partnership_of"]  # the rules live in service.entailment


def entailments(graph: Graph | GraphView) -> Graph:
    """entailed_triples for an rdflib graph (or a view of a store), as an rdflib graph: for tests and
    for comparing with owlrl."""
    if isinstance(graph, GraphView):
        store = graph.store
    else:
        store = ox.Store()
        store.extend(quads_into(graph, ox.DefaultGraph()))  # type: ignore[arg-type]
    out = Graph()
    for t in entailed_triples(store):
        out.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return out


def derive(
    graph: Graph | GraphView,
    as_at: date,
    thresholds: Thresholds | None = None,
    run: URIRef | None = None,
    entailed: Graph | None = None,
) -> Graph:
    """The derived graph for a data graph (ontology, policies and data merged), as at a date: the
    entailments (computed here unless given) and the dated values. (A run calls `dated_values` on
    its working store directly.)"""
    if isinstance(graph, GraphView):
        store = graph.store
    else:
        store = ox.Store()
        store.extend(quads_into(graph, ox.DefaultGraph()))  # type: ignore[arg-type]
    entailed = entailments(graph) if entailed is None else entailed
    store.extend(quads_into(entailed, ox.DefaultGraph()))  # type: ignore[arg-type]
    out = Graph()
    out += entailed
    for q in dated_values(store, as_at, thresholds, run):
        out.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return out


_DATE_TYPES = (str(XSD.date), str(XSD.dateTime))


def _day(term: object) -> date | None:
    """The date of an xsd:date (or xsd:dateTime) literal, None for anything else."""
    if not isinstance(term, ox.Literal) or term.datatype.value not in _DATE_TYPES:
        return None
    try:
        return date.fromisoformat(term.value[:10])
    except ValueError:
        return None


class _Days(dict):
    """_day of each literal, remembered: a run reads the same few hundred dates hundreds of thousands
    of times (each meeting's date, each period's start)."""

    def __missing__(self, term: object) -> date | None:
        found = self[term] = _day(term)
        return found


def _rows(store: ox.Store, query: str) -> Iterator[ox.QuerySolution]:
    return store.query(sparql_prefixes() + query)  # type: ignore[return-value]


_TRUE = ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))
_FALSE = ox.Literal("false", datatype=ox.NamedNode(str(XSD.boolean)))
_INTEGER = ox.NamedNode(str(XSD.integer))
_DATE = ox.NamedNode(str(XSD.date))


def _bool(value: bool) -> ox.Literal:
    return _TRUE if value else _FALSE


class _Literals(dict):
    """Literals made once per run and shared by every quad that has them (making one costs as much
    as a dict lookup a hundred times over)."""

    def __missing__(self, value: int | date) -> ox.Literal:
        if isinstance(value, date):
            found = self[value] = ox.Literal(value.isoformat(), datatype=_DATE)
        else:
            found = self[value] = ox.Literal(str(value), datatype=_INTEGER)
        return found


def dated_values(
    store: ox.Store, as_at: date, thresholds: Thresholds | None = None, run: URIRef | None = None
) -> list[ox.Quad]:
    """The values that depend on the run's date and settings, for the data (with its entailments) in
    the store's default graph: what is current, what is recent, and each meeting's working days. Each
    kind of value is read with one SPARQL query, so the cost is the rows, not lookups per node."""
    thresholds = thresholds or Thresholds()
    counting = Counting(thresholds.day_counting)
    out: list[ox.Quad] = []
    append, quad = out.append, ox.Quad
    ns = {name: ox.NamedNode(str(PK[name])) for name in DATED}
    days, literals = _Days(), _Literals()

    if run is not None:
        subject = ox.NamedNode(str(run))
        append(quad(subject, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PK.ValidationRun))))
        append(quad(subject, ns["asAt"], literals[as_at]))

    # partnerships in force as at the date
    is_current = ns["isCurrent"]
    closed_status = str(CODE["status-closed"])
    seen: set[object] = set()
    for p, established, abolished, status in _rows(
        store,
        """SELECT ?p ?established ?abolished ?status WHERE { ?p a pk:Partnership .
        OPTIONAL { ?p pk:establishedOn ?established } OPTIONAL { ?p pk:abolishedOn ?abolished }
        OPTIONAL { ?p pk:partnershipStatus ?status } }""",
    ):
        if p in seen:
            continue
        seen.add(p)
        start, end = days[established], days[abolished]
        closed = status is not None and status.value == closed_status
        alive = not closed and (start is None or start <= as_at) and (end is None or as_at < end)
        append(quad(p, is_current, _bool(alive)))

    # appointments and memberships current as at the date
    seen = set()
    for m, start, end in _rows(
        store,
        """SELECT ?m ?start ?end WHERE { ?m org:memberDuring ?period .
        OPTIONAL { ?period time:hasBeginning/time:inXSDDate ?start }
        OPTIONAL { ?period time:hasEnd/time:inXSDDate ?end } }""",
    ):
        if m in seen:
            continue
        seen.add(m)
        append(quad(m, is_current, _bool(current(days[start], days[end], as_at))))

    # assessments, reviews and reports in the review period; commitments for the current year
    is_recent = ns["isRecent"]
    since = as_at - relativedelta(months=thresholds.review_months)
    for a, day in _rows(store, "SELECT ?a ?day WHERE { ?a pk:assessmentDate ?day }"):
        d = days[day]
        if d is not None:
            append(quad(a, is_recent, _bool(since < d <= as_at)))
    this_year = financial_year(as_at)
    for c, year in _rows(store, "SELECT ?c ?year WHERE { ?c pk:financialYear ?year }"):
        append(quad(c, is_recent, _bool(year.value == this_year)))

    _meeting_values(store, out, ns, days, literals, as_at, thresholds, counting)
    return out


DATED = (
    "asAt",
    "isCurrent",
    "isRecent",
    "latestAgendaDate",
    "agendaClearDays",
    "minutesDueDate",
    "minutesDays",
    "minutesOverdue",
    "councilOfficersAttending",
    "officerLimitExceeded",
)


def _meeting_values(  # noqa: PLR0913
    store: ox.Store,
    out: list[ox.Quad],
    ns: dict[str, ox.NamedNode],
    days: _Days,
    literals: _Literals,
    as_at: date,
    thresholds: Thresholds,
    counting: Counting,
) -> None:
    nations: dict[object, str] = {}
    for council, nation in _rows(store, "SELECT ?council ?nation WHERE { ?council pk:nation ?nation }"):
        code = NATION_CODES.get(URIRef(nation.value)) if isinstance(nation, ox.NamedNode) else None
        if code:
            nations.setdefault(council, code)
    councils: dict[object, list[object]] = defaultdict(list)  # each partnership's framework councils
    for p, publisher, successor in _rows(
        store,
        """SELECT ?p ?publisher ?successor WHERE { ?p pk:subjectToFramework ?scheme . ?scheme dcterms:publisher ?publisher .
        OPTIONAL { ?change org:originalOrganization ?publisher ; org:resultingOrganization ?successor } }""",
    ):
        found = councils[p]
        for council in (publisher, successor):
            if council is not None and council not in found:
                found.append(council)
    officers: dict[object, set[tuple[object, object]]] = defaultdict(set)
    for meeting, person, org in _rows(
        store,
        """SELECT ?meeting ?person ?org WHERE { ?attendance a pk:Attendance ; pk:atMeeting ?meeting ; pk:attendee ?person .
        ?person a pk:Officer . OPTIONAL { ?attendance pk:onBehalfOf ?org } }""",
    ):
        officers[meeting].add((person, org))
    append, quad = out.append, ox.Quad
    # the meeting values, in DATED's order
    latest_agenda, clear_days, due_date, minutes_days, overdue_, attending_, exceeded = (ns[n] for n in DATED[3:])
    notice, within, limit = thresholds.agenda_notice_days, thresholds.minutes_days, thresholds.officer_limit
    calendars: dict[str, Calendar] = {}
    seen: set[object] = set()
    for meeting, day, p, agenda, minutes in _rows(
        store,
        """SELECT ?meeting ?day ?p ?agenda ?minutes WHERE { ?meeting pk:meetingDate ?day .
        OPTIONAL { ?meeting pk:forPartnership ?p } OPTIONAL { ?meeting pk:agenda/dcterms:issued ?agenda }
        OPTIONAL { ?meeting pk:minutes/dcterms:issued ?minutes } }""",
    ):
        held = days[day]
        if held is None or meeting in seen:
            continue
        seen.add(meeting)
        framework_councils = councils.get(p, []) if p is not None else []
        nation = next((nations[c] for c in framework_councils if c in nations), "ENG")
        calendar = calendars.get(nation) or calendars.setdefault(nation, Calendar(nation, counting))
        append(quad(meeting, latest_agenda, literals[calendar.latest_before(held, notice)]))
        agenda_day = days[agenda]
        if agenda_day is not None:
            append(quad(meeting, clear_days, literals[calendar.clear_days_between(agenda_day, held)]))
        due = calendar.deadline_after(held, within)
        append(quad(meeting, due_date, literals[due]))
        minutes_day = days[minutes]
        if minutes_day is not None:
            append(quad(meeting, minutes_days, literals[calendar.days_after(held, minutes_day)]))
            overdue = minutes_day > due or minutes_day < held
        else:
            overdue = as_at > due
        append(quad(meeting, overdue_, _bool(overdue)))
        if meeting in officers:
            attending = {person for person, org in officers[meeting] if org in framework_councils}
            append(quad(meeting, attending_, literals[len(attending)]))
            append(quad(meeting, exceeded, _bool(len(attending) > limit)))
