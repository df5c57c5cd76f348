"""Compiled statements (daemon/storage/compiled.py) write and read exactly what Peewee
would, on both backends, and really are kept compiled for the shapes the writer uses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from daemon.catalog import load_catalog
from daemon.events import Event
from daemon.governance.models import ROW_KINDS, Proposal
from daemon.inference.learning import ProposalFeatures
from daemon.ingest import journal as j
from daemon.storage import Store, compiled, open_database

from conftest import ROOT

T0 = datetime(2026, 3, 4, 5, 6, 7, 891011)


@pytest.fixture
def store(database_url):
    s = Store(open_database(database_url), load_catalog(ROOT / "schemas"))
    s.register(Event, Proposal, ProposalFeatures, *j.MODELS)
    s.create_tables()
    with s.db.connection_context():
        yield s
    s.close()


def _plain(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "id"}


PROPOSALS = [
    dict(
        kind="insert",
        table="documents",
        payload={"title": "T", "tags": ["a", "b"], "n": 1.5},
        confidence=0.95,
        reasoning="r",
        source="/in/a.md",
        created_by="clarityd",
        policy_rule="auto",
        flags=None,
        expected_version=None,
        reverts=None,
        created_at=T0,
        updated_at=T0,
    ),
    dict(
        kind="update",
        table="documents",
        row_id=7,
        payload={"nested": {"deep": [1, {"x": None}]}},
        confidence=0.5,
        reasoning="",
        source=None,
        created_by="op",
        flags=["secret:jwt"],
        expected_version=3,
        created_at=T0,
        updated_at=T0,
    ),
    dict(
        kind="insert", table="incidents", payload={}, confidence=0.0, created_by="agent", created_at=T0, updated_at=T0
    ),
]


def test_create_and_get_match_peewee(store):
    with store.db.atomic():
        for values in PROPOSALS:
            ours = compiled.create(Proposal, **values)
            theirs = Proposal.create(**values)
            assert ours.id is not None and ours.id != theirs.id
            assert _plain(ours.__data__) == _plain(theirs.__data__)
            read_ours = Proposal.select().where(Proposal.id == ours.id).dicts().first()
            read_theirs = Proposal.select().where(Proposal.id == theirs.id).dicts().first()
            assert _plain(read_ours) == _plain(read_theirs)
            got = compiled.get(Proposal, id=ours.id)
            assert isinstance(got, Proposal) and got.__data__ == Proposal.get_by_id(ours.id).__data__
            assert not got._dirty
            assert compiled.get(Proposal, as_dict=True, id=ours.id) == read_ours
            pg = store.backend == "postgresql"  # SQLite has no FOR UPDATE
            locked = compiled.get(Proposal, for_update=pg, id=ours.id)
            assert locked.__data__ == got.__data__
        assert compiled.get(Proposal, id=10**9) is None

        docs = store.models["documents"]
        row = compiled.create(docs, title="Manual", page_count=3, word_count=None, trust_score=0.91, source="/a.pdf")
        same = docs.create(title="Manual", page_count=3, word_count=None, trust_score=0.91, source="/a.pdf")
        mine = docs.select().where(docs.id == row.id).dicts().first()
        other = docs.select().where(docs.id == same.id).dicts().first()
        ignore = {"id", "created_at", "updated_at"}
        assert {k: v for k, v in mine.items() if k not in ignore} == {k: v for k, v in other.items() if k not in ignore}

        event_id = compiled.insert(
            Event, {"type": "a.b", "subject": "s/1", "payload": {"k": [1]}, "actor": None}, returning_id=True
        )
        event = Event.get_by_id(event_id)
        assert (event.type, event.payload, event.actor) == ("a.b", {"k": [1]}, None)
        assert abs(event.created_at - datetime.utcnow()) < timedelta(minutes=5)  # the field's default, filled in
    for model in (Proposal, docs, Event):
        kept, refused = compiled.cached(model)
        assert kept > 0 and refused == 0, model  # the fast path is really taken


def test_update_matches_peewee_and_is_conditional(store):
    with store.db.atomic():
        a = Proposal.create(**PROPOSALS[0])
        b = Proposal.create(**PROPOSALS[0])
        changes = dict(
            status="applied", row_id=12, after={"id": 12, "title": "T"}, before=None, decided_at=T0, updated_at=T0
        )
        assert compiled.update(Proposal, changes, id=a.id, status="pending") == 1
        Proposal.update(**changes).where(Proposal.id == b.id, Proposal.status == "pending").execute()
        got_a = Proposal.select().where(Proposal.id == a.id).dicts().first()
        got_b = Proposal.select().where(Proposal.id == b.id).dicts().first()
        assert _plain(got_a) == _plain(got_b) and got_a["after"] == {"id": 12, "title": "T"}
        # The guard holds: no longer pending, nothing changes.
        assert compiled.update(Proposal, {"status": "failed"}, id=a.id, status="pending") == 0
        assert Proposal.get_by_id(a.id).status == "applied"
        # An expression as a value, or None in the WHERE (IS NULL): Peewee builds it, same result.
        assert compiled.update(Proposal, {"confidence": Proposal.confidence + 0.01}, id=a.id) == 1
        assert Proposal.get_by_id(a.id).confidence == pytest.approx(0.96)
        assert compiled.update(Proposal, {"note": "x"}, id=a.id, reverts=None) == 1
        assert compiled.get(Proposal, id=a.id, reverts=None).note == "x"


def test_insert_conflicts_and_upserts(store):
    with store.db.atomic():
        assert compiled.insert(j.ContentSeen, {"sha256": "ab", "entry_id": 1}, ignore_conflict=True) == 1
        assert compiled.insert(j.ContentSeen, {"sha256": "ab", "entry_id": 2}, ignore_conflict=True) == 0
        assert compiled.get(j.ContentSeen, sha256="ab").entry_id == 1
        for table in ("documents", "codebases"):
            compiled.insert(
                ProposalFeatures,
                {"proposal_id": 5, "proposed_table": table, "features": {"t": table}},
                conflict_target=("proposal_id",),
                preserve=("features", "proposed_table"),
            )
        row = ProposalFeatures.get_by_id(5)
        assert (row.proposed_table, row.features) == ("codebases", {"t": "codebases"})
        assert ProposalFeatures.select().count() == 1


def test_rows_binds_in_peewee_order_and_falls_back_on_null(store):
    with store.db.atomic():
        ids = [Proposal.create(**{**PROPOSALS[0], "source": "/in/x.md"}).id for _ in range(3)]

        def query(source, exclude, created_by):
            return lambda: (
                Proposal.select(Proposal.id)
                .where(
                    Proposal.status == "pending",
                    Proposal.source == source,
                    Proposal.id != exclude,
                    Proposal.kind.in_(ROW_KINDS),
                    Proposal.created_by == created_by,
                )
                .order_by(Proposal.id)
            )

        for exclude in ids:
            params = ["pending", "/in/x.md", exclude, *ROW_KINDS, "clarityd"]
            got = compiled.rows(Proposal, "test_rows", params, query("/in/x.md", exclude, "clarityd"))
            assert [i for (i,) in got] == [i for i in ids if i != exclude]
        # None is IS NULL in Peewee, not "= NULL": such a call is built by Peewee, whatever is cached.
        Proposal.create(**{**PROPOSALS[0], "source": None})
        got = compiled.rows(
            Proposal,
            "test_rows",
            ["pending", None, 0, *ROW_KINDS, "clarityd"],
            lambda: Proposal.select(Proposal.id).where(
                Proposal.status == "pending",
                Proposal.source.is_null(),
                Proposal.id != 0,
                Proposal.kind.in_(ROW_KINDS),
                Proposal.created_by == "clarityd",
            ),
        )
        assert len(got) == 1
