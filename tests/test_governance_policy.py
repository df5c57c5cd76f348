"""The policy file: thresholds, never-tables, self-approval, two operators, approvers,
content rules; reloaded on SIGHUP, a bad file refused while the old one stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from daemon.protocol import ErrorCode

from conftest import ROOT
from gov_helpers import audit_rows, error_code, write_policy


def test_policy_rules_from_the_file(make_daemon, tmp_path):
    path = write_policy(
        tmp_path / "policy.yaml",
        auto_approve={
            "insert_above": 0.5,
            "tables": {"documents": 0.99, "governance": "never"},
            "self_approve": ["update"],
        },
        content_rules={"secrets": ["private_key"], "patterns": {"ticket": "TKT-[0-9]{6}"}},
        approvals={"second_operator": ["delete", "schema"], "tables": {"finance_treasury": ["somebody-else"]}},
    )
    d = make_daemon(config={"governance": {"policy": path}})
    with d.client() as c:
        info = c.proposals.policy()
        assert info.from_file and info.path == path and info.policy["auto_approve"]["insert_above"] == 0.5

        assert c.proposals.create(table="sops", fields={"title": "x"}, confidence=0.6).status == "applied"
        assert c.proposals.create(table="documents", fields={"title": "x"}, confidence=0.98).status == "pending"
        assert c.proposals.create(table="compliance", fields={"title": "x"}, confidence=0.6).status == "applied"
        doc = c.proposals.create(table="documents", fields={"title": "x"}, confidence=1.0)
        assert doc.status == "applied"

        # An operator's own edit applies at once, recorded as such.
        upd = c.rows.update(table="documents", id=doc.row_id, fields={"author": "me"}, version=1)
        assert upd.status == "applied" and upd.decided_by == upd.created_by and "self" in upd.policy_rule
        assert audit_rows(c, upd.id)[0]["action"] == "self-approve"

        # Deletes need two different operators: the first approval waits for a second.
        dele = c.rows.delete(table="documents", id=doc.row_id)
        first = c.proposals.approve(id=dele.id)
        assert first.status == "pending" and len(first.approvals) == 1
        assert error_code(c.proposals.approve, id=dele.id) == ErrorCode.FORBIDDEN
        assert [a["action"] for a in audit_rows(c, dele.id)] == ["endorse"]
        assert c.rows.get(table="documents", id=doc.row_id)["version"] == 2  # still there

        # Only the named users decide finance_treasury.
        fin = c.proposals.create(table="finance_treasury", fields={"title": "Q3"}, confidence=0.2)
        assert error_code(c.proposals.approve, id=fin.id) == ErrorCode.FORBIDDEN
        assert error_code(c.proposals.reject, id=fin.id, reason="no") == ErrorCode.FORBIDDEN
        sop = c.proposals.create(table="sops", fields={"title": "Q4"}, confidence=0.2)
        assert error_code(c.proposals.approve, id=sop.id, table="finance_treasury") == ErrorCode.FORBIDDEN
        assert c.proposals.get(id=sop.id).status == "pending"

        # Content rules: only the configured ones; the extra pattern flags too.
        aws = c.proposals.create(table="sops", fields={"title": "AKIA4K7ZQ2WMX9T3PLRB"}, confidence=0.9)
        assert aws.status == "applied"
        t = c.proposals.create(table="sops", fields={"title": "see TKT-123456"}, confidence=0.9)
        assert t.status == "pending" and t.flags == ["secret:ticket"]


def test_sighup_reload_and_bad_policy_refused(make_daemon, tmp_path):
    policy = tmp_path / "policy.yaml"
    write_policy(policy, auto_approve={"insert_above": 0.9})
    d = make_daemon(config={"governance": {"policy": str(policy)}})
    with d.client() as c:
        assert c.proposals.create(table="sops", fields={"title": "a"}, confidence=0.5).status == "pending"

        write_policy(policy, auto_approve={"insert_above": 0.3})
        d.send(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while c.proposals.policy().policy["auto_approve"]["insert_above"] != 0.3:
            assert time.monotonic() < deadline, d.log()
            time.sleep(0.05)
        assert c.proposals.create(table="sops", fields={"title": "b"}, confidence=0.5).status == "applied"

        # A bad file is refused with a clear message; the policy in force stays.
        for bad in (
            "auto_approve: {insert_above: 2}\n",
            "auto_approve: {delete: true}\n",
            "content_rules: {patterns: {x: '('}}\n",
            "auto_approve: {tables: {governance: 1.5}}\n",
            "- not a mapping\n",
            "auto_approve: [\n",
        ):
            policy.write_text(bad)
            assert error_code(c.system.reload) == ErrorCode.INVALID_STATE, bad
            assert c.proposals.policy().policy["auto_approve"]["insert_above"] == 0.3
        refusals = d.log().count("reload refused")
        d.send(signal.SIGHUP)
        while d.log().count("reload refused") == refusals:  # the signal's refusal is logged, naming the file
            assert time.monotonic() < deadline + 10, d.log()
            time.sleep(0.05)
        assert str(policy) in d.log().rsplit("reload refused", 1)[1]
        assert c.proposals.create(table="sops", fields={"title": "c"}, confidence=0.5).status == "applied"

        write_policy(policy, auto_approve={"insert_above": 0.6})
        assert "policy" in c.system.reload().changes
        assert c.proposals.create(table="sops", fields={"title": "d"}, confidence=0.5).status == "pending"


def test_bad_policy_at_start_is_refused(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("auto_approve:\n  insert_above: high\n")
    config = tmp_path / "clarity.yaml"
    config.write_text(f"governance:\n  policy: {policy}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    env.update(
        CLARITY_CONFIG=str(config), CLARITY_STATE_DIR=str(tmp_path / "state"), CLARITY_SOCKET=str(tmp_path / "s.sock")
    )
    check = subprocess.run(
        [sys.executable, "-m", "daemon.main", "--check"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 78 and str(policy) in check.stderr and "insert_above" in check.stderr
    run = subprocess.run(
        [sys.executable, "-m", "daemon.main"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 78 and "insert_above" in run.stderr


def test_a_named_policy_file_that_is_missing_is_refused(make_daemon, tmp_path):
    """governance.policy names a file: if it is not there (a typo, a lost mount), the daemon
    must not quietly fall back to the built-in defaults."""
    missing = tmp_path / "nowhere" / "policy.yaml"
    config = tmp_path / "clarity.yaml"
    config.write_text(f"governance:\n  policy: {missing}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    env.update(
        CLARITY_CONFIG=str(config), CLARITY_STATE_DIR=str(tmp_path / "state"), CLARITY_SOCKET=str(tmp_path / "s.sock")
    )
    check = subprocess.run(
        [sys.executable, "-m", "daemon.main", "--check"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 78 and str(missing) in check.stderr

    # Running, the file goes away: the reload is refused and the policy in force stays.
    policy = tmp_path / "policy.yaml"
    write_policy(policy, auto_approve={"insert_above": 0.3})
    d = make_daemon(config={"governance": {"policy": str(policy)}})
    with d.client() as c:
        policy.unlink()
        assert error_code(c.system.reload) == ErrorCode.INVALID_STATE
        info = c.proposals.policy()
        assert info.from_file and info.policy["auto_approve"]["insert_above"] == 0.3
        assert c.proposals.create(table="sops", fields={"title": "a"}, confidence=0.5).status == "applied"
