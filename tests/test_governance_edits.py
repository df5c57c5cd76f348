"""Edits through the same door (rows.update / rows.delete are proposals), stale versions,
failed applies, and undo; on SQLite and PostgreSQL."""

from __future__ import annotations

from daemon.protocol import ErrorCode

from gov_helpers import audit_rows, error_code, events


def _row(c, **fields):
    p = c.proposals.create(table="documents", fields={"title": "Doc", **fields}, confidence=0.99)
    assert p.status == "applied"
    return p


def test_update_delete_and_stale_versions(daemon_on):
    with daemon_on.client() as c:
        rid = _row(c, author="ann").row_id

        upd = c.rows.update(table="documents", id=rid, fields={"author": "bob"}, version=1, reasoning="typo")
        assert upd.kind == "update" and upd.status == "pending" and upd.expected_version == 1
        assert c.rows.get(table="documents", id=rid)["author"] == "ann"  # nothing changes before approval
        done = c.proposals.approve(id=upd.id)
        assert done.status == "applied" and done.before["author"] == "ann" and done.after["author"] == "bob"
        row = c.rows.get(table="documents", id=rid)
        assert row["author"] == "bob" and row["version"] == 2
        (updated,) = events(c, "row.updated", f"documents/{rid}")
        assert updated["payload"]["version"] == 2 and updated["payload"]["fields"] == ["author"]
        (audit,) = audit_rows(c, upd.id)
        assert audit["before_value"]["author"] == "ann" and audit["after_value"]["author"] == "bob"

        # An edit made against an old version is refused at once...
        assert (
            error_code(c.rows.update, table="documents", id=rid, fields={"author": "x"}, version=1)
            == ErrorCode.CONFLICT
        )
        # ...and one that goes stale while waiting is a conflict at approval, never an overwrite.
        first = c.rows.update(table="documents", id=rid, fields={"author": "carol"}, version=2)
        second = c.rows.update(table="documents", id=rid, fields={"language": "en"}, version=2)
        assert c.proposals.approve(id=second.id).status == "applied"
        assert error_code(c.proposals.approve, id=first.id) == ErrorCode.CONFLICT
        stale = c.proposals.get(id=first.id)
        assert stale.status == "failed" and "version 2" in stale.error
        row = c.rows.get(table="documents", id=rid)
        assert row["author"] == "bob" and row["language"] == "en" and row["version"] == 3
        assert [a["decision"] for a in audit_rows(c, first.id)] == ["approved", "failed"]

        assert error_code(c.rows.update, table="documents", id=rid, fields={}, version=3) == ErrorCode.INVALID_PARAMS
        assert (
            error_code(c.rows.update, table="documents", id=rid, fields={"version": 9}, version=3)
            == ErrorCode.INVALID_PARAMS
        )
        assert (
            error_code(c.rows.update, table="documents", id=999, fields={"author": "x"}, version=1)
            == ErrorCode.NOT_FOUND
        )

        # Deletes are never auto-approved.
        dele = c.rows.delete(table="documents", id=rid, version=3)
        assert dele.status == "pending" and "never" in dele.policy_rule
        assert c.proposals.approve(id=dele.id).status == "applied"
        assert error_code(c.rows.get, table="documents", id=rid) == ErrorCode.NOT_FOUND
        assert events(c, "row.deleted", f"documents/{rid}")[0]["payload"]["proposal"] == dele.id

        # The audit trail is a system table: no memory table holds it, no method edits it.
        assert audit_rows(c, dele.id)[0]["action"] == "approve"
        assert c.rows.list(table="governance").rows == []
        assert (
            error_code(c.rows.update, table="clarity_audit", id=1, fields={"reason": "x"}, version=1)
            == ErrorCode.NOT_FOUND
        )
        assert error_code(c.rows.delete, table="clarity_audit", id=1) == ErrorCode.NOT_FOUND


def test_an_edit_cannot_empty_a_required_field(daemon_on):
    """Clearing a required field (the console's empty value is null) is refused, in an edit
    and in an approver's correction of one; the row keeps its value."""
    with daemon_on.client() as c:
        rid = _row(c).row_id
        for empty in (None, ""):
            assert (
                error_code(c.rows.update, table="documents", id=rid, fields={"title": empty}, version=1)
                == ErrorCode.INVALID_PARAMS
            )
        upd = c.rows.update(table="documents", id=rid, fields={"title": "Renamed"}, version=1)
        assert error_code(c.proposals.approve, id=upd.id, fields={"title": None}) == ErrorCode.INVALID_PARAMS
        assert c.proposals.get(id=upd.id).status == "pending"
        assert c.rows.get(table="documents", id=rid)["title"] == "Doc"
        assert c.proposals.approve(id=upd.id, fields={"author": "ann"}).status == "applied"
        assert c.rows.get(table="documents", id=rid)["title"] == "Renamed"


def _refuse_title(database: str, title: str) -> None:
    """Make the database itself refuse rows titled ``title`` (behind the daemon's back)."""
    if database.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database.removeprefix("sqlite:///")) as db:
            db.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON memory_documents WHEN NEW.title = '{title}' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
    else:
        import psycopg2

        with psycopg2.connect(database) as db, db.cursor() as cur:
            cur.execute(f"ALTER TABLE memory_documents ADD CONSTRAINT refuse CHECK (title <> '{title}')")


def test_failed_apply_leaves_the_table_untouched(daemon_on):
    with daemon_on.client() as c:
        before = c.rows.list(table="documents", count=True).total
        # Values beyond 64 bits, which used to fail here, are now refused at the door (-32602).
        assert (
            error_code(
                c.proposals.create, table="documents", fields={"title": "Huge", "page_count": 10**19}, confidence=0.99
            )
            == ErrorCode.INVALID_PARAMS
        )
        _refuse_title(daemon_on.env["CLARITY_DATABASE"], "Huge")  # the database refuses it when applying
        p = c.proposals.create(table="documents", fields={"title": "Huge"}, confidence=0.99)
        assert p.status == "failed" and p.error and p.row_id is None
        assert c.rows.list(table="documents", count=True).total == before
        assert [a["decision"] for a in audit_rows(c, p.id)] == ["approved", "failed"]
        assert events(c, "proposal.failed", f"proposal/{p.id}")[0]["payload"]["table"] == "documents"
        # The same through a manual approval: the proposal fails, the answer says why.
        q = c.proposals.create(table="documents", fields={"title": "Huge"}, confidence=0.2)
        done = c.proposals.approve(id=q.id)
        assert done.status == "failed" and done.error
        assert c.rows.list(table="documents", count=True).total == before
        assert c.system.health().status == "ok"


def test_undo_insert_update_delete(daemon_on):
    with daemon_on.client() as c:
        ins = _row(c, author="ann", tags=["a"])
        rid = ins.row_id
        upd = c.proposals.approve(id=c.rows.update(table="documents", id=rid, fields={"author": "bob"}, version=1).id)

        undo_upd = c.proposals.revert(id=upd.id, reason="bob is wrong")
        assert undo_upd.kind == "update" and undo_upd.reverts == upd.id and undo_upd.status == "pending"
        assert undo_upd.payload == {"author": "ann"}
        assert error_code(c.proposals.revert, id=upd.id) == ErrorCode.CONFLICT  # one undo at a time
        assert c.proposals.approve(id=undo_upd.id).status == "applied"
        assert c.rows.get(table="documents", id=rid)["author"] == "ann"
        assert c.proposals.get(id=upd.id).reverted_by == undo_upd.id
        assert audit_rows(c, undo_upd.id)[0]["details"]["reverts"] == upd.id
        assert error_code(c.proposals.revert, id=upd.id) == ErrorCode.INVALID_STATE  # already undone

        # Undoing the insert now would delete a row that changed since: a conflict.
        assert error_code(c.proposals.revert, id=ins.id) == ErrorCode.CONFLICT

        dele = c.proposals.approve(id=c.rows.delete(table="documents", id=rid).id)
        restore = c.proposals.revert(id=dele.id)
        assert restore.kind == "insert" and restore.row_id == rid and restore.status == "pending"
        back = c.proposals.approve(id=restore.id)
        assert back.status == "applied" and back.row_id == rid
        row = c.rows.get(table="documents", id=rid)  # same id, same content, created_at kept
        assert row["author"] == "ann" and row["tags"] == ["a"] and row["created_at"] == dele.before["created_at"]
        assert row["version"] == dele.before["version"] + 1

        fresh = _row(c, author="zed")
        gone = c.proposals.revert(id=fresh.id)
        assert gone.kind == "delete" and gone.row_id == fresh.row_id
        assert c.proposals.approve(id=gone.id).status == "applied"
        assert error_code(c.rows.get, table="documents", id=fresh.row_id) == ErrorCode.NOT_FOUND

        pending = c.proposals.create(table="documents", fields={"title": "x"}, confidence=0.1)
        assert error_code(c.proposals.revert, id=pending.id) == ErrorCode.INVALID_STATE
        assert error_code(c.proposals.revert, id=12345) == ErrorCode.NOT_FOUND


def test_undo_never_reaches_a_new_row_under_a_reused_id(daemon_on):
    """SQLite hands the id of a deleted last row to the next insert. Undoing the first row's
    insert must not delete the newcomer, and undoing the delete must not collide with it."""
    with daemon_on.client() as c:
        first = _row(c, author="ann")
        dele = c.proposals.approve(id=c.rows.delete(table="documents", id=first.row_id).id)
        assert dele.status == "applied"
        newcomer = _row(c, author="zed")
        if newcomer.row_id != first.row_id:  # PostgreSQL never reuses an id: the row is simply gone
            assert error_code(c.proposals.revert, id=first.id) == ErrorCode.INVALID_STATE
            return
        assert error_code(c.proposals.revert, id=first.id) == ErrorCode.INVALID_STATE
        assert error_code(c.proposals.revert, id=dele.id) == ErrorCode.CONFLICT
        assert c.rows.get(table="documents", id=newcomer.row_id)["author"] == "zed"
        assert c.proposals.pending().proposals == []
