"""approvals.second_operator with two real operators: root and nobody (65534), each calling
from its own uid, so the daemon tells them apart by SO_PEERCRED, not by anything they send."""

from __future__ import annotations

import os

import pytest

from daemon.protocol import ErrorCode

from gov_helpers import audit_rows, error_code, write_policy
from test_roles import NOBODY, call_as

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switching to a second uid needs root")

ROOT_ACTOR = "root(0)"
NOBODY_ACTOR = f"nobody({NOBODY})"


def test_delete_needs_two_different_operators(make_daemon, tmp_path):
    policy = write_policy(tmp_path / "policy.yaml", approvals={"second_operator": ["delete"]})
    d = make_daemon(
        config={"socket_group": "nogroup", "roles": {"operators": {"uids": [NOBODY]}}, "governance": {"policy": policy}}
    )
    os.chmod(d.dir, 0o711)  # nobody must reach the socket inside the test's directory
    with d.client() as c:
        row = c.proposals.create(table="sops", fields={"title": "to go"}, confidence=1.0)
        assert row.status == "applied"
        dele = c.rows.delete(table="sops", id=row.row_id)
        assert dele.status == "pending" and dele.kind == "delete"

        # First operator (root): recorded, but the proposal waits for a second operator.
        first = c.proposals.approve(id=dele.id)
        assert first.status == "pending"
        assert [a["actor"] for a in first.approvals] == [ROOT_ACTOR]
        assert c.rows.get(table="sops", id=row.row_id)["id"] == row.row_id  # still there

        # The same operator again: refused, nothing changes.
        assert error_code(c.proposals.approve, id=dele.id) == ErrorCode.FORBIDDEN
        assert c.proposals.get(id=dele.id).status == "pending"
        assert c.rows.get(table="sops", id=row.row_id)["id"] == row.row_id

    # A second, different operator (nobody, a real other uid): applied.
    second = call_as(NOBODY, d.socket, "proposals.approve", {"id": dele.id})
    assert "result" in second, second
    assert second["result"]["status"] == "applied"
    assert second["result"]["decided_by"] == NOBODY_ACTOR

    with d.client() as c:
        assert error_code(c.rows.get, table="sops", id=row.row_id) == ErrorCode.NOT_FOUND
        assert c.proposals.get(id=dele.id).status == "applied"
        audit = audit_rows(c, dele.id)
        assert [(a["action"], a["actor"], a["decision"]) for a in audit] == [
            ("endorse", ROOT_ACTOR, "pending"),
            ("approve", NOBODY_ACTOR, "approved"),
        ]
        assert audit[1]["reviewer"] == ROOT_ACTOR  # the final row names the first operator too
