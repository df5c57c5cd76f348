"""Proposals through the RPC client, on SQLite and PostgreSQL: auto-approval, the pending
queue, manual approval, approval with corrections, rejection, the audit trail and events."""

from __future__ import annotations

from daemon.protocol import ErrorCode

from gov_helpers import audit_rows, error_code, events


def test_auto_approval_applies_and_audits(daemon_on):
    with daemon_on.client() as c:
        p = c.proposals.create(
            table="documents",
            fields={"title": "Runbook", "word_count": "120"},
            confidence=0.95,
            reasoning="looks like a document",
            source="/inbox/runbook.md",
        )
        assert p.status == "applied" and p.decided_by == "clarityd"
        assert p.policy_rule.startswith("auto-approved")
        row = c.rows.get(table="documents", id=p.row_id)
        assert row["title"] == "Runbook" and row["word_count"] == 120  # coerced to the column's type
        assert row["source"] == "/inbox/runbook.md" and row["trust_score"] == 0.95 and row["version"] == 1
        assert p.after["id"] == p.row_id

        (audit,) = audit_rows(c, p.id)
        assert audit["actor"] == "clarityd" and audit["action"] == "auto-approve"
        assert audit["decision"] == "approved" and audit["policy_rule"] == p.policy_rule
        assert audit["target_table"] == "documents" and audit["target_row"] == p.row_id
        assert audit["after_value"]["title"] == "Runbook"

        types = [e["type"] for e in events(c, "proposal", f"proposal/{p.id}")]
        assert types == ["proposal.created", "proposal.approved", "proposal.applied"]
        approved = events(c, "proposal.approved", f"proposal/{p.id}")[0]["payload"]
        assert approved["table"] == "documents" and approved["kind"] == "insert" and approved["auto"] is True
        (inserted,) = events(c, "row.inserted", f"documents/{p.row_id}")
        assert inserted["payload"]["proposal"] == p.id

        # The threshold is strictly greater than 0.90; a missing required field waits too.
        at = c.proposals.create(table="documents", fields={"title": "Edge"}, confidence=0.90)
        assert at.status == "pending" and "0.90" in at.policy_rule
        untitled = c.proposals.create(table="documents", fields={"word_count": 3}, confidence=0.99)
        assert untitled.status == "pending" and "title" in untitled.policy_rule
        # Tables the policy never auto-approves.
        assert c.proposals.create(table="compliance", fields={"title": "SOC2"}, confidence=0.99).status == "pending"


def test_pending_queue_approve_with_corrections_and_reject(daemon_on):
    with daemon_on.client() as c:
        low = c.proposals.create(
            table="documents",
            fields={"title": "Draft", "author": "ann", "page_count": 3},
            confidence=0.40,
            source="/inbox/a.txt",
        )
        mid = c.proposals.create(table="documents", fields={"title": "Memo"}, confidence=0.70, source="/inbox/b.txt")
        other = c.proposals.create(table="sops", fields={"title": "Backup SOP"}, confidence=0.60, source="agent-7")

        page = c.proposals.pending(count=True)
        assert [p.id for p in page.proposals] == [low.id, mid.id, other.id] and page.total == 3
        assert [p.id for p in c.proposals.pending(table="sops").proposals] == [other.id]
        middle = c.proposals.pending(min_confidence=0.5, max_confidence=0.7).proposals
        assert [p.id for p in middle] == [mid.id, other.id]
        assert [p.id for p in c.proposals.pending(source="/inbox/").proposals] == [low.id, mid.id]
        assert c.proposals.pending(kind="schema").proposals == []
        first = c.proposals.pending(limit=2)
        rest = c.proposals.pending(limit=2, cursor=first.next_cursor)
        assert [p.id for p in first.proposals + rest.proposals] == [low.id, mid.id, other.id]
        assert rest.next_cursor is None
        assert error_code(c.proposals.pending, kind="nonsense") == ErrorCode.INVALID_PARAMS

        # Approve with a corrected title and a move to another table (author has no column there).
        done = c.proposals.approve(id=low.id, table="sops", fields={"title": "Restore procedure"}, note="it is an SOP")
        assert done.status == "applied" and done.table == "sops" and done.decided_by.endswith("(0)")
        assert done.corrections["table"] == "documents" and set(done.corrections["dropped"]) == {"author", "page_count"}
        assert done.corrections["fields"]["title"] == {"from": "Draft", "to": "Restore procedure"}
        assert c.rows.get(table="sops", id=done.row_id)["title"] == "Restore procedure"
        (audit,) = audit_rows(c, low.id)
        assert audit["actor"] == done.decided_by and audit["action"] == "approve" and audit["reason"] == "it is an SOP"
        assert audit["details"]["corrections"]["table"] == "documents"
        approved = events(c, "proposal.approved", f"proposal/{low.id}")[0]["payload"]
        assert (approved["table"], approved["original_table"], approved["kind"]) == ("sops", "documents", "insert")

        # A decided proposal cannot be decided again, by anyone.
        assert error_code(c.proposals.approve, id=low.id) == ErrorCode.CONFLICT
        assert error_code(c.proposals.reject, id=low.id, reason="late") == ErrorCode.CONFLICT

        # Rejection needs a reason.
        assert error_code(c.call_raw, "proposals.reject", {"id": mid.id}) == ErrorCode.INVALID_PARAMS
        assert error_code(c.proposals.reject, id=mid.id, reason="   ") == ErrorCode.INVALID_PARAMS
        rejected = c.proposals.reject(id=mid.id, reason="not a real memo")
        assert rejected.status == "rejected" and rejected.note == "not a real memo"
        (audit,) = audit_rows(c, mid.id)
        assert audit["decision"] == "rejected" and audit["reason"] == "not a real memo"
        payload = events(c, "proposal.rejected", f"proposal/{mid.id}")[0]["payload"]
        assert payload["table"] == "documents" and payload["kind"] == "insert"
        assert c.rows.list(table="documents", count=True).total == 0

        history = c.proposals.history(count=True)
        assert [p.id for p in history.proposals] == [mid.id, low.id] and history.total == 2
        assert [p.id for p in c.proposals.history(status="rejected").proposals] == [mid.id]
        assert [p.id for p in c.proposals.pending().proposals] == [other.id]

        assert error_code(c.proposals.get, id=9999) == ErrorCode.NOT_FOUND
        assert error_code(c.proposals.approve, id=9999) == ErrorCode.NOT_FOUND
        assert c.proposals.get(id=other.id).status == "pending"


def test_required_fields_flags_and_bad_input(daemon):
    with daemon.client() as c:
        untitled = c.proposals.create(table="documents", fields={"word_count": 3}, confidence=0.99)
        assert error_code(c.proposals.approve, id=untitled.id) == ErrorCode.INVALID_PARAMS
        assert c.proposals.get(id=untitled.id).status == "pending"  # the refusal changed nothing
        assert c.proposals.approve(id=untitled.id, fields={"title": "Named"}).status == "applied"

        secret = "deploy key AKIA4K7ZQ2WMX9T3PLRB for prod"
        flagged = c.proposals.create(table="documents", fields={"title": "Notes", "summary": secret}, confidence=0.99)
        assert flagged.status == "pending" and flagged.flags == ["secret:aws_access_key"]
        assert "secret" in flagged.policy_rule and "AKIA" not in flagged.policy_rule
        assert [p.id for p in c.proposals.pending(flagged=True).proposals] == [flagged.id]

        assert error_code(c.proposals.create, table="nope", fields={}, confidence=0.5) == ErrorCode.NOT_FOUND
        assert (
            error_code(c.proposals.create, table="documents", fields={"colour": "red"}, confidence=0.5)
            == ErrorCode.INVALID_PARAMS
        )
        assert (
            error_code(c.proposals.create, table="documents", fields={"id": 5, "title": "x"}, confidence=0.5)
            == ErrorCode.INVALID_PARAMS
        )
        assert (
            error_code(c.proposals.create, table="documents", fields={"page_count": "many"}, confidence=0.5)
            == ErrorCode.INVALID_PARAMS
        )
        assert (
            error_code(c.call_raw, "proposals.create", {"table": "documents", "fields": {}, "confidence": 1.5})
            == ErrorCode.INVALID_PARAMS
        )
        # governance is a memory table like any other (the policy keeps it for a person).
        gov = c.proposals.create(table="governance", fields={"actor": "me", "action": "x"}, confidence=0.99)
        assert gov.status == "pending" and c.proposals.approve(id=gov.id).status == "applied"
        assert c.system.health().status == "ok"


MINUTES = """# Board meeting minutes

Motion: adopt the new travel policy
Quorum: 5 of 7 present
Decision: approved
Approver: the board
Resolved: travel policy adopted
"""


def test_board_minutes_are_filed_in_governance_and_never_reach_the_audit_trail(daemon, tmp_path):
    """Inference may route a file (minutes full of decisions) to `governance`: it is filed
    there like any row. Whatever its fields say (even an audit entry's), the audit trail
    (clarity_audit) only gets the daemon's own entry for the approval. An agent's proposal
    naming the same file as its source does not supersede the file's own proposal either."""
    path = tmp_path / "board-minutes.md"
    path.write_text(MINUTES)
    with daemon.client() as c:
        record = c.ingest.file(path=str(path))
        p = c.proposals.get(id=record.proposal_id)
        assert (p.table, p.status, p.created_by) == ("governance", "pending", "clarityd"), p

        mine = c.proposals.create(table="documents", fields={"title": "my notes"}, confidence=0.5, source=str(path))
        assert mine.status == "pending"
        assert c.proposals.get(id=p.id).status == "pending"  # another producer's proposal does not replace it

        forged = {"actor": "alice(1000)", "action": "reject", "decision": "rejected", "proposal_id": mine.id}
        filed = c.proposals.approve(id=p.id, fields=forged)
        assert (filed.status, filed.table) == ("applied", "governance")
        assert c.rows.get(table="governance", id=filed.row_id)["actor"] == "alice(1000)"  # a memory row
        assert audit_rows(c, mine.id) == []  # nothing was written into the trail about `mine`
        (entry,) = audit_rows(c, p.id)
        assert (entry["action"], entry["target_table"], entry["target_row"]) == ("approve", "governance", filed.row_id)
        # Like any row, it can be edited and its filing undone.
        undo = c.proposals.revert(id=p.id)
        assert c.proposals.approve(id=undo.id).status == "applied"


def test_trust_score_must_be_between_0_and_1(daemon):
    with daemon.client() as c:
        assert (
            error_code(c.proposals.create, table="documents", fields={"title": "x", "trust_score": 5}, confidence=0.99)
            == ErrorCode.INVALID_PARAMS
        )
        row = c.proposals.create(table="documents", fields={"title": "x", "trust_score": 0.5}, confidence=0.99)
        assert row.status == "applied" and c.rows.get(table="documents", id=row.row_id)["trust_score"] == 0.5
        assert (
            error_code(c.rows.update, table="documents", id=row.row_id, fields={"trust_score": -0.1}, version=1)
            == ErrorCode.INVALID_PARAMS
        )
