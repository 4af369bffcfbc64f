"""A synthetic partnership register in N-Triples, shaped like the sample (about 330 triples a
partnership), for measuring stores. Deterministic for a seed. The full generator with injected
breaches and ground truth belongs to the scale issue; this one only has to be the right size and shape."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

ID = "https://w3id.org/partnerkg/id/"
PK = "https://w3id.org/partnerkg/def#"
ORG = "http://www.w3.org/ns/org#"
TIME = "http://www.w3.org/2006/time#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _iri(x: str) -> str:
    return f"<{x}>"


def _date(d: date) -> str:
    return f'"{d.isoformat()}"^^<{XSD}date>'


def write_register(path: Path, partnerships: int, seed: int = 1) -> int:
    """Write the register; return the number of triples."""
    rng = random.Random(seed)
    councils = max(1, partnerships // 25)
    bodies = max(10, partnerships // 2)
    lines: list[str] = []
    count = 0

    def t(s: str, p: str, o: str) -> None:
        nonlocal count
        lines.append(f"{s} {_iri(p)} {o} .\n")
        count += 1

    for c in range(councils):
        s = _iri(f"{ID}organisation/council-{c}")
        t(s, RDF_TYPE, _iri(PK + "Council"))
        t(s, LABEL, f'"Council {c}"')
    for b in range(bodies):
        s = _iri(f"{ID}organisation/body-{b}")
        t(s, RDF_TYPE, _iri(ORG + "FormalOrganization"))
        t(s, LABEL, f'"Body {b}"')
    with open(path, "w", encoding="utf-8") as out:
        for p in range(partnerships):
            ps = _iri(f"{ID}partnership/p{p}")
            council = _iri(f"{ID}organisation/council-{p % councils}")
            t(ps, RDF_TYPE, _iri(PK + "Partnership"))
            t(ps, LABEL, f'"Partnership {p}"')
            t(ps, PK + "administeredBy", council)
            t(ps, PK + "partnershipStatus", _iri("https://w3id.org/partnerkg/code/status-active"))
            for m in range(6):
                ms = _iri(f"{ID}membership/p{p}-{m}")
                member = council if m == 0 else _iri(f"{ID}organisation/body-{rng.randrange(bodies)}")
                start = date(2015, 1, 1) + timedelta(days=rng.randrange(3000))
                t(ms, RDF_TYPE, _iri(PK + "PartnerMembership"))
                t(ms, ORG + "member", member)
                t(ms, ORG + "organization", ps)
                t(ms, ORG + "memberDuring", f"_:i{p}x{m}")
                t(f"_:i{p}x{m}", TIME + "hasBeginning", f"_:b{p}x{m}")
                t(f"_:b{p}x{m}", TIME + "inXSDDate", _date(start))
            for k in range(24):
                day = date(2023, 1, 1) + timedelta(days=30 * k + rng.randrange(20))
                ms = _iri(f"{ID}meeting/p{p}-{k}")
                t(ms, RDF_TYPE, _iri(PK + "Meeting"))
                t(ms, PK + "meetingOf", ps)
                t(ms, PK + "meetingDate", _date(day))
                t(ms, PK + "heldInPublic", f'"{str(rng.random() < 0.9).lower()}"^^<{XSD}boolean>')
                t(ms, PK + "agenda", f"_:a{p}x{k}")
                t(f"_:a{p}x{k}", RDF_TYPE, _iri(PK + "Agenda"))
                t(f"_:a{p}x{k}", DCT + "issued", _date(day - timedelta(days=rng.randrange(2, 12))))
                t(ms, PK + "minutes", f"_:n{p}x{k}")
                t(f"_:n{p}x{k}", DCT + "issued", _date(day + timedelta(days=rng.randrange(3, 30))))
            if len(lines) > 100_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)
    return count
