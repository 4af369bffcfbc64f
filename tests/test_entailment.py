"""The stored entailments kept current by small writes: after each change the graphs `entailed` and
`hanging` hold exactly what the rules compute for the whole data again, and the stamp names the data's
new state."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest

from service.compliance.validate import validate, working_copy
from service.entailment import (
    BROADER,
    FOR_PARTNERSHIP,
    HANGING_TERMS,
    HANGS_FROM,
    HAS_SUB,
    HELD_FROM,
    HELD_WITH,
    LINK_TERMS,
    MEMBER,
    PART_OF,
    PART_TERMS,
    PARTNERSHIP,
    ROLE,
    RULES_DIGEST,
    TYPE,
    entailed_and_hanging,
)
from service.ingest.bootstrap import init_store
from service.namespaces import GRAPH, PK
from service.store import EmbeddedStore
from service.store.base import is_data_graph

ENTAILED = ox.NamedNode(str(GRAPH["entailed"]))
HANGING = ox.NamedNode(str(GRAPH["hanging"]))
SOURCES = ox.NamedNode(str(GRAPH["sources"]))
EXTRA = ox.NamedNode("urn:x:extra")
ID = "https://w3id.org/partnerkg/id/"


def stored(store: EmbeddedStore) -> set[ox.Triple]:
    """The stored entailments and hanging index (each kept in its own graph)."""
    found = {ox.Triple(q.subject, q.predicate, q.object) for q in store.match(None, None, None, ENTAILED)}
    hanging = {ox.Triple(q.subject, q.predicate, q.object) for q in store.match(None, None, None, HANGING)}
    assert all(t.predicate in HANGING_TERMS for t in hanging)
    assert not any(t.predicate in HANGING_TERMS for t in found)
    return found | hanging


def computed(store: EmbeddedStore) -> set[ox.Triple]:
    work, _, _ = working_copy(store)
    entailed, hanging = entailed_and_hanging(work)
    return entailed | hanging


def stamp(store: EmbeddedStore) -> str | None:
    quad = next(iter(store.match(ENTAILED, ox.NamedNode(str(PK.dataVersion)), None, SOURCES)), None)
    return None if quad is None else quad.object.value


def current(store: EmbeddedStore) -> bool:
    return stamp(store) == f"{store.data_version()}+{RULES_DIGEST}"


@pytest.fixture
def kept(tmp_path):
    """A store with the sample whose entailments a full run has stored."""
    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    validate(s, save=False)
    assert current(s)
    yield s
    s.close()


def quads_of(store: EmbeddedStore, predicate: ox.NamedNode) -> list[ox.Quad]:
    return sorted(
        (q for q in store.match(None, predicate, None, None) if is_data_graph(q.graph_name.value)),
        key=str,
    )


def replace_without(store: EmbeddedStore, gone: ox.Quad, extra: list[ox.Quad] = ()) -> None:  # type: ignore[assignment]
    """Write the graph holding `gone` again without it (and with `extra`): a replacement, as a reload is."""
    graph = gone.graph_name
    rest = [q for q in store.match(None, None, None, graph) if q != gone]
    store.write_graphs(rest + [ox.Quad(q.subject, q.predicate, q.object, graph) for q in extra], [graph])


def test_each_kind_of_change_leaves_the_stored_set_equal_to_a_full_computation(kept):
    rng = random.Random(8)
    changes = 0
    for predicate in (*LINK_TERMS, *PART_TERMS, HAS_SUB, MEMBER, ROLE, TYPE):
        candidates = [q for q in quads_of(kept, predicate) if predicate != TYPE or q.object == PARTNERSHIP]
        if not candidates:
            continue
        gone = rng.choice(candidates)
        before = stored(kept)
        # the link removed, and the same subject pointed at another node that predicate reaches
        other = rng.choice([q.object for q in candidates if q.object != gone.object] or [gone.object])
        replace_without(kept, gone, [ox.Quad(gone.subject, predicate, other)] if predicate != TYPE else [])
        assert current(kept), predicate
        assert stored(kept) == computed(kept), predicate
        changes += stored(kept) != before
    assert changes >= 8  # most of these changes move some entailment


def test_appended_and_new_graphs_are_followed(kept, tmp_path):
    meeting, decision = ox.NamedNode(ID + "meeting/x-1"), ox.NamedNode(ID + "decision/x-1")
    body = ox.NamedNode(ID + "body/csp-clb")
    kept.write_graphs(
        [
            ox.Quad(meeting, TYPE, ox.NamedNode(str(PK.Meeting)), EXTRA),
            ox.Quad(meeting, ox.NamedNode(str(PK.meetingOf)), body, EXTRA),
            ox.Quad(decision, ox.NamedNode(str(PK.atMeeting)), meeting, EXTRA),
        ],
        [EXTRA],
        append=True,
    )
    assert current(kept)
    owner = ox.NamedNode(ID + "partnership/cumbria-strategic-partnership")
    assert ox.Triple(decision, FOR_PARTNERSHIP, owner) in stored(kept)  # passed on from body to meeting to decision
    assert stored(kept) == computed(kept)
    # the meeting moved to a body of another partnership: its decision moves with it
    owners = {t.subject: t.object for t in stored(kept) if t.predicate == FOR_PARTNERSHIP}
    meeting_of = ox.NamedNode(str(PK.meetingOf))
    other = next(q.object for q in kept.match(None, meeting_of, None, None) if owners.get(q.object, owner) != owner)
    kept.write_graphs(
        [
            ox.Quad(meeting, TYPE, ox.NamedNode(str(PK.Meeting)), EXTRA),
            ox.Quad(meeting, meeting_of, other, EXTRA),
            ox.Quad(decision, ox.NamedNode(str(PK.atMeeting)), meeting, EXTRA),
        ],
        [EXTRA],
    )
    assert current(kept)
    moved = owners.get(other, other)
    assert {t.object for t in stored(kept) if t.subject == decision and t.predicate == FOR_PARTNERSHIP} == {moved}
    assert stored(kept) == computed(kept)
    # a file loaded into a graph of its own, by the bulk loader
    path = tmp_path / "more.ttl"
    path.write_text(f"<{decision.value}> <{PK.atMeeting}> <{ID}meeting/csp-clb-2023-06-15> .\n", encoding="utf-8")
    with open(path, "rb") as source:
        kept.load_new_graph(source, ox.RdfFormat.TURTLE, ox.NamedNode("urn:x:more"))
    assert current(kept)
    least = min(owner, moved, key=lambda p: p.value)  # at two meetings of two partnerships: the least IRI
    assert {t.object for t in stored(kept) if t.subject == decision and t.predicate == FOR_PARTNERSHIP} == {least}
    assert stored(kept) == computed(kept)
    kept.write_graphs([], [EXTRA])  # the graph emptied: what only it said goes
    assert current(kept)
    assert stored(kept) == computed(kept)


def test_the_hanging_index_follows_what_a_record_links_to_and_whether_its_targets_are_bound(kept):
    """The sample's assessment of a shared partner body by a partnership's board is held from the body
    with the board; a council's assessment of a person hangs from the person. The first hangs from the
    body once the board is no longer a partnership's body, and from nothing once the body it assesses
    becomes one; and it is held again when those writes are undone."""
    assessment = ox.NamedNode(ID + "assessment/cvs-partner-asks-2026")
    cvs, board = ox.NamedNode(ID + "organisation/cumbria-cvs"), ox.NamedNode(ID + "body/csp-clb")
    held = {ox.Triple(assessment, HELD_FROM, cvs), ox.Triple(assessment, HELD_WITH, board)}
    assert held <= stored(kept)
    assert {t for t in stored(kept) if t.predicate in (HELD_FROM, HELD_WITH)} == held  # the sample's only one
    person = ox.NamedNode(ID + "person/eve-fictional")
    assert ox.Triple(ox.NamedNode(ID + "assessment/eve-fictional-principles-2026"), HANGS_FROM, person) in stored(kept)
    ties = [
        q
        for q in [*kept.match(None, HAS_SUB, board, None), *kept.match(board, PART_OF, None, None)]
        if is_data_graph(q.graph_name.value)
    ]
    assert ties
    for tie in ties:  # the board stops being a body of any partnership
        replace_without(kept, tie)
    assert current(kept)
    assert not held & stored(kept) and ox.Triple(assessment, HANGS_FROM, cvs) in stored(kept)
    assert stored(kept) == computed(kept)
    ties = [ox.Quad(q.subject, q.predicate, q.object, EXTRA) for q in ties]
    kept.write_graphs(ties, [EXTRA], append=True)  # and is one again
    assert current(kept) and held <= stored(kept)
    partnership = ox.NamedNode(ID + "partnership/cumbria-strategic-partnership")
    kept.write_graphs([ox.Quad(cvs, PART_OF, partnership, EXTRA)], [EXTRA], append=True)  # the body assessed is bound
    assert current(kept)
    assert not [t for t in stored(kept) if t.subject == assessment and t.predicate in HANGING_TERMS]
    assert stored(kept) == computed(kept)
    kept.write_graphs(ties, [EXTRA])
    assert current(kept) and held <= stored(kept)
    assert stored(kept) == computed(kept)


def test_changes_the_steps_do_not_follow_leave_the_set_to_the_next_full_run(kept):
    role = next(q.object for q in kept.match(None, ROLE, None, None))
    kept.write_graphs([ox.Quad(role, BROADER, ox.NamedNode("urn:x:wider-role"), EXTRA)], [EXTRA])
    assert not current(kept)  # a role hierarchy reaches every appointment: not followed
    before = stored(kept)
    validate(kept, save=False)
    assert current(kept)
    assert stored(kept) == computed(kept) != before
    kept.update(f"INSERT DATA {{ GRAPH <{EXTRA.value}> {{ <urn:x:m> <{PK.meetingOf}> <{ID}body/csp-clb> }} }}")
    assert not current(kept)  # a SPARQL update says nothing of what it changed


def test_a_large_write_is_left_to_the_next_full_run(kept, monkeypatch):
    from service.store import embedded

    monkeypatch.setattr(embedded, "ENTAILED_LIMIT", 2)
    meeting = ox.NamedNode(ID + "meeting/x-2")
    before = stored(kept)
    kept.write_graphs(
        [
            ox.Quad(meeting, ox.NamedNode(str(PK.meetingOf)), ox.NamedNode(ID + "body/csp-clb"), EXTRA),
            ox.Quad(meeting, TYPE, ox.NamedNode(str(PK.Meeting)), EXTRA),
            ox.Quad(meeting, ox.NamedNode(str(PK.meetingDate)), ox.Literal("2026-12-01"), EXTRA),
        ],
        [EXTRA],
    )
    assert not current(kept)
    assert stored(kept) == before  # untouched, not half brought up to date


def test_binding_a_node_many_records_link_to_is_left_to_the_next_full_run(kept, monkeypatch):
    """Making a node a partnership's body changes the index triples of everything that links to it;
    past MAX_LINKING links the write leaves the set as it was, for the next full run."""
    from service import entailment

    council = ox.NamedNode(ID + "organisation/cumberland-council")
    linking = [q for q in kept.match(None, None, council, None) if is_data_graph(q.graph_name.value)]
    monkeypatch.setattr(entailment, "MAX_LINKING", len(linking) - 1)
    before = stored(kept)
    partnership = ox.NamedNode(ID + "partnership/cumbria-strategic-partnership")
    kept.write_graphs([ox.Quad(council, PART_OF, partnership, EXTRA)], [EXTRA])
    assert not current(kept)
    assert stored(kept) == before  # untouched
    validate(kept, save=False)
    assert current(kept) and stored(kept) == computed(kept)


def test_the_full_computation_gives_each_node_the_partnership_the_rules_give_it_alone(tmp_path):
    """entailed_triples works a rule at a time over whole-predicate scans; owner_by_rules (what a write
    follows) works node by node. On a generated register, with a node linked to two partnerships' nodes
    and one whose link reaches a partnership's objective (owned by a later rule), both agree."""
    from service.entailment import _all_owners, _Scanned, owner_by_rules
    from service.generate import generate

    made = generate(tmp_path / "gen", councils=2, partnerships_per_council=4, seed=2)
    work = ox.Store()
    work.bulk_load(path=str(made.register), format=ox.RdfFormat.TURTLE)
    partnerships = sorted(q.subject.value for q in work.quads_for_pattern(None, TYPE, PARTNERSHIP, ox.DefaultGraph()))
    objective = next(q for q in work.quads_for_pattern(None, PART_TERMS[0], None, ox.DefaultGraph()))
    odd = ox.NamedNode("urn:x:odd")
    assesses = ox.NamedNode(str(PK.assesses))
    work.add(ox.Quad(odd, ox.NamedNode(str(PK.meetingOf)), ox.NamedNode(partnerships[-1])))
    work.add(ox.Quad(odd, ox.NamedNode(str(PK.meetingOf)), ox.NamedNode(partnerships[0])))
    work.add(ox.Quad(ox.NamedNode("urn:x:review"), assesses, objective.object))
    look = _Scanned(work)
    bulk = _all_owners(look)
    memo: dict = {}

    def owner(node):  # noqa: ANN001, ANN202
        if node not in memo:
            memo[node] = None
            memo[node] = owner_by_rules(node, look, owner)
        return memo[node]

    for node in look.candidates():
        assert bulk.get(node) == owner(node), node
    assert bulk[odd] == ox.NamedNode(partnerships[0])  # the least of two
    assert bulk[ox.NamedNode("urn:x:review")] == objective.subject
    assert len([n for n in bulk.values() if n is not None]) > 200


def test_a_store_without_the_ontology_leaves_the_set_to_the_next_full_run(tmp_path):
    """A run adds the ontology (the roles' hierarchy) from the project's files when the store lacks it;
    a write's lookups would not see it, so the set is not followed there."""
    from service.ingest.bootstrap import SAMPLE_DIR
    from service.ingest.rdf import load_sources

    s = EmbeddedStore(tmp_path / "bare")
    load_sources(s, [(path, None) for path in sorted(SAMPLE_DIR.glob("*.ttl"))])
    validate(s, save=False)
    assert current(s)
    lead = ox.NamedNode("https://w3id.org/partnerkg/code/role-lead-member")  # a representative, says the ontology
    s.write_graphs([ox.Quad(ox.NamedNode("urn:x:membership"), ROLE, lead, EXTRA)], [EXTRA])
    assert not current(s)
    validate(s, save=False)
    assert current(s)
    assert stored(s) == computed(s)
    assert ox.Triple(
        ox.NamedNode("urn:x:membership"), ROLE, ox.NamedNode(lead.value.replace("lead-member", "representative"))
    ) in stored(s)
    s.close()


def test_a_graph_store_protocol_write_is_followed(kept, tmp_path):
    from service import create_app
    from service.auth import TokenStore
    from service.settings import Settings

    settings = Settings.load({}, tokens=str(tmp_path / "t.json"))
    client = create_app(settings, store=kept).test_client()
    auth = {"Authorization": f"Bearer {TokenStore(settings.tokens).create('tests')}"}
    body = f"<{ID}meeting/x-3> <{PK.meetingOf}> <{ID}body/csp-clb> . <{ID}decision/x-3> <{PK.atMeeting}> <{ID}meeting/x-3> ."
    put = client.put("/data", query_string={"graph": EXTRA.value}, data=body, content_type="text/turtle", headers=auth)
    assert put.status_code == 201
    assert current(kept)
    owner = ox.NamedNode(ID + "partnership/cumbria-strategic-partnership")
    assert ox.Triple(ox.NamedNode(ID + "decision/x-3"), FOR_PARTNERSHIP, owner) in stored(kept)
    assert stored(kept) == computed(kept)


@pytest.mark.parametrize("bulk", [False, True])
def test_a_run_that_fails_while_its_entailments_are_stored_leaves_them_whole(tmp_path, monkeypatch, bulk):
    """A full run stores the entailments it computed while it goes on (in bulk at scale); a run that
    fails meanwhile ends only once they are stored, stamped and whole."""
    import time

    from service.compliance import validate as validate_module
    from service.store import embedded

    if bulk:
        monkeypatch.setattr(embedded, "BULK_TEXT", 10)
    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)
    real = s.load_new_graph

    def slow(*args, **kwargs):
        time.sleep(0.5)  # still writing when the run fails
        return real(*args, **kwargs)

    def failing(*args, **kwargs):
        raise RuntimeError("the checks failed")

    s.load_new_graph = slow  # type: ignore[method-assign]
    monkeypatch.setattr(validate_module, "_checking", failing)
    with pytest.raises(RuntimeError, match="checks failed"):
        validate(s, save=True)
    assert current(s) and stored(s) == computed(s)
    assert embedded._JOURNAL not in set(s._store.named_graphs())
    s.close()


def test_a_failed_write_of_the_entailments_fails_the_run_which_keeps_nothing(tmp_path):
    """The entailments' write is the run's: when it fails the run fails with its error, and neither
    the run nor a stamp is kept."""
    from service.compliance.validate import list_runs
    from service.store.base import StoreError

    s = EmbeddedStore(tmp_path / "store")
    init_store(s, sample=True)

    def failing(*args, **kwargs):
        raise StoreError("the disk is full")

    s.load_new_graph = failing  # type: ignore[method-assign]
    with pytest.raises(StoreError, match="disk is full"):
        validate(s, save=True)
    assert list_runs(s) == [] and stamp(s) is None
    s.close()
