"""Every namespace partnerkg uses, and the prefix table: the only place an IRI base is spelled.

This module imports nothing of ours. The data base IRI here is the default; the settings module
can override it for a deployment (PARTNERKG_BASE_IRI).
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD, DefinedNamespace

ROOT = "https://w3id.org/partnerkg/"
ONTOLOGY_IRI = URIRef(ROOT + "def")

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
VANN = Namespace("http://purl.org/vocab/vann/")
SH = Namespace("http://www.w3.org/ns/shacl#")

CODE = Namespace(ROOT + "code/")
"""Code-list concepts (roles, sectors, nations, ...), defined in ontology/codes.ttl."""
POLICY = Namespace(ROOT + "policy/")
"""Policy documents (one skos:ConceptScheme per seed document)."""
OBLIGATION = Namespace(ROOT + "obligation/")
"""Obligations, one per row of the obligations table, named by their stable id (CAM-4c)."""
CRITERION = Namespace(ROOT + "criterion/")
"""Joining criteria of the city council's Principle 1."""
GRAPH = Namespace(ROOT + "graph/")
"""Named graphs of the store: ontology, policies, shapes, and one per loaded source."""
ID = Namespace(ROOT + "id/")
"""Default base of the data's own resources (partnerships, bodies, people, meetings...)."""


class PK(DefinedNamespace):
    """The partnerkg ontology (ontology/partnership.ttl). A misspelt term raises AttributeError."""

    _NS = Namespace(ROOT + "def#")
    _fail = True

    Agenda: URIRef
    AgreedAction: URIRef
    Appointment: URIRef
    AppointmentRole: URIRef
    Appraisal: URIRef
    Assessment: URIRef
    Attendance: URIRef
    Briefing: URIRef
    ComplaintsProcedure: URIRef
    Council: URIRef
    CouncilDecision: URIRef
    Councillor: URIRef
    Decision: URIRef
    GovernanceArrangement: URIRef
    HealthCheck: URIRef
    JoiningCriterion: URIRef
    Justification: URIRef
    Meeting: URIRef
    MeetingDocument: URIRef
    MeetingReport: URIRef
    Minutes: URIRef
    NonDeliveryNotice: URIRef
    Objective: URIRef
    Obligation: URIRef
    Officer: URIRef
    PartnerMembership: URIRef
    Partnership: URIRef
    PartnershipBody: URIRef
    PartnershipOutcome: URIRef
    PerformanceManagementArrangement: URIRef
    PolicyDocument: URIRef
    PublicEngagementArrangement: URIRef
    PublicNotice: URIRef
    RegistrationOfInterest: URIRef
    Reorganisation: URIRef
    ResourceCommitment: URIRef
    ResourceReview: URIRef
    Review: URIRef
    RiskManagementArrangement: URIRef
    ScrutinyCommittee: URIRef
    ScrutinyReport: URIRef
    SeatAllocation: URIRef
    StrategicObjective: URIRef
    Target: URIRef
    TermsOfReference: URIRef
    ValidationRun: URIRef
    ValueAssessment: URIRef
    Vote: URIRef

    # properties
    abolishedOn: URIRef
    aboutAction: URIRef
    actionOf: URIRef
    actionStatus: URIRef
    administeredBy: URIRef
    affectsPartnership: URIRef
    againstObligation: URIRef
    agenda: URIRef
    agendaClearDays: URIRef
    allocatedTo: URIRef
    amount: URIRef
    appliesTo: URIRef
    asAt: URIRef
    assessedBy: URIRef
    assesses: URIRef
    assessmentDate: URIRef
    atMeeting: URIRef
    attendanceRestricted: URIRef
    attendee: URIRef
    authorityType: URIRef
    bodyKind: URIRef
    briefed: URIRef
    briefingDate: URIRef
    briefingFor: URIRef
    briefingTopic: URIRef
    capacity: URIRef
    castBy: URIRef
    castByPerson: URIRef
    castingVote: URIRef
    charityNumber: URIRef
    checkKind: URIRef
    clause: URIRef
    committedBy: URIRef
    committedTo: URIRef
    companiesHouseNumber: URIRef
    confirmedBy: URIRef
    contactPublishedAt: URIRef
    councilOfficersAttending: URIRef
    councilWebPage: URIRef
    councillorOf: URIRef
    criterion: URIRef
    dataDigest: URIRef
    dataVersion: URIRef
    decidedBy: URIRef
    decisionDate: URIRef
    decisionMethod: URIRef
    decisionOutcome: URIRef
    delegatedAuthority: URIRef
    dueDate: URIRef
    establishedOn: URIRef
    evidence: URIRef
    financialYear: URIRef
    forPartnership: URIRef
    governsArea: URIRef
    gssCode: URIRef
    hangsFrom: URIRef
    hasGovernanceArrangement: URIRef
    hasObjective: URIRef
    hasOutcome: URIRef
    hasTarget: URIRef
    heldFrom: URIRef
    heldInPublic: URIRef
    heldWith: URIRef
    infoCount: URIRef
    invitedForItem: URIRef
    isBudgetDecision: URIRef
    isCurrent: URIRef
    isRecent: URIRef
    justifies: URIRef
    latestAgendaDate: URIRef
    meetingDate: URIRef
    meetingOf: URIRef
    minutes: URIRef
    minutesDays: URIRef
    minutesDueDate: URIRef
    minutesOverdue: URIRef
    modality: URIRef
    nation: URIRef
    noticeDate: URIRef
    objectiveOf: URIRef
    obligationTally: URIRef
    officerLimitExceeded: URIRef
    officerOf: URIRef
    omittedFrom: URIRef
    onBehalfOf: URIRef
    orgId: URIRef
    ownedBy: URIRef
    partOfPartnership: URIRef
    partnershipImpact: URIRef
    partnershipScorecard: URIRef
    partnershipStatus: URIRef
    politicalGroup: URIRef
    portfolioPlan: URIRef
    publicNotice: URIRef
    publishedAt: URIRef
    query: URIRef
    registeredBy: URIRef
    registeredWith: URIRef
    remit: URIRef
    report: URIRef
    reportDigest: URIRef
    reportGraph: URIRef
    reportedTo: URIRef
    requiresCouncilConfirmation: URIRef
    resourceKind: URIRef
    reviewOutcome: URIRef
    reviewedCommitment: URIRef
    scope: URIRef
    scorecard: URIRef
    scrutinises: URIRef
    seatCount: URIRef
    seatsOn: URIRef
    sector: URIRef
    servesObjective: URIRef
    shapesDigest: URIRef
    sourceFile: URIRef
    statedBy: URIRef
    subjectToFramework: URIRef
    summarises: URIRef
    targetDate: URIRef
    unit: URIRef
    valueRating: URIRef
    violationCount: URIRef
    vote: URIRef
    voteValue: URIRef
    warningCount: URIRef


PREFIXES: dict[str, str] = {
    "pk": str(PK._NS),
    "code": str(CODE),
    "policy": str(POLICY),
    "obligation": str(OBLIGATION),
    "criterion": str(CRITERION),
    "id": str(ID),
    "org": str(ORG),
    "foaf": str(FOAF),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "skos": str(SKOS),
    "time": str(TIME),
    "schema": str(SCHEMA),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
}
"""Prefixes bound in every serialisation and offered to every query."""


def sparql_prefixes() -> str:
    """The PREFIXES table as a SPARQL prologue."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
