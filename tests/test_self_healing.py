"""self_healing.*: playbook runs, per-playbook stats and trust, rankings."""

from __future__ import annotations

from datetime import datetime, timedelta, UTC

import pytest

from daemon.protocol import ErrorCode, RpcError


def code_of(fn, *args, **kwargs) -> int:
    with pytest.raises(RpcError) as e:
        fn(*args, **kwargs)
    return e.value.code


def test_runs_stats_and_trust_by_hand_on_both_backends(daemon_on):
    with daemon_on.client() as c:
        runs = [(True, 100.0), (True, 300.0), (False, 1000.0), (True, 200.0), (True, None)]
        trust = 0.5
        good = 0
        for n, (ok, ms) in enumerate(runs, start=1):
            run = c.self_healing.log_playbook_execution(
                playbook_name="restart-api",
                success=ok,
                duration_ms=ms,
                risk_level="medium",
                trigger_conditions={"alert": "api_5xx", "threshold": 0.05},
                trigger_event="alert-17",
                actions=["drain", {"restart": "api"}, "verify"],
                target_components=["api", "lb"],
                error=None if ok else "health check still failing",
                rolled_back=not ok,
            )
            good += ok
            trust = 0.7 * good / n + 0.3 * trust  # the rule, by hand
            assert (run.runs, run.success_rate) == (n, pytest.approx(good / n))
            assert run.trust_score == pytest.approx(trust)

        s = c.self_healing.get_playbook_stats(playbook_name="restart-api")
        assert (s.runs, s.successes, s.failures, s.rolled_back) == (5, 4, 1, 1)
        assert s.success_rate == pytest.approx(0.8)
        assert s.mean_duration_ms == pytest.approx((100 + 300 + 1000 + 200) / 4)  # the run without duration is out
        assert s.p95_duration_ms == 1000.0  # nearest rank: ceil(0.95 * 4) = 4th of [100, 200, 300, 1000]
        assert s.trust_score == pytest.approx(trust)
        assert s.last_success is True and s.last_run_at is not None

        row = c.rows.get(table="self_healing", id=run.id)
        assert row["actions"] == ["drain", {"restart": "api"}, "verify"]
        assert row["trigger_conditions"] == {"alert": "api_5xx", "threshold": 0.05}
        assert row["target_components"] == ["api", "lb"] and row["risk_level"] == "medium"
        events = c.events.list(type="playbook", subject="playbook/restart-api").events
        assert len(events) == 5 and events[0].payload["trust_score"] == pytest.approx(trust)


def test_top_playbooks_and_windows(daemon):
    with daemon.client() as c:
        long_ago = datetime.now(UTC) - timedelta(days=3)
        for _ in range(4):
            c.self_healing.log(playbook_name="clear-disk", success=True, duration_ms=50)
        c.self_healing.log(playbook_name="flaky", success=True)
        c.self_healing.log(playbook_name="flaky", success=False)
        for _ in range(3):
            c.self_healing.log(playbook_name="old", success=False, executed_at=long_ago)

        by_runs = c.self_healing.get_top_playbooks()
        assert [(s.playbook_name, s.runs) for s in by_runs] == [("clear-disk", 4), ("old", 3), ("flaky", 2)]
        by_rate = c.self_healing.top_playbooks(by="success_rate")
        assert [s.playbook_name for s in by_rate] == ["clear-disk", "flaky", "old"]
        # Trusts by hand: clear-disk 0.85, 0.955, 0.9865, 0.99595; flaky 0.85 then 0.7*.5 + 0.3*.85 = 0.605;
        # old 0.15, 0.045, 0.0135.
        by_trust = c.self_healing.top_playbooks(by="trust")
        assert [(s.playbook_name, round(s.trust_score, 5)) for s in by_trust] == [
            ("clear-disk", 0.99595),
            ("flaky", 0.605),
            ("old", 0.0135),
        ]
        day = 86400.0
        assert [s.playbook_name for s in c.self_healing.top_playbooks(window_s=day)] == ["clear-disk", "flaky"]
        assert [s.playbook_name for s in c.self_healing.top_playbooks(min_runs=3, limit=1)] == ["clear-disk"]

        windowed = c.self_healing.stats(playbook_name="old", window_s=day)
        assert windowed.runs == 0 and windowed.trust_score == pytest.approx(0.0135)
        assert c.self_healing.stats(playbook_name="old").runs == 3

        assert code_of(c.self_healing.stats, playbook_name="never-ran") == ErrorCode.NOT_FOUND
        for params in [
            {"success": True},
            {"playbook_name": "p", "success": "maybe"},
            {"playbook_name": "p", "success": True, "risk_level": "extreme"},
            {"playbook_name": "p", "success": True, "duration_ms": -5},
            {"playbook_name": "p", "success": True, "actions": "restart"},
            {"playbook_name": "p", "success": True, "executed_at": "yesterday"},
        ]:
            assert code_of(c.call_raw, "self_healing.log", params) == ErrorCode.INVALID_PARAMS, params
        assert code_of(c.call_raw, "self_healing.top_playbooks", {"by": "luck"}) == ErrorCode.INVALID_PARAMS


def recorded_through_governance(c, table: str, fields: dict) -> int:
    """A row that reached the table as ingestion puts it there (a proposal), not through the RPC."""
    proposal = c.proposals.create(table=table, fields=fields, confidence=0.99, reasoning="from a runbook file")
    if proposal.status == "pending":
        proposal = c.proposals.approve(id=proposal.id)
    assert proposal.status == "applied"
    return proposal.row_id


def test_stats_count_runs_that_arrived_without_executed_at(daemon_on):
    # A run row from an ingested file may lack executed_at: its creation time stands in.
    with daemon_on.client() as c:
        c.self_healing.log(playbook_name="flush-cache", success=True, duration_ms=40)
        recorded_through_governance(c, "self_healing", {"playbook_name": "flush-cache", "success": False})
        s = c.self_healing.stats(playbook_name="flush-cache")
        assert (s.runs, s.successes, s.last_success) == (2, 1, False)  # the ingested run is the latest
        assert c.self_healing.stats(playbook_name="flush-cache", window_s=3600).runs == 2
        assert [t.playbook_name for t in c.self_healing.top_playbooks()] == ["flush-cache"]


def test_out_of_range_values_are_invalid_params(daemon):
    with daemon.client() as c:
        for params in [
            {"playbook_name": "p", "success": True, "attempt": 2**64},
            {"playbook_name": "p", "success": True, "executed_at": "0001-01-01T00:00:00+05:00"},
        ]:
            assert code_of(c.call_raw, "self_healing.log", params) == ErrorCode.INVALID_PARAMS, params
        assert c.system.health().status == "ok"
