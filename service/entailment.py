"""The entailments the shapes and queries rely on, and how to keep them current after a small change.

What follows from the data whatever the date: each node's partnership (pk:forPartnership),
org:hasSubOrganization and its inverse pk:partOfPartnership, org:memberOf from each org:Membership,
and broader appointment roles (a lead member is a representative). owlrl's closure is the
reference (tests/test_compliance.py holds the two equal on the sample); these rules compute only
what is needed, on Oxigraph's own terms (the same rules through rdflib terms took 18 s at 10,000
partnerships).

The rules are written over a `Lookup` (a node's objects for a predicate, a node's subjects):
`entailed_triples` runs them on dictionaries built from whole-predicate scans of a store (the whole
register: a full run), `changes` on the lookups of a store just written, for the few nodes a change
can reach (the store's named graph `entailed` kept current by EmbeddedStore.write_graphs). A node's
other triples come from `local_triples` either way; its partnership from `owner_by_rules`, which a
full run applies a rule at a time over the dictionaries instead (`_all_owners`: half the time; a test
holds the two equal).

A node's partnership is the first of these that gives one:
1. a partnership is its own;
2. a body is the partnership's that has it as org:hasSubOrganization (the least IRI of several);
3. a body that is pk:partOfPartnership one (the least of several);
4. a thing linked by one of LINKS (in that order) has its target's (a meeting its body's, a decision
   its meeting's); the least of several targets' partnerships;
5. what a partnership has by one of PARTS is the partnership's;
6. a joint committee's seat allocation is the partnership's the committee scrutinises (the least).
On a cycle of links the rules do not settle every node's partnership: a full computation gives none
to the node it meets the cycle by, and a write that reaches a cycle may find no settled answer, when
it leaves the set to the next full run (`changes`).

Beside the entailments, and kept current with them, the hanging index a one-partnership run reads
instead of what links into a shared node (`hanging_triples`). A record that links by one of INCOMING
to a node that is not bound (neither a partnership nor a body of one: `is_bound`) hangs from it: it
has pk:hangsFrom each such node, unless it also links to bound nodes, when it is held: pk:heldFrom
each such unbound node and pk:heldWith each bound one. A shared partner body's assessments by other
partnerships' boards are held; a briefing for a meeting hangs from it. The cut of a partnership that
reaches a shared node takes what hangs from it and what is held from it with one of the
partnership's own nodes, without reading the records held with other partnerships' nodes.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import RDF, URIRef
from rdflib.namespace import SKOS

from .namespaces import ORG, PK

LINKS = (PK.meetingOf, PK.atMeeting, ORG.organization, PK.actionOf, PK.committedTo, PK.assesses, PK.affectsPartnership)
"""A thing belongs to the partnership its link points to (a meeting to whoever holds it)."""
PARTS = (PK.hasObjective, PK.hasGovernanceArrangement, PK.hasOutcome)
"""What a partnership has belongs to it."""
INCOMING = (
    PK.assesses,
    PK.aboutAction,
    PK.justifies,
    PK.briefingFor,
    ORG.originalOrganization,
    PK.seatsOn,
    ORG.organization,
)
"""Links whose subject belongs with the node they point at: an assessment with what it assesses, a
notice with its action, a briefing with its meeting, a reorganisation with the council it abolished,
an appointment with the committee it is to (a joint committee's seats are counted). A partnership's
cut (compliance.validate.working_copy_for) follows them backwards; the hanging index is kept for them."""

RULES_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
"""Names the rules (this module's text): entailments stored by other rules are computed again."""


def _ox(term: URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(term))


TYPE, PARTNERSHIP = _ox(RDF.type), _ox(PK.Partnership)
FOR_PARTNERSHIP, PART_OF, HAS_SUB = _ox(PK.forPartnership), _ox(PK.partOfPartnership), _ox(ORG.hasSubOrganization)
SEATS_ON, SCRUTINISES = _ox(PK.seatsOn), _ox(PK.scrutinises)
MEMBER, MEMBER_OF, ORGANIZATION = _ox(ORG.member), _ox(ORG.memberOf), _ox(ORG.organization)
ROLE, BROADER = _ox(ORG.role), _ox(SKOS.broader)
LINK_TERMS = tuple(_ox(p) for p in LINKS)
PART_TERMS = tuple(_ox(p) for p in PARTS)
INCOMING_TERMS = tuple(_ox(p) for p in INCOMING)
HANGS_FROM, HELD_FROM, HELD_WITH = _ox(PK.hangsFrom), _ox(PK.heldFrom), _ox(PK.heldWith)
HANGING_TERMS = (HANGS_FROM, HELD_FROM, HELD_WITH)
"""The hanging index's predicates (kept in a graph of their own)."""


class Lookup(Protocol):
    """What the rules read: a node's objects for a predicate, the subjects pointing at a node, and
    whether a node is a partnership."""

    def objects(self, node: object, predicate: ox.NamedNode) -> Iterable[object]: ...

    def subjects(self, predicate: ox.NamedNode, node: object) -> Iterable[object]: ...

    def is_partnership(self, node: object) -> bool: ...


def _least(terms: list) -> object | None:
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else min(terms, key=lambda t: t.value)


def owner_by_rules(node: object, look: Lookup, owner: Callable[[object], object | None]) -> object | None:
    """A node's partnership by the rules of the module's docstring, given the partnerships of the nodes
    it links to (`owner`)."""
    if look.is_partnership(node):
        return node
    parents = look.subjects(HAS_SUB, node)
    if parents and (found := _least([p for p in parents if look.is_partnership(p)])) is not None:
        return found
    wholes = look.objects(node, PART_OF)
    if wholes:
        return _least(list(wholes))
    for predicate in LINK_TERMS:
        targets = look.objects(node, predicate)
        if targets and (found := _least([o for t in targets if (o := owner(t)) is not None])) is not None:
            return found
    for predicate in PART_TERMS:
        wholes = look.subjects(predicate, node)
        if wholes and (found := _least([o for t in wholes if (o := owner(t)) is not None])) is not None:
            return found
    committees = look.objects(node, SEATS_ON)
    return _least([s for c in committees for s in look.objects(c, SCRUTINISES)]) if committees else None


def for_partnership(node: object, owner: object | None) -> set[ox.Triple]:
    """The node's pk:forPartnership triple, if it has a partnership."""
    return set() if owner is None else {ox.Triple(node, FOR_PARTNERSHIP, owner)}  # type: ignore[arg-type]


def local_triples(node: object, look: Lookup, wider: Callable[[object], set]) -> set[ox.Triple]:
    """The other entailed triples whose subject is the node: those that follow from its own statements
    and its neighbours' alone. (A lookup that finds nothing makes no generator: a full run asks this of
    130,000 nodes at 10,000 partnerships.)"""
    out: set[ox.Triple] = set()
    parents = look.subjects(HAS_SUB, node)
    if parents:
        out.update(ox.Triple(node, PART_OF, p) for p in parents if look.is_partnership(p))  # type: ignore[arg-type]
    bodies = look.subjects(PART_OF, node)
    if bodies:
        out.update(ox.Triple(node, HAS_SUB, b) for b in bodies)  # type: ignore[arg-type]
    for membership in look.subjects(MEMBER, node):
        out.update(ox.Triple(node, MEMBER_OF, body) for body in look.objects(membership, ORGANIZATION))  # type: ignore[arg-type]
    for role in look.objects(node, ROLE):
        broader = wider(role)
        if broader:
            out.update(ox.Triple(node, ROLE, w) for w in broader)  # type: ignore[arg-type]
    return out


def hanging_triples(node: object, links: Iterable[tuple[object, object]], bound: Callable[[object], bool]) -> set:
    """The hanging index's triples about a node, from its links (predicate, object): for each node it
    links to by one of INCOMING that is not `bound`, pk:hangsFrom it, or pk:heldFrom it when the node
    also links to bound nodes (by any predicate), with pk:heldWith each of those."""
    links = [(p, o) for p, o in links if not isinstance(o, ox.Literal)]
    # most nodes a write reaches link by none of INCOMING: nothing else is asked of them
    loose = [o for p, o in links if p in INCOMING_TERMS and not bound(o)]
    if not loose:
        return set()
    tied = [o for _, o in links if bound(o)]
    if not tied:
        return {ox.Triple(node, HANGS_FROM, n) for n in loose}  # type: ignore[arg-type]
    return {ox.Triple(node, HELD_FROM, n) for n in loose} | {ox.Triple(node, HELD_WITH, o) for o in tied}  # type: ignore[arg-type]


def _wider(look: Lookup) -> Callable[[object], set]:
    """A role's broader roles, transitively (not the role itself unless a cycle leads back to it)."""
    known: dict[object, set] = {}

    def wider(role: object) -> set:
        if role not in known:
            seen: set = set()
            todo = [role]
            while todo:
                for w in look.objects(todo.pop(), BROADER):
                    if w not in seen:
                        seen.add(w)
                        todo.append(w)
            known[role] = seen - {role}
        return known[role]

    return wider


class _Scanned:
    """A Lookup on dictionaries filled by scanning each predicate the rules read once (the store's
    default graph): per-node lookups of the store would cost ten times as much for the whole register."""

    def __init__(self, store: ox.Store, incoming: bool = False) -> None:
        default = ox.DefaultGraph()
        self.forward: dict[ox.NamedNode, dict[object, list]] = {}
        self.backward: dict[ox.NamedNode, dict[object, list]] = {}
        for predicate in dict.fromkeys(
            (PART_OF, SEATS_ON, SCRUTINISES, ROLE, BROADER, *LINK_TERMS, *(INCOMING_TERMS if incoming else ()))
        ):  # organization is a link
            self.forward[predicate] = index = defaultdict(list)
            for q in store.quads_for_pattern(None, predicate, None, default):
                index[q.subject].append(q.object)
        for predicate in (HAS_SUB, PART_OF, MEMBER, *PART_TERMS):
            self.backward[predicate] = index = defaultdict(list)
            for q in store.quads_for_pattern(None, predicate, None, default):
                index[q.object].append(q.subject)
        self.partnerships = {q.subject for q in store.quads_for_pattern(None, TYPE, PARTNERSHIP, default)}

    def objects(self, node: object, predicate: ox.NamedNode) -> Iterable[object]:
        return self.forward[predicate].get(node, ())

    def subjects(self, predicate: ox.NamedNode, node: object) -> Iterable[object]:
        return self.backward[predicate].get(node, ())

    def is_partnership(self, node: object) -> bool:
        return node in self.partnerships

    def bound(self) -> set:
        """The partnerships and every node that is a body of one (`is_bound`)."""
        return self.partnerships | set(self.backward[HAS_SUB]) | set(self.forward[PART_OF])

    def candidates(self) -> set:
        """Every node a rule can give a partnership to."""
        nodes = set(self.partnerships)
        for index in (self.backward[HAS_SUB], self.forward[PART_OF], self.forward[SEATS_ON]):
            nodes.update(index)
        for predicate in LINK_TERMS:
            nodes.update(self.forward[predicate])
        for predicate in PART_TERMS:
            nodes.update(self.backward[predicate])
        return nodes


_UNKNOWN = object()


def _all_owners(look: _Scanned) -> dict:
    """Every node's partnership (None where a link's target has none), a rule at a time over the scanned
    indexes: a loop per rule and link costs half as much as owner_by_rules node by node, and gives the
    same, as the rules are tried in their order and a link's target gets its partnership by all the
    rules first (through owner_by_rules)."""
    found: dict[object, object | None] = {p: p for p in look.partnerships}
    get = found.get

    def owner(node: object) -> object | None:
        done = get(node, _UNKNOWN)
        if done is not _UNKNOWN:
            return done
        found[node] = None  # a cycle of links gives no partnership
        found[node] = done = owner_by_rules(node, look, owner)
        return done

    for body, parents in look.backward[HAS_SUB].items():
        if body not in found and (least := _least([p for p in parents if p in look.partnerships])) is not None:
            found[body] = least
    for body, wholes in look.forward[PART_OF].items():
        if body not in found:
            found[body] = _least(wholes)
    for predicate in LINK_TERMS:
        for node, targets in look.forward[predicate].items():
            if node not in found and (least := _least([o for t in targets if (o := owner(t)) is not None])) is not None:
                found[node] = least
    for predicate in PART_TERMS:
        for node, wholes in look.backward[predicate].items():
            if node not in found and (least := _least([o for w in wholes if (o := owner(w)) is not None])) is not None:
                found[node] = least
    scrutinised = look.forward[SCRUTINISES]
    for node, committees in look.forward[SEATS_ON].items():
        if node not in found:
            found[node] = _least([p for c in committees for p in scrutinised.get(c, ())])
    return found


def partnership_of(store: ox.Store) -> dict[object, object]:
    """Each node the rules give a partnership to, mapped to it (the store's default graph)."""
    look = _Scanned(store)
    return {n: p for n, p in _all_owners(look).items() if p is not None}


def entailed_triples(store: ox.Store) -> set[ox.Triple]:
    """The entailed triples of the data in the store's default graph."""
    return _entailed(_Scanned(store))


def entailed_and_hanging(store: ox.Store) -> tuple[set[ox.Triple], set[ox.Triple]]:
    """The entailed triples of the data in the store's default graph, and its hanging index: only the
    records that link by one of INCOMING to an unbound node are read whole (at 10,000 partnerships
    50,009 of them, of which 1,250 are held)."""
    look = _Scanned(store, incoming=True)
    bound = look.bound()
    default = ox.DefaultGraph()
    hanging: set[ox.Triple] = set()
    records = {
        n for p in INCOMING_TERMS for n, targets in look.forward[p].items() if any(t not in bound for t in targets)
    }
    for node in records:
        links = [(q.predicate, q.object) for q in store.quads_for_pattern(node, None, None, default)]
        hanging |= hanging_triples(node, links, bound.__contains__)
    return _entailed(look), hanging


def _entailed(look: _Scanned) -> set[ox.Triple]:
    owners = _all_owners(look)
    out = {ox.Triple(n, FOR_PARTNERSHIP, p) for n, p in owners.items() if p is not None}  # type: ignore[arg-type]
    subjects: set = set()
    for index in (look.backward[HAS_SUB], look.backward[PART_OF], look.backward[MEMBER], look.forward[ROLE]):
        subjects.update(index)
    wider = _wider(look)
    for node in subjects:
        out |= local_triples(node, look, wider)
    return out


class StoreLookup:
    """A Lookup on a store's own indexes, over the graphs `is_data` accepts (the data, the ontology
    and the policies): what a change needs, node by node."""

    def __init__(self, match: Callable[..., Iterator[ox.Quad]], is_data: Callable[[object], bool]) -> None:
        self.match, self.is_data = match, is_data

    def objects(self, node: object, predicate: ox.NamedNode) -> list:
        return list(
            dict.fromkeys(q.object for q in self.match(node, predicate, None, None) if self.is_data(q.graph_name))
        )

    def subjects(self, predicate: ox.NamedNode, node: object) -> list:
        return list(
            dict.fromkeys(q.subject for q in self.match(None, predicate, node, None) if self.is_data(q.graph_name))
        )

    def is_partnership(self, node: object) -> bool:
        return self.holds(node, TYPE, PARTNERSHIP)

    def holds(self, subject: object, predicate: ox.NamedNode, obj: object) -> bool:
        """Whether a data graph holds the triple."""
        return any(self.is_data(q.graph_name) for q in self.match(subject, predicate, obj, None))

    def links(self, node: object) -> list[tuple[object, object]]:
        """The node's links: (predicate, object) of each triple whose subject it is."""
        return [(q.predicate, q.object) for q in self.match(node, None, None, None) if self.is_data(q.graph_name)]

    def linking(self, node: object, limit: int) -> set | None:
        """The subjects of the triples whose object the node is; None past `limit` triples (in any graph:
        each is read)."""
        found = set()
        for count, q in enumerate(self.match(None, None, node, None)):
            if count >= limit:
                return None
            if self.is_data(q.graph_name):
                found.add(q.subject)
        return found

    def is_bound(self, node: object) -> bool:
        """Whether the node is a partnership or a body of one (has a org:hasSubOrganization parent or is
        pk:partOfPartnership something): what the hanging index and a partnership's cut treat as another
        partnership's business unless it is the partnership's own."""
        return self.is_partnership(node) or self.holds(None, HAS_SUB, node) or bool(self.objects(node, PART_OF))


MAX_ROUNDS = 32
"""Waves of partnerships passed on along links before `changes` gives up (the links would be cyclic)."""
MAX_LINKING = 10_000
"""Links into a node that became bound or stopped being so past which `changes` gives up: each
subject's index triples would be computed again (about 0.3 ms each at 10,000 partnerships), and the
next full run computes them all in a few seconds."""


def changes(
    look: StoreLookup, stored: Callable[[object], set[ox.Triple]], changed: Iterable[ox.Quad]
) -> tuple[set[ox.Triple], set[ox.Triple]] | None:
    """What to add to and remove from a set of entailed triples, current before a change to the data,
    to make it current after: `look` reads the data as changed, `stored` gives the set's triples about
    a node, and `changed` holds the quads added and removed. None when the change is one these steps do
    not follow (a skos:broader between roles reaches every appointment; links that pass partnerships
    round a cycle): then the set must be computed again in full.

    The nodes a changed quad names get their partnership again by the rules; a node whose partnership
    changed passes the change on to what links to it (a meeting to its decisions), wave by wave, and
    the others' are read from the stored set. Every node so reached, and each node whose own triples
    follow from a changed statement (a membership's member, a partnership's bodies), has its triples
    computed again and compared with the stored ones. So has what links to a node that may have become
    bound or stopped being so (its triples in the hanging index: `hanging_triples`), unless more than
    MAX_LINKING triples do (a council every partnership points at), when the set is left to the next
    full run."""
    touched: set = set()
    rebound: set = set()
    for q in changed:
        if q.predicate == BROADER:
            return None
        touched.add(q.subject)
        if not isinstance(q.object, ox.Literal):
            touched.add(q.object)
        if q.predicate == HAS_SUB:
            rebound.add(q.object)
        elif q.predicate == PART_OF or (q.predicate == TYPE and q.object == PARTNERSHIP):
            rebound.add(q.subject)
    before: dict[object, object | None] = {}

    def stored_owner(node: object) -> object | None:
        if node not in before:
            before[node] = next((t.object for t in stored(node) if t.predicate == FOR_PARTNERSHIP), None)
        return before[node]

    now: dict[object, object | None] = {}

    def owner(node: object) -> object | None:
        return now[node] if node in now else stored_owner(node)

    pending = set(touched)
    for node in touched:
        pending.update(look.objects(node, HAS_SUB))  # a partnership no longer (or newly) one: its bodies
        pending.update(look.subjects(SEATS_ON, node))  # a committee's scrutiny: its seats
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        wave, pending = pending, set()
        for node in wave:
            found = owner_by_rules(node, look, owner)
            if found != owner(node):
                for predicate in LINK_TERMS:
                    pending.update(look.subjects(predicate, node))
                for predicate in PART_TERMS:
                    pending.update(look.objects(node, predicate))
            now[node] = found
    else:
        if pending:
            return None
    subjects = set(now)
    for node in touched:
        subjects.update(look.objects(node, MEMBER))  # a membership's member is org:memberOf its body
    for node in rebound:
        linking = look.linking(node, MAX_LINKING)
        if linking is None:
            return None
        subjects.update(linking)
    wider = _wider(look)
    bound: dict[object, bool] = {}

    def is_bound(node: object) -> bool:
        if node not in bound:
            bound[node] = look.is_bound(node)
        return bound[node]

    additions: set[ox.Triple] = set()
    removals: set[ox.Triple] = set()
    for node in subjects:
        new = for_partnership(node, owner(node)) | local_triples(node, look, wider)
        new |= hanging_triples(node, look.links(node), is_bound)
        old = stored(node)
        additions |= new - old
        removals |= old - new
    return additions, removals
