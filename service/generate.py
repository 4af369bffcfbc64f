"""A synthetic register at any scale, with breaches whose every location is known.

The register is made of copies of the sample (data/sample/): its eight partnerships with their
bodies, people, appointments, two years of meetings, decisions, votes, resources and reviews. Each
copy renames every resource under the base IRI (`partnership/ccsp` becomes `partnership/c7-ccsp`,
blank nodes too) except the organisations, the councils' strategic objectives, the reorganisation and
the assessments a shared body makes of a shared body, which every copy shares, as real councils and
partner bodies sit on many partnerships (and a council has one assessment of itself against a
standard). A joint committee set up to scrutinise a partnership (one that scrutinises it and is no
council's unit: the Joint Accountability Committee) is the partnership's, and each copy has its own,
with its own seats: shared, the committee of 1,250 copies held 2,500 appointments at 10,000
partnerships, and its seats read "1,250 of 1 filled". So each copy
carries the sample's deliberate breaches, listed by hand in data/sample/breaches.csv (and in
data/sample/README.md): at least one of every obligation, at its severity (Violation for a must,
Warning for a should, Info for an information obligation). The ground truth of the generated register
is that list once per copy, a breach rate of the sample's for each obligation, except a breach whose
focus every copy shares (a partner organisation without an assessment), listed once.

    partnerkg generate --councils 10 --partnerships-per-council 100 --seed 7 --out DIR

writes DIR/register.ttl (N-Triples lines, which are Turtle) and DIR/ground-truth.csv. The number of
copies is the number of partnerships asked for divided by the sample's eight, rounded up. The seed
orders the copies (and so the file); the content is the same for every seed.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .ingest.bootstrap import SAMPLE_DIR
from .namespaces import ID, ORG, PK

SHARED = ("organisation/", "seats/", "objective/", "change/")
"""Resources every copy shares: the real organisations, seats on them, the councils' objectives, the
reorganisation (but see `_partnership_committees`)."""
BREACHES = SAMPLE_DIR / "breaches.csv"
SAMPLE_PARTNERSHIPS = 8


@dataclass(frozen=True)
class Generated:
    """What `generate` wrote."""

    copies: int
    partnerships: int
    triples: int
    breaches: dict[str, int]  # severity: how many the ground truth lists
    register: Path
    ground_truth: Path


def sample_breaches() -> list[tuple[str, str, str]]:
    """The sample's deliberate breaches: (obligation id, focus node's local name, severity)."""
    with open(BREACHES, newline="", encoding="utf-8") as handle:
        return [(row["obligation"], row["focus"], row["severity"]) for row in csv.DictReader(handle)]


def _council_assessments(triples: list[ox.Triple], copied: frozenset[str]) -> frozenset[str]:
    """The assessments made by a shared body about a shared body (a council's own assessment against
    a standard, say): every partnership it sits on shares them, as it shares the council; a copy of
    each for every copy of the sample would give a council thousands of the same assessment."""
    base = str(ID)
    rename = _renamer(0, copied=copied)  # what a copy leaves as it is is shared (blank nodes are renamed)
    subjects: dict[str, bool] = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(base + "assessment/"):
            subjects[t.subject.value] = subjects.get(t.subject.value, True) and rename(t.object) == t.object
    return frozenset(iri[len(base) :] for iri, alone in subjects.items() if alone)


def _partnership_committees(triples: list[ox.Triple]) -> frozenset[str]:
    """The joint committees that scrutinise a partnership of the sample and are no council's unit
    (pk:scrutinises, no org:unitOf), and the seats on them: each copy of the partnership has its own."""
    base = str(ID)
    scrutinises, unit_of, seats_on = (ox.NamedNode(str(p)) for p in (PK.scrutinises, ORG.unitOf, PK.seatsOn))
    committees = {t.subject for t in triples if t.predicate == scrutinises} - {
        t.subject for t in triples if t.predicate == unit_of
    }
    seats = {t.subject for t in triples if t.predicate == seats_on and t.object in committees}
    return frozenset(n.value[len(base) :] for n in committees | seats if n.value.startswith(base))


def _renamer(copy: int, kept: frozenset[str] = frozenset(), copied: frozenset[str] = frozenset()):
    base = str(ID)
    prefix = f"c{copy}-"

    def rename(term):
        if isinstance(term, ox.NamedNode) and term.value.startswith(base):
            local = term.value[len(base) :]
            if local not in copied and (local.startswith(SHARED) or "/" not in local or local in kept):
                return term
            kind, _, rest = local.partition("/")
            return ox.NamedNode(f"{base}{kind}/{prefix}{rest}")
        if isinstance(term, ox.BlankNode):
            return ox.BlankNode(f"c{copy}x{term.value}")
        return term

    return rename


def generate(out: Path, *, councils: int, partnerships_per_council: int, seed: int = 1) -> Generated:
    """Write the register and its ground truth into `out`."""
    wanted = max(1, councils * partnerships_per_council)
    copies = math.ceil(wanted / SAMPLE_PARTNERSHIPS)
    triples = []
    for path in sorted(SAMPLE_DIR.glob("*.ttl")):
        triples += list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    labels: dict[str, ox.BlankNode] = {}  # the parser's blank-node labels are random: number them in order

    def stable(term):
        if isinstance(term, ox.BlankNode):
            return labels.setdefault(term.value, ox.BlankNode(f"b{len(labels)}"))
        return term

    triples = [ox.Triple(stable(t.subject), t.predicate, stable(t.object)) for t in triples]
    copied = _partnership_committees(triples)
    kept = _council_assessments(triples, copied)
    order = list(range(1, copies + 1))
    random.Random(seed).shuffle(order)
    out.mkdir(parents=True, exist_ok=True)
    register = out / "register.ttl"
    written: set[str] = set()
    count = 0
    with open(register, "w", encoding="utf-8") as handle:
        for copy in order:
            rename = _renamer(copy, kept, copied)
            for triple in triples:
                line = f"{rename(triple.subject)} {triple.predicate} {rename(triple.object)} .\n"
                shared = not line.startswith("_:") and _is_shared(triple, rename)
                if shared:  # a shared resource's own facts are written once
                    if line in written:
                        continue
                    written.add(line)
                handle.write(line)
                count += 1
    truth = out / "ground-truth.csv"
    breaches = sample_breaches()
    tally: dict[str, int] = {}
    with open(truth, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["obligation", "focus", "severity", "copy"])
        for copy in range(1, copies + 1):
            rename = _renamer(copy, kept, copied)  # a breach's focus is named in a copy as the copy names it
            for obligation, focus, severity in breaches:
                node = ox.NamedNode(str(ID) + focus)
                named = rename(node)
                shared = named == node
                if shared and copy > 1:
                    continue  # every copy shares the focus: one breach, listed once as "shared"
                writer.writerow([obligation, named.value, severity, "shared" if shared else copy])
                tally[severity] = tally.get(severity, 0) + 1
    return Generated(copies, copies * SAMPLE_PARTNERSHIPS, count, tally, register, truth)


def _is_shared(triple, rename) -> bool:
    return rename(triple.subject) == triple.subject and rename(triple.object) == triple.object


def read_ground_truth(path: Path) -> set[tuple[str, str, str]]:
    """The (obligation, focus IRI, severity) breaches a ground-truth file lists."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {(row["obligation"], row["focus"], row["severity"]) for row in csv.DictReader(handle)}


def precision_recall(
    found: set[tuple[str, str, str]], truth: set[tuple[str, str, str]]
) -> dict[str, tuple[float, float]]:
    """Per obligation: the share of findings (obligation, focus, severity) that are true breaches, and of
    true breaches found. A finding at the wrong severity counts as both a false finding and a miss."""
    counts: dict[str, list[int]] = {}  # obligation: [found, true, found and true]
    for breach in found:
        counts.setdefault(breach[0], [0, 0, 0])[0] += 1
    for breach in truth:
        counted = counts.setdefault(breach[0], [0, 0, 0])
        counted[1] += 1
        counted[2] += breach in found
    return {o: (hit / f if f else 1.0, hit / t if t else 1.0) for o, (f, t, hit) in sorted(counts.items())}


__all__ = ["Generated", "generate", "precision_recall", "read_ground_truth", "sample_breaches"]
