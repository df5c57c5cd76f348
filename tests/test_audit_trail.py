"""The audit trail lives in its own system table (clarity_audit); `governance` is a memory table.
A database from before the split has its audit rows moved out of memory_governance at the
next start, exactly once."""

from __future__ import annotations

import json

from daemon.storage import open_database

from gov_helpers import audit_rows

OLD_ROWS = [  # as write_audit stored them in memory_governance
    {
        "actor": "clarityd",
        "action": "auto-approve",
        "proposal_id": 101,
        "target_table": "documents",
        "target_row": 1,
        "decision": "approved",
        "policy_rule": "auto: confidence 0.95 > 0.90",
        "risk_level": "low",
        "after_value": json.dumps({"title": "Runbook"}),
        "details": json.dumps({"kind": "insert"}),
    },
    {
        "actor": "ann(1000)",
        "action": "reject",
        "proposal_id": 102,
        "target_table": "sops",
        "decision": "rejected",
        "reason": "duplicate",
        "policy_rule": "rejected by an operator",
        "risk_level": "low",
        "details": json.dumps({"kind": "insert"}),
    },
]


def _as_before_the_split(url: str) -> None:
    """The database as an older clarityd left it: audit rows in memory_governance, no clarity_audit."""
    db = open_database(url)
    with db.connection_context():
        db.execute_sql("DROP TABLE clarity_audit")
        for row in OLD_ROWS:
            cols = [*row, "source", "trust_score", "version", "created_at", "updated_at", "decided_at"]
            values = [
                *row.values(),
                "governance",
                1.0,
                1,
                "2026-01-02 03:04:05",
                "2026-01-02 03:04:05",
                "2026-01-02 03:04:05",
            ]
            marks = ", ".join(["%s" if url.startswith("postgresql") else "?"] * len(values))
            db.execute_sql(f"INSERT INTO memory_governance ({', '.join(cols)}) VALUES ({marks})", values)
    db.close()


def test_old_audit_rows_move_to_clarity_audit_once(make_daemon, database_url):
    d = make_daemon(database=database_url)
    assert d.stop() == 0
    _as_before_the_split(database_url)

    d.start()
    with d.client() as c:
        assert c.rows.list(table="governance").rows == []  # governance now holds only memory rows
        (first,) = audit_rows(c, 101)
        assert (first["actor"], first["action"], first["after_value"]) == (
            "clarityd",
            "auto-approve",
            {"title": "Runbook"},
        )
        assert first["details"]["migrated_from"].startswith("memory_governance/")
        assert audit_rows(c, 102)[0]["reason"] == "duplicate"
        (marker,) = c.proposals.audit(action="migrate").entries
        assert marker.details == {"rows": 2, "from": "governance"}

        # A row filed into governance afterwards, even one that looks like an old audit row,
        # stays a memory row: the move happened once and never again.
        filed = c.proposals.create(
            table="governance", fields={"actor": "board", "action": "resolve"}, confidence=0.5, source="governance"
        )
        assert c.proposals.approve(id=filed.id).status == "applied"
    assert d.stop() == 0

    d.start()
    with d.client() as c:
        assert [r["actor"] for r in c.rows.list(table="governance").rows] == ["board"]
        assert len(c.proposals.audit(action="migrate").entries) == 1
        assert len(audit_rows(c, 101)) == 1 and len(audit_rows(c, 102)) == 1
        assert [e.action for e in c.proposals.audit(proposal_id=filed.id, order="asc").entries] == ["approve"]
