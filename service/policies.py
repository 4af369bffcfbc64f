"""Policies as data: the seed documents as SKOS concept schemes and each obligation as a concept.

`build_policies(csv_path)` turns the obligations table (../shared/policies/obligations.csv) into a
graph; `python -m service.policies CSV OUT` writes it to data/policies/obligations.ttl, which is
committed, loaded into the store's policies graph, and held equal to the CSV by a test.
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from .namespaces import CODE, CRITERION, ID, OBLIGATION, PK, POLICY, PREFIXES

REQUIRED_COLUMNS = ("id", "seed", "clause", "obligation", "modality", "applies_to", "check", "evidence_in_data")


@dataclass(frozen=True)
class PolicyDoc:
    """One seed document."""

    slug: str
    seed: str
    title: str
    description: str
    publisher: str
    issued: str | None = None
    summarises: str | None = None


DOCUMENTS: tuple[PolicyDoc, ...] = (
    PolicyDoc(
        "cumbria-constitution-5e",
        "000_dbd6f5a58cba3afa.txt",
        "Cumbria County Council Constitution, Part 5E: The County Council and Partnership Working",
        "Five principles of partnership working (Leadership, Trust, Learning, Managing for Performance, "
        "Equality) and four standards for excellence.",
        "cumbria-county-council",
    ),
    PolicyDoc(
        "csp-principles",
        "001_2f418ce44a72d49d.txt",
        "Cumbria Strategic Partnership: Principles of Partnership Working",
        "What the CSP asks of partners and of their representatives, who may attend the meetings of CLB, "
        "CCEG, JCG and the Forum, and how decisions are made.",
        "cumbria-strategic-partnership",
    ),
    PolicyDoc(
        "standards-of-excellence",
        "002_f4eb7ece896af63c.txt",
        "Standards of Excellence in Partnership Working",
        "A county council's six standards of excellence in partnership working, each with the actions "
        "that show it is met.",
        "cumbria-county-council",
    ),
    PolicyDoc(
        "cambridge-principles",
        "003_55d4cc1fe37fef8c.txt",
        "Cambridge City Council: The Council's Principles for Partnership Working",
        "When the council joins a partnership (Principle 1), governance (2), accountability (3), "
        "openness (4), resources (5) and joint scrutiny (7). Updated following the Strategy and "
        "Resources Scrutiny Committee on 11 October 2010; the committee-approved text.",
        "cambridge-city-council",
        issued="2010-10-11",
    ),
    PolicyDoc(
        "cambridge-web-guide",
        "004_ddb7e5b057c21723.txt",
        "Cambridge City Council: Guide to partnership working (web page)",
        "The council's web page summarising its Principles for Partnership Working. It lists five "
        "joining criteria and omits criterion (d), levering in additional funding; the committee-approved "
        "Principles are the authority.",
        "cambridge-city-council",
        summarises="cambridge-principles",
    ),
)

# Principle 1's joining criteria: (letter, wording, listed in the web guide 004?)
JOINING_CRITERIA: tuple[tuple[str, str, bool], ...] = (
    ("a", "It helps us achieve our Vision Statements", True),
    ("b", "It helps deliver the Sustainable Community Strategy", True),
    ("c", "We have a legal duty to do so", True),
    ("d", "It can help us lever in additional funding", False),
    ("e", "It saves us money", True),
    ("f", "It reduces risk (e.g. to the Council's reputation)", True),
)

MODALITY = {"must": CODE["modality-must"], "should": CODE["modality-should"], "info": CODE["modality-info"]}
CHECK_KIND = {"data": CODE["check-data"], "assessment": CODE["check-assessment"]}
ID_PATTERN = re.compile(r"^[A-Z]{2,4}-[A-Z0-9]+[a-z]?$")


class PolicyTableError(ValueError):
    """The obligations table is malformed; the message names the file, row and field."""


def document_iri(slug: str) -> URIRef:
    """The IRI of a policy document (its concept scheme)."""
    return POLICY[slug]


def obligation_iri(obligation_id: str) -> URIRef:
    """The IRI of an obligation, named by its stable id."""
    return OBLIGATION[obligation_id]


def read_obligations(csv_path: Path) -> list[dict[str, str]]:
    """The rows of the obligations table, checked: every column present and every code known."""
    seeds = {d.seed for d in DOCUMENTS}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise PolicyTableError(f"{csv_path}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        where = f"{csv_path}, row {number}"
        if not ID_PATTERN.match(row["id"]):
            raise PolicyTableError(f"{where}, field id: {row['id']!r} is not an obligation id")
        if row["id"] in seen:
            raise PolicyTableError(f"{where}, field id: duplicate id {row['id']!r}")
        seen.add(row["id"])
        for field, allowed in (("modality", MODALITY), ("check", CHECK_KIND), ("seed", seeds)):
            if row[field] not in allowed:
                raise PolicyTableError(f"{where}, field {field}: unknown value {row[field]!r}")
    return rows


def build_policies(csv_path: Path) -> Graph:
    """The policies graph: documents as concept schemes, obligations and joining criteria as concepts."""
    rows = read_obligations(csv_path)
    graph = Graph()
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri)
    by_seed = {}
    for doc in DOCUMENTS:
        scheme = document_iri(doc.slug)
        by_seed[doc.seed] = scheme
        graph.add((scheme, RDF.type, PK.PolicyDocument))
        graph.add((scheme, RDF.type, SKOS.ConceptScheme))
        graph.add((scheme, RDF.type, FOAF.Document))
        graph.add((scheme, DCTERMS.title, Literal(doc.title, lang="en")))
        graph.add((scheme, SKOS.prefLabel, Literal(doc.title, lang="en")))
        graph.add((scheme, DCTERMS.description, Literal(doc.description, lang="en")))
        graph.add((scheme, DCTERMS.publisher, ID["organisation/" + doc.publisher]))
        graph.add((scheme, PK.sourceFile, Literal(doc.seed)))
        if doc.issued:
            graph.add((scheme, DCTERMS.issued, Literal(doc.issued, datatype=XSD.date)))
        if doc.summarises:
            graph.add((scheme, PK.summarises, document_iri(doc.summarises)))
    for row in rows:
        concept = obligation_iri(row["id"])
        scheme = by_seed[row["seed"]]
        graph.add((concept, RDF.type, PK.Obligation))
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.notation, Literal(row["id"])))
        graph.add((concept, SKOS.prefLabel, Literal(f"{row['id']}: {row['clause']}", lang="en")))
        graph.add((concept, SKOS.definition, Literal(row["obligation"], lang="en")))
        graph.add((concept, SKOS.inScheme, scheme))
        graph.add((concept, SKOS.topConceptOf, scheme))
        graph.add((scheme, SKOS.hasTopConcept, concept))
        graph.add((concept, DCTERMS.source, scheme))
        graph.add((concept, PK.clause, Literal(row["clause"])))
        graph.add((concept, PK.modality, MODALITY[row["modality"]]))
        graph.add((concept, PK.checkKind, CHECK_KIND[row["check"]]))
        graph.add((concept, PK.appliesTo, Literal(row["applies_to"])))
        graph.add((concept, PK.evidence, Literal(row["evidence_in_data"], lang="en")))
    _add_joining_criteria(graph)
    return graph


def _add_joining_criteria(graph: Graph) -> None:
    """Principle 1's criteria, narrower than CAM-1; the web guide's omission of (d) is stated."""
    principles = document_iri("cambridge-principles")
    guide = document_iri("cambridge-web-guide")
    parent = obligation_iri("CAM-1")
    for letter, wording, in_guide in JOINING_CRITERIA:
        criterion = CRITERION["CAM-1" + letter]
        graph.add((criterion, RDF.type, PK.JoiningCriterion))
        graph.add((criterion, RDF.type, SKOS.Concept))
        graph.add((criterion, SKOS.notation, Literal(f"CAM-1({letter})")))
        graph.add((criterion, SKOS.prefLabel, Literal(f"Principle 1 ({letter}): {wording}", lang="en")))
        graph.add((criterion, SKOS.broader, parent))
        graph.add((criterion, SKOS.inScheme, principles))
        graph.add((criterion, DCTERMS.source, principles))
        if in_guide:
            graph.add((criterion, SKOS.inScheme, guide))
        else:
            graph.add((criterion, PK.omittedFrom, guide))
            graph.add(
                (
                    criterion,
                    SKOS.editorialNote,
                    Literal(
                        "Listed in the committee-approved Principles (003) but omitted from the council's web "
                        "guide (004). The Principles are the authority: a justification on this criterion is valid.",
                        lang="en",
                    ),
                )
            )
    graph.add(
        (
            guide,
            RDFS.comment,
            Literal("Differs from the Principles it summarises: joining criterion (d) is missing.", lang="en"),
        )
    )


def main(argv: list[str]) -> int:
    """Write the policies graph as Turtle: python -m service.policies CSV OUT."""
    if len(argv) != 2:
        print("usage: python -m service.policies OBLIGATIONS.csv OUT.ttl", file=sys.stderr)
        return 2
    graph = build_policies(Path(argv[0]))
    header = (
        "# Generated by `python -m service.policies` from the obligations table "
        "(shared/policies/obligations.csv).\n# Do not edit by hand: change the table or the generator, "
        "then regenerate.\n"
    )
    Path(argv[1]).write_text(header + graph.serialize(format="turtle"), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
