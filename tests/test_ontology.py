"""The ontology: parses, documents every term, reuses the W3C vocabularies, and agrees with the
sample data and the Python namespace."""

from __future__ import annotations

from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef

from service.namespaces import CODE, ONTOLOGY_IRI, PK
from service.reasoning import closure, inconsistencies

BASE = str(PK._NS)
ORG = Namespace("http://www.w3.org/ns/org#")
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)


def own_terms(ontology: Graph) -> set[URIRef]:
    return {s for k in KINDS for s in ontology.subjects(RDF.type, k) if str(s).startswith(BASE)}


def test_ontology_is_declared_with_a_stable_namespace(ontology):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert "example." not in str(ONTOLOGY_IRI)
    for prop in (URIRef("http://purl.org/dc/terms/title"), OWL.versionInfo, URIRef("http://purl.org/dc/terms/license")):
        assert ontology.value(ONTOLOGY_IRI, prop) is not None, prop


def test_every_term_has_label_comment_and_is_defined_by(ontology):
    terms = own_terms(ontology)
    assert len(terms) > 100
    missing = [
        (str(t), p)
        for t in terms
        for p in ("label", "comment", "isDefinedBy")
        if ontology.value(t, getattr(RDFS, p)) is None
    ]
    assert missing == []


def test_ontology_specialises_the_w3c_vocabularies(ontology):
    parents = {str(o) for o in ontology.objects(None, RDFS.subClassOf)} | {
        str(o) for o in ontology.objects(None, RDFS.subPropertyOf)
    }
    for vocab in (
        "http://www.w3.org/ns/org#",
        "http://www.w3.org/ns/prov#",
        "http://xmlns.com/foaf/0.1/",
        "http://purl.org/dc/terms/",
        "http://www.w3.org/2004/02/skos/core#",
        "https://schema.org/",
    ):
        assert any(p.startswith(vocab) for p in parents), vocab
    assert (PK.Partnership, RDFS.subClassOf, ORG.OrganizationalCollaboration) in ontology
    assert (PK.Appointment, RDFS.subClassOf, ORG.Membership) in ontology
    assert (PK.Reorganisation, RDFS.subClassOf, ORG.ChangeEvent) in ontology


def test_python_namespace_matches_the_ontology(ontology):
    declared = {str(PK[name]) for name in PK.__annotations__}
    assert declared == {str(t) for t in own_terms(ontology)}


def test_sample_uses_only_terms_and_codes_that_exist(ontology, sample):
    used = (
        set(sample.predicates())
        | set(sample.objects(None, RDF.type))
        | {o for o in sample.objects() if isinstance(o, URIRef)}
    )
    unknown_terms = sorted(str(u) for u in used if str(u).startswith(BASE) and u not in own_terms(ontology))
    codes = set(ontology.subjects(RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")))
    unknown_codes = sorted(str(u) for u in used if str(u).startswith(str(CODE)) and u not in codes)
    assert unknown_terms == [] and unknown_codes == []


def test_owl_rl_closure_of_ontology_and_sample_is_consistent(ontology, sample):
    closed = closure(ontology + sample)
    assert inconsistencies(closed) == []
    # the closure did real work: a partnership is an organisation through ORG
    assert (
        URIRef("https://w3id.org/partnerkg/id/partnership/cambridgeshire-together"),
        RDF.type,
        ORG.Organization,
    ) in closed


def test_consistency_check_catches_a_disjointness_clash(ontology):
    clash = Graph().parse(
        data="""@prefix pk: <https://w3id.org/partnerkg/def#> .
        <urn:x:thing> a pk:Meeting ; pk:committedBy <urn:x:org> .
        <urn:x:person> a pk:Councillor , pk:Officer .""",
        format="turtle",
    )
    found = inconsistencies(closure(ontology + clash))
    # pk:committedBy's domain makes the meeting a resource commitment too: disjoint
    assert any("urn:x:thing" in f for f in found)
    assert any("urn:x:person" in f for f in found)


def test_ontology_document_is_current(ontology):
    from service.ontology_doc import render

    committed = (Path(__file__).parents[1] / "docs" / "ontology.md").read_text(encoding="utf-8")
    assert committed == render(ontology), "docs/ontology.md is stale: run python -m service.ontology_doc"


def test_owlrl_closure_contains_what_the_fast_path_materialises(ontology, sample):
    """owlrl is the reference. What the fast path adds and owlrl cannot (OWL 2 RL has no
    reflexivity, so 'a partnership's own meeting is the partnership's'; appointment roles widen
    through SKOS, which is data, not OWL; org:memberOf is ORG's short cut for a membership, which
    the ORG ontology states in prose, not as an axiom) is named here; anything else missing is a bug."""
    from rdflib import URIRef
    from rdflib.namespace import SKOS

    from service.compliance.derive import LINKS as direct
    from service.compliance.derive import PARTS as owned
    from service.compliance.derive import entailments

    data = ontology + sample
    fast = entailments(data)
    closed = closure(data)

    def explained(s, p, o) -> bool:
        if p == PK.forPartnership:
            return (
                s == o
                or any((s, link, o) in data for link in direct)
                or any((o, link, s) in data for link in owned)
                or (s, RDF.type, PK.SeatAllocation) in data
                or any(explained(m, p, o) for m in data.objects(s, PK.atMeeting))
            )
        if p == ORG.memberOf:
            return any((m, ORG.organization, o) in data for m in data.subjects(ORG.member, s))
        if p == ORG.role:
            return any(
                (s, ORG.role, narrower) in data and (narrower, SKOS.broader, o) in data
                for narrower in data.subjects(SKOS.broader, o)
            )
        return False

    body_level = [t for t in fast if t[1] == PK.forPartnership and t not in closed and not explained(*t)]
    assert [t for t in fast if t not in closed and not explained(*t)] == [], body_level[:3]
    # and the body-level facts do come from OWL: a CLB meeting belongs to the CSP
    clb_meeting = URIRef("https://w3id.org/partnerkg/id/meeting/csp-clb-2023-06-15")
    csp = URIRef("https://w3id.org/partnerkg/id/partnership/cumbria-strategic-partnership")
    assert (clb_meeting, PK.forPartnership, csp) in closed
