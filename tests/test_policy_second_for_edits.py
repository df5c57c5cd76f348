"""approvals.second_operator: [update] — an operator's own edit needs a second person: the
editor's approval is recorded but not enough, and approving again is FORBIDDEN (the
console's README documents this as the way to require four eyes on edits)."""

from __future__ import annotations

from daemon.protocol import ErrorCode

from gov_helpers import error_code, write_policy


def test_an_edit_waits_for_a_second_operator(make_daemon, tmp_path):
    policy = write_policy(tmp_path / "policy.yaml", approvals={"second_operator": ["update"]})
    d = make_daemon(config={"governance": {"policy": policy}})
    with d.client() as c:
        row = c.proposals.create(table="sops", fields={"title": "Restart"}, confidence=1.0)
        edit = c.rows.update(table="sops", id=row.row_id, version=1, fields={"title": "Restart workers"})
        assert edit.status == "pending"
        assert c.proposals.approve(id=edit.id).status == "pending"  # recorded: one of two
        assert error_code(c.proposals.approve, id=edit.id) == ErrorCode.FORBIDDEN  # not the same person twice
        assert c.rows.get(table="sops", id=row.row_id)["title"] == "Restart"
