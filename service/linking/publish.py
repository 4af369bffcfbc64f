"""Publishing for open-data portals: a DCAT catalogue (DCAT-AP 3), a VoID description and dumps.

Only public graphs are described or dumped: `public_graphs` drops the internal ones (the
`internal_graphs` setting) and the store's own working graphs. Addresses are made from the root URL
the service is reached at, so a harvester can follow every one of them.

The catalogue has three datasets: the register (the data, its provenance and what follows from it),
the compliance record (validation runs) and the vocabulary (ontology, code lists, policies and
shapes). Each has one Turtle distribution per named graph; the register also has the full dump of
every public graph as gzipped N-Quads; the SPARQL endpoint is a dcat:DataService serving them all.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from pyoxigraph import RdfFormat, serialize
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, VOID, XSD

from ..namespaces import GRAPH, PK, PREFIXES, ROOT
from ..store import Store

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_FILE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANG = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_ACCESS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
IANA = "https://www.iana.org/assignments/media-types/"
OGL = URIRef("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
ENGLAND = URIRef("http://statistics.data.gov.uk/id/statistical-geography/E92000001")
DCAT_AP = Namespace("http://data.europa.eu/r5r/")
WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
ENGLAND_BBOX = "POLYGON((-6.42 49.86, 1.77 49.86, 1.77 55.81, -6.42 55.81, -6.42 49.86))"
DATASET_TYPE = URIRef("http://publications.europa.eu/resource/authority/dataset-type/KNOWLEDGE_GRAPH")
TEMPORAL = {
    "register": "?x <https://w3id.org/partnerkg/def#meetingDate> ?when",
    "compliance": "?x <http://www.w3.org/ns/prov#startedAtTime> ?when",
}
"""How each dataset's time span is found: the dates of its meetings, the times of its runs."""

WORKING = (str(GRAPH["staging"]), str(GRAPH["hanging"]))
"""Graphs of the store's own machinery, never published: the staging of writes, and the index that
one-partnership runs read (service.entailment)."""


@dataclass(frozen=True)
class Dataset:
    """One dataset of the catalogue: its slug, title, description and the graphs it holds."""

    slug: str
    title: str
    description: str
    keywords: tuple[str, ...]
    holds: Callable[[str], bool]


VOCABULARY_GRAPHS = {str(GRAPH["ontology"]), str(GRAPH["policies"]), str(GRAPH["shapes"])}
DATASETS = (
    Dataset(
        "register",
        "Partnership register",
        "The outside bodies and partnerships the councils work with: partner bodies, people and their "
        "appointments, meetings with their notices, agendas and minutes, attendance, decisions and votes, "
        "resources committed, reviews and assessments, with where each part came from.",
        ("partnerships", "outside bodies", "appointments", "meetings", "local government"),
        lambda g: g not in VOCABULARY_GRAPHS and not g.startswith((str(GRAPH["run"]), str(GRAPH["runs"]))),
    ),
    Dataset(
        "compliance",
        "Partnership compliance record",
        "Validation runs of the register against the councils' partnership principles and standards: "
        "each finding cites the obligation and the clause broken.",
        ("compliance", "governance", "transparency", "SHACL"),
        lambda g: g.startswith((str(GRAPH["run"]), str(GRAPH["runs"]))),
    ),
    Dataset(
        "vocabulary",
        "Partnership ontology, policies and shapes",
        "The OWL ontology and code lists the register is written in, the councils' partnership policies "
        "as 50 obligations, and the SHACL shapes that check them.",
        ("ontology", "SKOS", "SHACL", "policies"),
        lambda g: g in VOCABULARY_GRAPHS,
    ),
)


def public_graphs(store: Store, internal: Callable[[str], bool]) -> list[str]:
    """The named graphs that may be published."""
    return [g for g in store.graph_names() if not internal(g) and not g.startswith(WORKING)]


def dump_path(graph: str) -> str:
    """Where, under the service's root, a graph's Turtle dump is served."""
    if graph.startswith(str(GRAPH)):
        return "dumps/graph/" + graph[len(str(GRAPH)) :] + ".ttl"
    return "dumps/graph.ttl?iri=" + quote(graph, safe="")


def graph_of_dump(path: str) -> str:
    """The graph a `dumps/graph/<path>.ttl` address names."""
    return str(GRAPH) + path


def iri_values(iris: list[str]) -> str:
    """IRIs written for a SPARQL VALUES block."""
    return " ".join(f"<{i}>" for i in iris)


def written_at(store: Store, graphs: list[str], aggregate: str = "MAX") -> str | None:
    """When any of the graphs was written (MAX: the newest time, MIN: the oldest), from the provenance
    the store keeps."""
    if not graphs:
        return None
    rows = store.query(
        f"SELECT ({aggregate}(?t) AS ?when) WHERE {{ GRAPH ?s {{ ?g <http://www.w3.org/ns/prov#generatedAtTime> ?t }} "
        f"VALUES ?g {{ {iri_values(graphs)} }} }}"
    )
    for row in rows:
        if row["when"] is not None:
            return row["when"].value
    return None


def _temporal(g: Graph, store: Store, dataset: URIRef, pattern: str, graphs: list[str]) -> None:
    values = " ".join(f"<{x}>" for x in graphs)
    rows = store.query(
        f"SELECT (MIN(?when) AS ?start) (MAX(?when) AS ?end) WHERE {{ GRAPH ?g {{ {pattern} }} VALUES ?g {{ {values} }} }}"
    )
    for row in rows:
        if row["start"] is None:
            return
        period = URIRef(str(dataset) + "-period")
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        for key, predicate in (("start", DCAT.startDate), ("end", DCAT.endDate)):
            term = row[key]
            g.add((period, predicate, Literal(term.value, datatype=URIRef(term.datatype.value))))


def catalogue(
    store: Store,
    root: str,
    *,
    internal: Callable[[str], bool],
    publisher: str,
    contact_email: str,
    page: int = 1,
    page_size: int = 50,
) -> Graph:
    """The DCAT catalogue (one page of its datasets), with hydra paging for harvesters."""
    graphs = public_graphs(store, internal)
    g = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("hydra", HYDRA)):
        g.bind(prefix, namespace)
    catalog = URIRef(root + "catalog")
    now = Literal(datetime.now(UTC).date().isoformat(), datatype=XSD.date)
    agent = URIRef(root + "catalog#publisher")
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, Literal(publisher, lang="en")))
    authority = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
    g.add((agent, DCTERMS.type, authority))
    g.add((authority, RDF.type, SKOS.Concept))
    g.add((authority, SKOS.prefLabel, Literal("Local Authority", lang="en")))
    contact = URIRef(root + "catalog#contact")
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, VCARD.fn, Literal(publisher + " open data")))
    g.add((contact, VCARD.hasEmail, URIRef("mailto:" + contact_email)))
    licence = OGL
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((licence, RDFS.label, Literal("Open Government Licence v3.0", lang="en")))
    attribution = URIRef("http://purl.org/adms/licencetype/Attribution")
    g.add((licence, DCTERMS.type, attribution))
    g.add((attribution, RDF.type, SKOS.Concept))
    g.add((attribution, SKOS.prefLabel, Literal("Attribution", lang="en")))
    theme, themes = EU_THEME.GOVE, URIRef(str(EU_THEME)[:-1])
    g.add((theme, RDF.type, SKOS.Concept))
    g.add((theme, SKOS.prefLabel, Literal("Government and public sector", lang="en")))
    g.add((theme, SKOS.inScheme, themes))
    g.add((themes, RDF.type, SKOS.ConceptScheme))
    g.add((themes, DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((ENGLAND, RDF.type, DCTERMS.Location))
    g.add((ENGLAND, DCAT.bbox, Literal(ENGLAND_BBOX, datatype=WKT)))
    g.add((ENGLAND, DCAT.centroid, Literal("POINT(-1.47 52.56)", datatype=WKT)))
    stable = URIRef("http://publications.europa.eu/resource/authority/planned-availability/STABLE")
    g.add((stable, RDF.type, SKOS.Concept))
    g.add((stable, SKOS.prefLabel, Literal("stable", lang="en")))
    g.add((DATASET_TYPE, RDF.type, SKOS.Concept))
    g.add((DATASET_TYPE, SKOS.prefLabel, Literal("Knowledge graph", lang="en")))
    home = URIRef(root)
    g.add((home, RDF.type, FOAF.Document))
    english = EU_LANG.ENG
    g.add((english, RDF.type, DCTERMS.LinguisticSystem))
    public = EU_ACCESS.PUBLIC
    g.add((public, RDF.type, DCTERMS.RightsStatement))

    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal("partnerkg: partnership register and compliance", lang="en")))
    g.add(
        (
            catalog,
            DCTERMS.description,
            Literal(
                "Linked open data on the partnerships English councils work in, how they are governed, and "
                "how they meet the councils' own partnership rules.",
                lang="en",
            ),
        )
    )
    g.add((catalog, DCTERMS.publisher, agent))
    g.add((catalog, DCTERMS.license, licence))
    g.add((catalog, DCTERMS.language, english))
    g.add((catalog, DCTERMS.modified, now))
    first_written = written_at(store, graphs, "MIN")
    if first_written:
        g.add((catalog, DCTERMS.issued, Literal(first_written, datatype=XSD.dateTime)))
    g.add((catalog, FOAF.homepage, home))
    g.add((catalog, DCAT.themeTaxonomy, themes))
    g.add((catalog, DCTERMS.spatial, ENGLAND))

    service = URIRef(root + "catalog#sparql")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("partnerkg SPARQL 1.1 endpoint", lang="en")))
    g.add((service, DCAT.endpointURL, URIRef(root + "sparql")))
    g.add((service, DCAT.endpointDescription, URIRef(root + "sparql")))
    protocol = URIRef("https://www.w3.org/TR/sparql11-protocol/")
    g.add((service, DCTERMS.conformsTo, protocol))
    g.add((protocol, RDF.type, DCTERMS.Standard))
    g.add((service, DCTERMS.publisher, agent))
    g.add((service, DCAT.contactPoint, contact))
    g.add((service, DCAT.theme, theme))
    g.add((service, DCAT.keyword, Literal("SPARQL", lang="en")))
    g.add((service, DCTERMS.description, Literal("SPARQL 1.1 Protocol over the public graphs.", lang="en")))
    g.add((service, DCTERMS.license, licence))
    g.add((service, DCTERMS.accessRights, public))
    g.add((catalog, DCAT.service, service))

    members = [d for d in DATASETS if any(d.holds(x) for x in graphs)]
    first, last_page = (page - 1) * page_size, max(1, -(-len(members) // page_size))
    for dataset_info in members[first : first + page_size]:
        held = [x for x in graphs if dataset_info.holds(x)]
        dataset = URIRef(root + "catalog#" + dataset_info.slug)
        g.add((catalog, DCAT.dataset, dataset))
        g.add((service, DCAT.servesDataset, dataset))
        g.add((dataset, RDF.type, DCAT.Dataset))
        g.add((dataset, DCTERMS.title, Literal(dataset_info.title, lang="en")))
        g.add((dataset, DCTERMS.description, Literal(dataset_info.description, lang="en")))
        g.add((dataset, DCTERMS.identifier, Literal(root + "catalog#" + dataset_info.slug)))
        g.add((dataset, DCTERMS.publisher, agent))
        g.add((dataset, DCAT.contactPoint, contact))
        g.add((dataset, DCAT.theme, theme))
        g.add((dataset, DCTERMS.spatial, ENGLAND))
        g.add((dataset, DCTERMS.language, english))
        g.add((dataset, DCTERMS.accessRights, public))
        g.add((dataset, DCAT.landingPage, home))
        g.add((dataset, DCTERMS.type, DATASET_TYPE))
        span = TEMPORAL.get(dataset_info.slug)
        if span is not None:
            _temporal(g, store, dataset, span, held)
        for word in dataset_info.keywords:
            g.add((dataset, DCAT.keyword, Literal(word, lang="en")))
        changed = written_at(store, held)
        if changed:
            g.add((dataset, DCTERMS.modified, Literal(changed, datatype=XSD.dateTime)))
        if dataset_info.slug == "register":
            _distribution(
                g, dataset, root + "catalog#dump", root + "dumps/partnerkg.nq.gz", "Every public graph (N-Quads, gzip)",
                "application/n-quads", EU_FILE.RDF_N_QUADS, licence, compress="application/gzip",
            )  # fmt: skip
        served = URIRef(root + "catalog#" + dataset_info.slug + "-sparql")
        _distribution(g, dataset, str(served), root + "sparql", "SPARQL endpoint", None, EU_FILE.SPARQLQ, licence)
        g.add((served, DCAT.accessService, service))
        for name in held:
            local = dump_path(name)
            _distribution(
                g, dataset, root + "catalog#" + quote(local, safe="/"), root + local, f"Graph {name} (Turtle)",
                "text/turtle", EU_FILE.RDF_TURTLE, licence,
            )  # fmt: skip

    view = URIRef(root + f"catalog?page={page}")
    g.add((view, RDF.type, HYDRA.PagedCollection))
    g.add((view, RDF.type, HYDRA.PartialCollectionView))
    g.add((view, HYDRA.totalItems, Literal(len(members))))
    g.add((view, HYDRA.itemsPerPage, Literal(page_size)))
    g.add((view, HYDRA.firstPage, URIRef(root + "catalog?page=1")))
    g.add((view, HYDRA.first, URIRef(root + "catalog?page=1")))
    g.add((view, HYDRA.lastPage, URIRef(root + f"catalog?page={last_page}")))
    g.add((view, HYDRA.last, URIRef(root + f"catalog?page={last_page}")))
    if page < last_page:
        g.add((view, HYDRA.nextPage, URIRef(root + f"catalog?page={page + 1}")))
        g.add((view, HYDRA.next, URIRef(root + f"catalog?page={page + 1}")))
    if page > 1:
        g.add((view, HYDRA.previousPage, URIRef(root + f"catalog?page={page - 1}")))
        g.add((view, HYDRA.previous, URIRef(root + f"catalog?page={page - 1}")))
    return g


def _distribution(g, dataset, iri, url, title, media, file_type, licence, compress=None) -> None:
    node = URIRef(iri)
    g.add((dataset, DCAT.distribution, node))
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCTERMS.title, Literal(title, lang="en")))
    g.add((node, DCAT.accessURL, URIRef(url)))
    g.add((node, DCTERMS.license, licence))
    g.add((node, DCTERMS.description, Literal(title + ", under the Open Government Licence v3.0.", lang="en")))
    g.add(
        (
            node,
            DCAT_AP.availability,
            URIRef("http://publications.europa.eu/resource/authority/planned-availability/STABLE"),
        )
    )
    if file_type is not None:
        g.add((node, DCTERMS.format, file_type))
        g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
    if media is not None:
        g.add((node, DCAT.downloadURL, URIRef(url)))
        kind = URIRef(IANA + media)
        g.add((node, DCAT.mediaType, kind))
        g.add((kind, RDF.type, DCTERMS.MediaType))
    if compress is not None:
        packed = URIRef(IANA + compress)
        g.add((node, DCAT.compressFormat, packed))
        g.add((packed, RDF.type, DCTERMS.MediaType))


def void_description(store: Store, root: str, *, internal: Callable[[str], bool], base_iri: str) -> Graph:
    """A VoID description of the public data: size, classes, properties, links out, endpoint, dumps."""
    graphs = public_graphs(store, internal)
    g = Graph()
    g.bind("void", VOID)
    g.bind("dct", DCTERMS)
    dataset = URIRef(root + ".well-known/void#partnerkg")
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, DCTERMS.title, Literal("partnerkg partnership register", lang="en")))
    g.add((dataset, DCTERMS.license, OGL))
    g.add((dataset, VOID.sparqlEndpoint, URIRef(root + "sparql")))
    g.add((dataset, VOID.dataDump, URIRef(root + "dumps/partnerkg.nq.gz")))
    g.add((dataset, VOID.uriSpace, Literal(base_iri)))
    g.add((dataset, VOID.rootResource, URIRef(root + "catalog")))
    for namespace in ("pk", "org", "foaf", "dcterms", "prov", "time", "skos"):
        g.add((dataset, VOID.vocabulary, URIRef(PREFIXES[namespace])))
    if graphs:
        named = iri_values(graphs)
        stats = store.query(
            "SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties) "
            f"WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ {named} }} }}"
        )
        row = next(iter(stats))
        for key, predicate in (("triples", VOID.triples), ("subjects", VOID.distinctSubjects),
                               ("properties", VOID.properties)):  # fmt: skip
            g.add((dataset, predicate, Literal(int(row[key].value))))
        classes = store.query(
            "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?class } "
            f"VALUES ?g {{ {named} }} FILTER (STRSTARTS(STR(?class), '{PK}')) }} GROUP BY ?class ORDER BY ?class"
        )
        count = 0
        for row in classes:
            count += 1
            part = BNode()
            g.add((dataset, VOID.classPartition, part))
            g.add((part, VOID["class"], URIRef(row["class"].value)))
            g.add((part, VOID.entities, Literal(int(row["n"].value))))
        g.add((dataset, VOID.classes, Literal(count)))
        examples = store.query(
            f"SELECT DISTINCT ?p WHERE {{ GRAPH ?g {{ ?p a <{PK.Partnership}> }} VALUES ?g {{ {named} }} }} "
            "ORDER BY ?p LIMIT 3"
        )
        for row in examples:
            g.add((dataset, VOID.exampleResource, URIRef(row["p"].value)))
        links = store.query(
            "SELECT ?target ?predicate (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?predicate ?o } "
            f"VALUES ?g {{ {named} }} "
            "VALUES ?predicate { <http://www.w3.org/2004/02/skos/core#exactMatch> "
            f"<{PK.governsArea}> <http://www.w3.org/2002/07/owl#sameAs> }} "
            "BIND (REPLACE(STR(?o), '^(https?://[^/]+/).*$', '$1') AS ?target) } GROUP BY ?target ?predicate"
        )
        for row in links:
            linkset = URIRef(root + ".well-known/void#links-" + quote(row["target"].value, safe="") + "-"
                             + row["predicate"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1])  # fmt: skip
            other = URIRef(row["target"].value)
            g.add((linkset, RDF.type, VOID.Linkset))
            g.add((linkset, VOID.subjectsTarget, dataset))
            g.add((linkset, VOID.objectsTarget, other))
            g.add((linkset, VOID.linkPredicate, URIRef(row["predicate"].value)))
            g.add((linkset, VOID.triples, Literal(int(row["n"].value))))
            g.add((other, RDF.type, VOID.Dataset))
            g.add((dataset, VOID.subset, linkset))
    return g


def write_dump(store: Store, out: Path, *, internal: Callable[[str], bool]) -> int:
    """Every public graph as gzipped N-Quads, written beside `out` and moved into place; the quad count."""
    tmp = out.with_name(out.name + ".part")
    count = 0
    with gzip.open(tmp, "wb") as handle:
        for name in public_graphs(store, internal):
            quads = list(store.graph_quads(name))
            count += len(quads)
            serialize(quads, handle, RdfFormat.N_QUADS)
    tmp.replace(out)
    return count


__all__ = ["DATASETS", "ROOT", "catalogue", "dump_path", "public_graphs", "void_description", "write_dump"]
