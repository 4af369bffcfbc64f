"""Enriching bodies from open-data publishers' SPARQL endpoints (`partnerkg link`).

Each publisher is asked one question, through SPARQLWrapper, about the bodies we can name in its
terms, and what it answers goes into its own named graph (`graph/link/<publisher>`), replaced as a
whole when the publisher answers and left alone when it does not:

- **ons** (ONS geography, statistics.data.gov.uk): the area a council governs, by its GSS code:
  `<council> pk:governsArea <area>`, with the area's official name, entity code and whether it is live.
- **odc** (opendatacommunities.org): the council itself, found through `lg:governsGSS` (a GSS code names
  an area, not a council): `<council> skos:exactMatch <odc council>`, with its name.
- **wikidata**: bodies with a Companies House or charity number: `skos:exactMatch` to the item.

The link is `skos:exactMatch`, not `owl:sameAs`: OWL-RL's equality rules would copy every triple of
either side onto the other when `partnerkg reason` runs, and a council and a publisher's record of it
are close enough to match but not to merge. org-id.guide identifiers (GB-COH-..., GB-CHC-...) are made
from our own numbers into `graph/link/identifiers`.

Endpoints come only from the `link_endpoints` setting (the allowlist). Every request has a timeout
and is retried twice. Each graph records its provenance (endpoint, query, start and end) inside itself.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from ..namespaces import GRAPH, PK
from ..store import Store
from ..store.terms import quads_into
from .publish import iri_values

STATGEO = Namespace("http://statistics.data.gov.uk/def/statistical-geography#")
STATENT = Namespace("http://statistics.data.gov.uk/def/statistical-entity#")
FOI = Namespace("http://publishmydata.com/def/ontology/foi/")
AREA = "http://statistics.data.gov.uk/id/statistical-geography/"
LG = Namespace("http://opendatacommunities.org/def/local-government/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
COMPANY, CHARITY = "P2622", "P3057"
"""Wikidata's properties for a Companies House company number and a Charity Commission number."""

PUBLISHERS = ("ons", "odc", "wikidata")
RETRIES = 3
IDENTIFIERS_GRAPH = str(GRAPH["link/identifiers"])
CONFIRMED_GRAPH = str(GRAPH["link/confirmed"])


class LinkError(Exception):
    """A publisher that may not be asked (not on the allowlist), or an unknown one."""


@dataclass
class Outcome:
    """What one publisher gave: the links written, or why it failed (its earlier links kept)."""

    publisher: str
    endpoint: str
    graph: str
    links: int = 0
    triples: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class Candidate:
    """A possible match for a body without an identifier, for a person to confirm."""

    body: str
    name: str
    match: str
    label: str
    score: float


@dataclass
class Bodies:
    """What we know that the publishers can be asked about."""

    gss: dict[str, list[str]] = field(default_factory=dict)  # GSS code -> councils
    company: dict[str, list[str]] = field(default_factory=dict)
    charity: dict[str, list[str]] = field(default_factory=dict)
    unidentified: dict[str, str] = field(default_factory=dict)  # body -> name
    councils: set[str] = field(default_factory=set)  # which of the unidentified are councils


def bodies(store: Store) -> Bodies:
    """Our councils with GSS codes, bodies with company or charity numbers, and bodies with none."""
    found = Bodies()
    rows = store.query(
        f"""SELECT ?body ?kind ?code WHERE {{ GRAPH ?g {{ ?body ?kind ?code }}
        VALUES ?kind {{ <{PK.gssCode}> <{PK.companiesHouseNumber}> <{PK.charityNumber}> }} }}"""
    )
    target = {
        str(PK.gssCode): found.gss,
        str(PK.companiesHouseNumber): found.company,
        str(PK.charityNumber): found.charity,
    }
    for row in rows:
        target[row["kind"].value].setdefault(row["code"].value.strip(), []).append(row["body"].value)
    rows = store.query(
        f"""SELECT DISTINCT ?body ?name ?type WHERE {{ GRAPH ?g {{ ?body a ?type ; <{RDFS.label}> ?name }}
        VALUES ?type {{ <{PK.Council}> <http://www.w3.org/ns/org#FormalOrganization> }}
        FILTER NOT EXISTS {{ GRAPH ?h {{ ?body ?id ?value }}
            VALUES ?id {{ <{PK.gssCode}> <{PK.companiesHouseNumber}> <{PK.charityNumber}> <{SKOS.exactMatch}> }} }} }}"""
    )
    for row in rows:
        found.unidentified.setdefault(row["body"].value, row["name"].value)
        if row["type"].value == str(PK.Council):
            found.councils.add(row["body"].value)
    return found


def ask(endpoint: str, query: str, timeout: float, *, retries: int = RETRIES) -> list[dict[str, dict]]:
    """SELECT bindings from a SPARQL endpoint, with a timeout and retries (0.5 s, then 1 s, apart)."""
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    client = SPARQLWrapper(endpoint, agent="partnerkg-link/0.1")
    client.setQuery(query)
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setTimeout(int(max(1, timeout)))
    last: Exception | None = None
    for attempt in range(retries):
        try:
            return client.queryAndConvert()["results"]["bindings"]  # type: ignore[index,call-overload]
        except Exception as exc:  # noqa: BLE001 - any failure of the remote side is retried, then reported
            last = exc
            if attempt + 1 < retries:
                time.sleep(0.5 * (attempt + 1))
    raise ConnectionError(f"{type(last).__name__}: {last}")


def _literals(codes: list[str]) -> str:
    return " ".join(json.dumps(c) for c in codes)


def _ons(known: Bodies) -> tuple[str | None, Callable[[list[dict], Graph], int]]:
    if not known.gss:
        return None, lambda rows, g: 0
    query = f"""PREFIX statgeo: <{STATGEO}> PREFIX statent: <{STATENT}> PREFIX foi: <{FOI}>
SELECT ?area ?name ?entity ?active WHERE {{
  VALUES ?area {{ {iri_values([AREA + code for code in sorted(known.gss)])} }}
  ?area statgeo:officialname ?name .
  OPTIONAL {{ ?area statent:code ?entity }} OPTIONAL {{ ?area foi:active ?active }} }}"""

    def convert(rows: list[dict], g: Graph) -> int:
        links = 0
        for row in rows:
            area = URIRef(row["area"]["value"])
            code = str(area)[len(AREA) :]
            for council in known.gss.get(code, []):
                g.add((URIRef(council), PK.governsArea, area))
                links += 1
            g.add((area, STATGEO.officialname, Literal(row["name"]["value"])))
            g.add((area, SKOS.notation, Literal(code)))
            if "entity" in row:
                g.add((area, STATENT.code, URIRef(row["entity"]["value"])))
            if "active" in row:
                g.add((area, FOI.active, Literal(row["active"]["value"] in ("true", "1"), datatype=XSD.boolean)))
        return links

    return query, convert


def _odc(known: Bodies) -> tuple[str | None, Callable[[list[dict], Graph], int]]:
    if not known.gss:
        return None, lambda rows, g: 0
    query = f"""PREFIX lg: <{LG}> PREFIX rdfs: <{RDFS}>
SELECT ?council ?area ?label WHERE {{
  VALUES ?area {{ {iri_values([AREA + code for code in sorted(known.gss)])} }}
  ?council a lg:LocalAuthority ; lg:governsGSS ?area .
  OPTIONAL {{ ?council rdfs:label ?label }} }}"""

    def convert(rows: list[dict], g: Graph) -> int:
        links = 0
        for row in rows:
            theirs, area = URIRef(row["council"]["value"]), URIRef(row["area"]["value"])
            for council in known.gss.get(str(area)[len(AREA) :], []):
                g.add((URIRef(council), SKOS.exactMatch, theirs))
                links += 1
            g.add((theirs, RDF.type, LG.LocalAuthority))
            g.add((theirs, LG.governsGSS, area))
            if "label" in row:
                g.add((theirs, RDFS.label, _literal(row["label"])))
        return links

    return query, convert


def _wikidata(known: Bodies) -> tuple[str | None, Callable[[list[dict], Graph], int]]:
    if not known.company and not known.charity:
        return None, lambda rows, g: 0
    query = f"""PREFIX wdt: <{WDT}> PREFIX rdfs: <{RDFS}>
SELECT ?item ?kind ?number ?label WHERE {{
  {{ VALUES ?number {{ {_literals(sorted(known.company))} }} ?item wdt:{COMPANY} ?number . BIND ("company" AS ?kind) }}
  UNION
  {{ VALUES ?number {{ {_literals(sorted(known.charity))} }} ?item wdt:{CHARITY} ?number . BIND ("charity" AS ?kind) }}
  OPTIONAL {{ ?item rdfs:label ?label FILTER (LANG(?label) = "en") }} }}"""

    def convert(rows: list[dict], g: Graph) -> int:
        links = 0
        for row in rows:
            item, number = URIRef(row["item"]["value"]), row["number"]["value"]
            company = row["kind"]["value"] == "company"
            for body in (known.company if company else known.charity).get(number, []):
                g.add((URIRef(body), SKOS.exactMatch, item))
                links += 1
            g.add((item, WDT[COMPANY if company else CHARITY], Literal(number)))
            if "label" in row:
                g.add((item, RDFS.label, _literal(row["label"])))
        return links

    return query, convert


def _literal(binding: dict) -> Literal:
    if "xml:lang" in binding:
        return Literal(binding["value"], lang=binding["xml:lang"])
    return Literal(binding["value"])


QUESTIONS = {"ons": _ons, "odc": _odc, "wikidata": _wikidata}


def org_ids(known: Bodies) -> Graph:
    """org-id.guide identifiers made from our own numbers: GB-COH-<company>, GB-CHC-<charity>."""
    g = Graph()
    for numbers, scheme in ((known.company, "GB-COH"), (known.charity, "GB-CHC")):
        for number, owners in numbers.items():
            for body in owners:
                g.add((URIRef(body), PK.orgId, Literal(f"{scheme}-{number}")))
    return g


def link(
    store: Store,
    endpoints: dict[str, str],
    *,
    publishers: list[str] | None = None,
    timeout: float = 20.0,
) -> list[Outcome]:
    """Ask each chosen publisher (all configured ones by default) and replace its links graph with the
    answer; a publisher that fails keeps its earlier links and is reported in its Outcome."""
    chosen = publishers or [p for p in PUBLISHERS if p in endpoints]
    for name in chosen:
        if name not in QUESTIONS:
            raise LinkError(f"unknown publisher {name!r}: partnerkg knows {', '.join(PUBLISHERS)}")
        if name not in endpoints:
            raise LinkError(f"publisher {name!r} is not on the allowlist (PARTNERKG_LINK_ENDPOINTS)")
    known = bodies(store)
    identifiers = org_ids(known)
    target = ox.NamedNode(IDENTIFIERS_GRAPH)
    store.write_graphs(quads_into(identifiers, target), [target])
    outcomes = []
    for name in chosen:
        endpoint = endpoints[name]
        graph = str(GRAPH["link/" + name])
        outcome = Outcome(name, endpoint, graph)
        query, convert = QUESTIONS[name](known)
        if query is None:
            outcome.error = "nothing to ask: no body has the identifier this publisher is asked by"
            outcomes.append(outcome)
            continue
        started = datetime.now(UTC)
        try:
            rows = ask(endpoint, query, timeout)
        except ConnectionError as exc:
            outcome.error = str(exc)
            outcomes.append(outcome)
            continue
        found = Graph()
        outcome.links = convert(rows, found)
        _provenance(found, graph, endpoint, query, started)
        outcome.triples = len(found)
        named = ox.NamedNode(graph)
        store.write_graphs(quads_into(found, named), [named])
        outcomes.append(outcome)
    return outcomes


def _provenance(g: Graph, graph: str, endpoint: str, query: str, started: datetime) -> None:
    run = URIRef(graph + "#retrieval")
    g.add((URIRef(graph), PROV.wasGeneratedBy, run))
    g.add((run, RDF.type, PROV.Activity))
    g.add((run, PROV.used, URIRef(endpoint)))
    g.add((run, PK.query, Literal(query)))
    g.add((run, PROV.startedAtTime, Literal(started.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    ended = datetime.now(UTC).isoformat(timespec="seconds")
    g.add((run, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime)))


def _normal(name: str) -> str:
    words = re.sub(r"[^a-z0-9 ]+", " ", name.lower()).split()
    noise = {"council", "the", "of", "and", "borough", "district", "county", "city", "metropolitan"}
    return " ".join(w for w in words if w not in noise)


def candidates(
    store: Store, endpoints: dict[str, str], *, publisher: str = "odc", threshold: float = 0.75, timeout: float = 20.0
) -> list[Candidate]:
    """Possible matches by name, from one publisher, for councils without an identifier: the best three
    at or above the threshold for each, for a person to confirm. Nothing is written."""
    if publisher not in endpoints:
        raise LinkError(f"publisher {publisher!r} is not on the allowlist (PARTNERKG_LINK_ENDPOINTS)")
    if publisher != "odc":
        raise LinkError("candidates by name come from odc (the councils' own records)")
    known = bodies(store)
    if not known.unidentified:
        return []
    rows = ask(
        endpoints[publisher],
        f"PREFIX lg: <{LG}> PREFIX rdfs: <{RDFS}> SELECT ?council ?label WHERE {{ ?council a lg:LocalAuthority ; rdfs:label ?label }}",
        timeout,
    )
    theirs = [(r["council"]["value"], r["label"]["value"]) for r in rows]
    found = []
    for body, name in sorted(known.unidentified.items()):
        if body not in known.councils:  # opendatacommunities.org describes councils only
            continue
        ours = _normal(name)
        scored = sorted(
            ((difflib.SequenceMatcher(None, ours, _normal(label)).ratio(), iri, label) for iri, label in theirs),
            reverse=True,
        )
        for score, iri, label in scored[:3]:
            if score >= threshold:
                found.append(Candidate(body, name, iri, label, round(score, 3)))
    return found


def confirm(store: Store, body: str, match: str) -> None:
    """Record a match a person confirmed: `<body> skos:exactMatch <match>` in graph/link/confirmed."""
    graph = ox.NamedNode(CONFIRMED_GRAPH)
    quad = ox.Quad(ox.NamedNode(body), ox.NamedNode(str(SKOS.exactMatch)), ox.NamedNode(match), graph)
    store.write_graphs([quad], [graph], append=True)
