"""Pages for one partnership, one organisation and one person: the things policy staff ask about."""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template

from ..compliance.derive import Thresholds
from ..compliance.validate import stored_scorecard
from ..compliance.workdays import Calendar, Counting
from . import get_store
from .linked import local_path
from .pages import latest_run, select


def kind_of(iri: str) -> str | None:
    """Which page an IRI gets: partnership, organisation, person, or the generic resource page."""
    rows = select(
        f"""SELECT ?kind WHERE {{ {{ <{iri}> a pk:Partnership BIND ("partnership" AS ?kind) }}
        UNION {{ <{iri}> a ?t . VALUES ?t {{ pk:Council org:FormalOrganization }} BIND ("organisation" AS ?kind) }}
        UNION {{ <{iri}> a ?t . VALUES ?t {{ pk:Councillor pk:Officer }} BIND ("person" AS ?kind) }} }}""",
        "page kind",
    )
    kinds = {r["kind"] for r in rows}
    return next((k for k in ("partnership", "person", "organisation") if k in kinds), None)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def partnership_page(iri: str) -> str:
    """Purpose, bodies, members, people, meetings with their timeliness, decisions, resources,
    reviews and the compliance scorecard of the latest run."""
    settings = current_app.config["PARTNERKG"]
    # the partnership and its bodies listed first: written as a UNION inside each query, Oxigraph
    # joined every membership or appointment in the register with it (2.2 s a query at 10,000 partnerships)
    held = select(f"SELECT DISTINCT ?b WHERE {{ <{iri}> org:hasSubOrganization ?b }}", "partnership bodies")
    where = "VALUES ?where { " + " ".join(f"<{w}>" for w in [iri, *sorted(r["b"] for r in held)]) + " }"
    [about] = select(
        f"""SELECT ?name (SAMPLE(?c) AS ?comment) (SAMPLE(?st) AS ?status) (SAMPLE(?ad) AS ?admin)
        (SAMPLE(?adm) AS ?adminIri) (SAMPLE(?hp) AS ?homepage) (SAMPLE(?cp) AS ?councilPage) WHERE {{
        <{iri}> rdfs:label ?name . OPTIONAL {{ <{iri}> rdfs:comment ?c }}
        OPTIONAL {{ <{iri}> pk:partnershipStatus/skos:prefLabel ?st }}
        OPTIONAL {{ <{iri}> pk:administeredBy ?adm . ?adm rdfs:label ?ad }}
        OPTIONAL {{ <{iri}> foaf:homepage ?hp }} OPTIONAL {{ <{iri}> pk:councilWebPage ?cp }} }} GROUP BY ?name""",
        "partnership",
    )
    bodies = select(
        f"""SELECT ?body ?name ?kind ?restricted WHERE {{ <{iri}> org:hasSubOrganization ?body .
        ?body rdfs:label ?name . OPTIONAL {{ ?body pk:bodyKind/skos:prefLabel ?kind }}
        OPTIONAL {{ ?body pk:attendanceRestricted ?restricted }} }} ORDER BY ?name""",
        "bodies",
    )
    # the OPTIONALs come straight after what binds ?m (?a): after the other patterns, Oxigraph read every
    # membership's (appointment's) dates in the register and joined them (2.2-2.6 s a query at 10,000
    # partnerships, against 3 ms); the patterns after them share no variable with them but ?m (?a)
    members = select(
        f"""SELECT ?org ?name ?in ?role ?start ?end WHERE {{ {where}
        ?m a pk:PartnerMembership ; org:organization ?where .
        OPTIONAL {{ ?m org:memberDuring/time:hasBeginning/time:inXSDDate ?start }}
        OPTIONAL {{ ?m org:memberDuring/time:hasEnd/time:inXSDDate ?end }}
        ?m org:member ?org ; org:role/skos:prefLabel ?role . ?org rdfs:label ?name . ?where rdfs:label ?in . }}
        ORDER BY ?name ?in""",
        "members",
    )
    people = select(
        f"""SELECT ?person ?name ?role ?in ?behalf ?start ?end WHERE {{ {where}
        ?a a pk:Appointment ; org:organization ?where .
        OPTIONAL {{ ?a org:memberDuring/time:hasBeginning/time:inXSDDate ?start }}
        OPTIONAL {{ ?a org:memberDuring/time:hasEnd/time:inXSDDate ?end }}
        ?a org:member ?person ; org:role ?r . ?r skos:prefLabel ?role . ?person foaf:name ?name . ?where rdfs:label ?in .
        OPTIONAL {{ ?a pk:onBehalfOf/rdfs:label ?behalf }}
        FILTER NOT EXISTS {{ ?a org:role ?narrower . ?narrower skos:broader ?r }} }} ORDER BY ?end ?name ?role ?in""",
        "people",
    )
    meetings = select(
        f"""SELECT ?meeting ?held ?in ?public ?agenda ?minutes WHERE {{ {where}
        ?meeting pk:meetingOf ?where ; pk:meetingDate ?held . ?where rdfs:label ?in .
        OPTIONAL {{ ?meeting pk:heldInPublic ?public }} OPTIONAL {{ ?meeting pk:agenda/dcterms:issued ?agenda }}
        OPTIONAL {{ ?meeting pk:minutes/dcterms:issued ?minutes }} }} ORDER BY DESC(?held)""",
        "meetings",
    )
    calendar = Calendar("ENG", Counting(settings.day_counting))
    limits = Thresholds.from_settings(settings)
    for m in meetings:
        held = _day(m["held"])
        m["latest"] = calendar.latest_before(held, limits.agenda_notice_days).isoformat() if held else ""
        agenda, minutes = _day(m["agenda"]), _day(m["minutes"])
        m["agenda_days"] = calendar.clear_days_between(agenda, held) if agenda and held else None
        m["agenda_late"] = m["agenda_days"] is not None and m["agenda_days"] < limits.agenda_notice_days
        m["minutes_days"] = calendar.days_after(held, minutes) if minutes and held else None
        m["minutes_late"] = m["minutes_days"] is not None and m["minutes_days"] > limits.minutes_days
    decisions = select(
        f"""SELECT ?decision ?title ?held ?method ?outcome
        (SUM(IF(?v = code:vote-for, 1, 0)) AS ?for) (SUM(IF(?v = code:vote-against, 1, 0)) AS ?against) (SAMPLE(?cv) AS ?casting)
        WHERE {{ {where} ?meeting pk:meetingOf ?where ; pk:meetingDate ?held . ?decision pk:atMeeting ?meeting ; dcterms:title ?title .
        OPTIONAL {{ ?decision pk:decisionMethod/skos:prefLabel ?method }} OPTIONAL {{ ?decision pk:decisionOutcome/skos:prefLabel ?outcome }}
        OPTIONAL {{ ?decision pk:vote/pk:voteValue ?v }} OPTIONAL {{ ?decision pk:castingVote/pk:voteValue/skos:prefLabel ?cv }} }}
        GROUP BY ?decision ?title ?held ?method ?outcome ORDER BY DESC(?held)""",
        "decisions",
    )
    resources = select(
        f"""SELECT ?year ?by ?kind ?amount ?unit WHERE {{ ?c pk:committedTo <{iri}> ; pk:financialYear ?year ;
        pk:committedBy/rdfs:label ?by ; pk:resourceKind/skos:prefLabel ?kind ; pk:amount ?amount ; pk:unit ?unit }}
        ORDER BY DESC(?year) ?by""",
        "resources",
    )
    reviews = select(
        f"""SELECT ?what ?when ?obligation ?outcome WHERE {{ ?r pk:assesses <{iri}> ; a ?type ; pk:assessmentDate ?when .
        ?type rdfs:label ?what . FILTER (STRSTARTS(STR(?type), STR(pk:)))
        OPTIONAL {{ ?r pk:againstObligation/skos:notation ?obligation }} OPTIONAL {{ ?r pk:reviewOutcome/skos:prefLabel ?outcome }} }}
        ORDER BY DESC(?when)""",
        "reviews",
    )
    run = latest_run()
    findings, card = [], {}
    if run is not None:
        findings = select(
            f"""SELECT ?id ?severity ?message ?text ?clause ?document WHERE {{
            GRAPH <{run.report_graph}> {{ ?r pk:forPartnership <{iri}> ; dcterms:source ?o ; sh:resultSeverity ?severity ; sh:resultMessage ?message }}
            ?o skos:notation ?id ; skos:definition ?text ; pk:clause ?clause ; skos:inScheme/skos:prefLabel ?document }}
            ORDER BY ?severity ?id""",
            "partnership findings",
        )
        card = stored_scorecard(get_store(), run, iri).get(iri, {}).get("obligations", {})
    return render_template(
        "partnership.html",
        iri=iri,
        about=about,
        bodies=bodies,
        members=members,
        people=people,
        meetings=meetings,
        decisions=decisions,
        resources=resources,
        reviews=reviews,
        run=run,
        findings=findings,
        card=card,
        limits=limits,
        local=local_path,
    )


def organisation_page(iri: str) -> str:
    """Every partnership an organisation sits on, and with whom."""
    [about] = select(f"SELECT ?name WHERE {{ <{iri}> rdfs:label ?name }} LIMIT 1", "organisation") or [{"name": iri}]
    seats = select(
        f"""SELECT DISTINCT ?p ?partnership ?in ?role WHERE {{
        ?m org:member <{iri}> ; org:organization ?where ; org:role/skos:prefLabel ?role . ?where rdfs:label ?in .
        ?p a pk:Partnership ; rdfs:label ?partnership . FILTER (?where = ?p || EXISTS {{ ?p org:hasSubOrganization ?where }}) }}
        ORDER BY ?partnership""",
        "organisation seats",
    )
    others = select(
        f"""SELECT ?other ?name (COUNT(DISTINCT ?p) AS ?together) (GROUP_CONCAT(DISTINCT ?pname; separator="; ") AS ?where)
        WHERE {{ ?m1 org:member <{iri}> ; org:organization ?w1 . ?m2 org:member ?other ; org:organization ?w2 .
        ?p a pk:Partnership ; rdfs:label ?pname . FILTER (?w1 = ?p || EXISTS {{ ?p org:hasSubOrganization ?w1 }})
        FILTER (?w2 = ?p || EXISTS {{ ?p org:hasSubOrganization ?w2 }}) FILTER (?other != <{iri}>) ?other rdfs:label ?name }}
        GROUP BY ?other ?name ORDER BY DESC(?together) ?name""",
        "organisation partners",
    )
    people = select(
        f"""SELECT ?person ?name ?role ?to WHERE {{ ?a pk:onBehalfOf <{iri}> ; org:member ?person ;
        org:role ?r ; org:organization/rdfs:label ?to . ?r skos:prefLabel ?role . ?person foaf:name ?name
        FILTER NOT EXISTS {{ ?a org:role ?narrower . ?narrower skos:broader ?r }} }} ORDER BY ?name""",
        "organisation people",
    )
    identifiers = select(
        f"""SELECT ?scheme ?value WHERE {{ <{iri}> ?p ?value . ?p rdfs:subPropertyOf dcterms:identifier ;
        rdfs:label ?scheme }} ORDER BY ?scheme ?value""",
        "organisation identifiers",
    )
    links = select(
        f"""SELECT ?kind ?target (SAMPLE(?name) AS ?label) WHERE {{
        {{ <{iri}> skos:exactMatch ?target BIND ("the same body at" AS ?kind) OPTIONAL {{ ?target rdfs:label ?name }} }}
        UNION {{ <{iri}> pk:governsArea ?target BIND ("governs the area" AS ?kind)
            OPTIONAL {{ ?target <http://statistics.data.gov.uk/def/statistical-geography#officialname> ?name }} }}
        }} GROUP BY ?kind ?target ORDER BY ?kind ?target""",
        "organisation links",
    )
    return render_template(
        "organisation.html",
        iri=iri,
        about=about,
        seats=seats,
        others=others,
        people=people,
        identifiers=identifiers,
        links=links,
        local=local_path,
    )


def person_page(iri: str) -> str:
    """Every appointment of a person."""
    [about] = select(f"SELECT ?name WHERE {{ <{iri}> foaf:name ?name }} LIMIT 1", "person") or [{"name": iri}]
    appointments = select(
        f"""SELECT ?to ?toIri ?role ?behalf ?start ?end WHERE {{ ?a org:member <{iri}> ; a pk:Appointment ;
        org:organization ?toIri ; org:role ?r . ?r skos:prefLabel ?role . ?toIri rdfs:label ?to .
        FILTER NOT EXISTS {{ ?a org:role ?narrower . ?narrower skos:broader ?r }}
        OPTIONAL {{ ?a pk:onBehalfOf/rdfs:label ?behalf }}
        OPTIONAL {{ ?a org:memberDuring/time:hasBeginning/time:inXSDDate ?start }}
        OPTIONAL {{ ?a org:memberDuring/time:hasEnd/time:inXSDDate ?end }} }} ORDER BY ?start""",
        "person appointments",
    )
    return render_template("person.html", iri=iri, about=about, appointments=appointments, local=local_path)
