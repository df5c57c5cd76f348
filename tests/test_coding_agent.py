"""coding_agent.*: work orders through their enforced lifecycle, changes, tests and trust, stats."""

from __future__ import annotations

import pytest

from daemon.protocol import ErrorCode, RpcError


def code_of(fn, *args, **kwargs) -> int:
    with pytest.raises(RpcError) as e:
        fn(*args, **kwargs)
    return e.value.code


def test_work_order_lifecycle_on_both_backends(daemon_on):
    with daemon_on.client() as c:
        wo = c.coding_agent.create_work_order(
            work_order_id="wo-1",
            title="Fix login",
            task_type="bug_fix",
            priority="high",
            assigned_agent="coder-1",
            description="500 on login",
        )
        assert (wo.state, wo.trust_score, wo.lines_added, wo.files_changed) == ("pending", 0.5, 0, [])
        assert code_of(c.coding_agent.work_order, work_order_id="wo-1", title="again") == ErrorCode.CONFLICT

        wo = c.coding_agent.status(work_order_id="wo-1", state="in_progress")
        assert wo.state == "in_progress" and wo.started_at is not None
        c.coding_agent.log_code_changes(work_order_id="wo-1", files=["a.py", "b.py"], lines_added=10, lines_removed=2)
        wo = c.coding_agent.code_changes(work_order_id="wo-1", files=["b.py", "c.py"], lines_added=5, lines_removed=1)
        assert (wo.files_changed, wo.lines_added, wo.lines_removed) == (["a.py", "b.py", "c.py"], 15, 3)

        wo = c.coding_agent.log_test_results(work_order_id="wo-1", total=40, passed=30, failed=10)
        assert (wo.pass_rate, wo.trust_score) == (0.75, 0.75)
        wo = c.coding_agent.test_results(work_order_id="wo-1", total=40, passed=38, failed=1)  # one skipped
        assert (wo.tests_total, wo.tests_passed, wo.tests_failed) == (40, 38, 1)
        assert wo.trust_score == pytest.approx(38 / 40)

        c.coding_agent.update_status(work_order_id="wo-1", state="review")
        wo = c.coding_agent.deployed(work_order_id="wo-1", impact="login works again")
        assert (wo.state, wo.impact) == ("deployed", "login works again")
        assert wo.deployed_at is not None and wo.completed_at == wo.deployed_at
        assert c.coding_agent.get(work_order_id="wo-1") == wo

        events = c.events.list(subject="work_order/wo-1", order="asc").events
        assert [e.type for e in events] == [
            "work_order.created",
            "work_order.status",
            "work_order.code_changes",
            "work_order.code_changes",
            "work_order.test_results",
            "work_order.test_results",
            "work_order.status",
            "work_order.deployed",
        ]
        assert [(e.payload["from"], e.payload["to"]) for e in events if "from" in e.payload] == [
            ("pending", "in_progress"),
            ("in_progress", "review"),
            ("review", "deployed"),
        ]


def test_illegal_moves_and_bad_input(daemon):
    with daemon.client() as c:
        generated = c.coding_agent.work_order(title="Write docs", task_type="docs")
        assert generated.work_order_id.startswith("wo-")
        c.coding_agent.work_order(work_order_id="w", title="t")
        # Skipping ahead, going back, staying put: INVALID_STATE.
        for state in ("review", "deployed", "pending"):
            assert code_of(c.coding_agent.status, work_order_id="w", state=state) == ErrorCode.INVALID_STATE
        assert code_of(c.coding_agent.deployed, work_order_id="w") == ErrorCode.INVALID_STATE
        c.coding_agent.status(work_order_id="w", state="in_progress")
        assert code_of(c.coding_agent.status, work_order_id="w", state="pending") == ErrorCode.INVALID_STATE
        assert code_of(c.coding_agent.status, work_order_id="w", state="deployed") == ErrorCode.INVALID_STATE
        # failed / cancelled from any open state; nothing moves a closed one.
        wo = c.coding_agent.status(work_order_id="w", state="cancelled", reason="duplicate")
        assert wo.state == "cancelled" and wo.completed_at is not None
        for state in ("in_progress", "failed", "cancelled"):
            assert code_of(c.coding_agent.status, work_order_id="w", state=state) == ErrorCode.INVALID_STATE
        assert code_of(c.coding_agent.code_changes, work_order_id="w", files=["x"]) == ErrorCode.INVALID_STATE
        assert code_of(c.coding_agent.test_results, work_order_id="w", total=1, passed=1) == ErrorCode.INVALID_STATE
        c.coding_agent.work_order(work_order_id="p", title="t")
        assert c.coding_agent.status(work_order_id="p", state="failed").state == "failed"

        for method, params, code in [
            ("coding_agent.work_order", {"title": ""}, ErrorCode.INVALID_PARAMS),
            ("coding_agent.work_order", {"title": "t", "priority": "asap"}, ErrorCode.INVALID_PARAMS),
            ("coding_agent.work_order", {"title": "t", "task_type": "magic"}, ErrorCode.INVALID_PARAMS),
            (
                "coding_agent.code_changes",
                {"work_order_id": generated.work_order_id, "lines_added": -3},
                ErrorCode.INVALID_PARAMS,
            ),
            (
                "coding_agent.code_changes",
                {"work_order_id": generated.work_order_id, "files": "a.py"},
                ErrorCode.INVALID_PARAMS,
            ),
            (
                "coding_agent.test_results",
                {"work_order_id": generated.work_order_id, "total": 3, "passed": 3, "failed": 1},
                ErrorCode.INVALID_PARAMS,
            ),
            (
                "coding_agent.test_results",
                {"work_order_id": generated.work_order_id, "total": "ten", "passed": 3},
                ErrorCode.INVALID_PARAMS,
            ),
            (
                "coding_agent.status",
                {"work_order_id": generated.work_order_id, "state": "done"},
                ErrorCode.INVALID_PARAMS,
            ),
            ("coding_agent.status", {"work_order_id": "nope", "state": "failed"}, ErrorCode.NOT_FOUND),
            ("coding_agent.code_changes", {"work_order_id": "nope"}, ErrorCode.NOT_FOUND),
            ("coding_agent.deployed", {"work_order_id": "nope"}, ErrorCode.NOT_FOUND),
            ("coding_agent.get", {"work_order_id": "nope"}, ErrorCode.NOT_FOUND),
        ]:
            assert code_of(c.call_raw, method, params) == code, (method, params)
        assert c.system.health().status == "ok"


def _deploy(c, wid: str, agent: str, total: int, passed: int) -> None:
    c.coding_agent.work_order(work_order_id=wid, title=wid, assigned_agent=agent, task_type="feature")
    c.coding_agent.status(work_order_id=wid, state="in_progress")
    c.coding_agent.code_changes(work_order_id=wid, files=[f"{wid}.py"], lines_added=10, lines_removed=4)
    c.coding_agent.test_results(work_order_id=wid, total=total, passed=passed, failed=total - passed)
    c.coding_agent.status(work_order_id=wid, state="review")
    c.coding_agent.deployed(work_order_id=wid)


def test_stats_against_values_computed_by_hand(daemon):
    with daemon.client() as c:
        _deploy(c, "d1", "alice", 10, 10)
        _deploy(c, "d2", "alice", 4, 3)
        _deploy(c, "d3", "bob", 20, 5)
        c.coding_agent.work_order(work_order_id="r1", title="r1", assigned_agent="bob", task_type="refactor")
        c.coding_agent.status(work_order_id="r1", state="in_progress")
        c.coding_agent.test_results(work_order_id="r1", total=2, passed=1, failed=1)
        c.coding_agent.work_order(work_order_id="x1", title="x1", task_type="docs")
        c.coding_agent.status(work_order_id="x1", state="cancelled")

        s = c.coding_agent.stats()
        assert s.total == 5
        assert s.by_state == {"pending": 0, "in_progress": 1, "review": 0, "deployed": 3, "failed": 0, "cancelled": 1}
        assert s.by_task_type == {"docs": 1, "feature": 3, "refactor": 1}
        assert (s.lines_added, s.lines_removed) == (30, 12)
        # Pass rates: 10/10, 3/4, 5/20, 1/2 -> mean (1 + .75 + .25 + .5) / 4; overall 19 / 36.
        assert s.pass_rates.work_orders_tested == 4
        assert s.pass_rates.mean == pytest.approx(0.625)
        assert s.pass_rates.overall == pytest.approx(19 / 36)

        # Lead times from the work orders' own timestamps, by hand (nearest-rank percentiles).
        orders = [c.coding_agent.get(work_order_id=w) for w in ("d1", "d2", "d3")]
        lead = sorted((o.deployed_at - o.created_at).total_seconds() for o in orders)
        cycle = sorted((o.deployed_at - o.started_at).total_seconds() for o in orders)
        assert s.lead_time.count == 3
        assert s.lead_time.mean_s == pytest.approx(sum(lead) / 3, abs=1e-6)
        assert s.lead_time.p50_s == pytest.approx(lead[1], abs=1e-6)  # ceil(0.5 * 3) = 2nd
        assert s.lead_time.p95_s == pytest.approx(lead[2], abs=1e-6)  # ceil(0.95 * 3) = 3rd
        assert s.cycle_time.mean_s == pytest.approx(sum(cycle) / 3, abs=1e-6)

        bob = c.coding_agent.stats(assigned_agent="bob")
        assert bob.total == 2 and bob.by_state["deployed"] == 1 and bob.by_state["in_progress"] == 1
        assert bob.pass_rates.overall == pytest.approx(6 / 22)
        assert c.coding_agent.stats(assigned_agent="nobody").total == 0


def test_a_work_order_recorded_through_governance_starts_pending(daemon):
    # A row from an ingested file has no state: it is a pending work order, not a closed one.
    from test_self_healing import recorded_through_governance

    with daemon.client() as c:
        recorded_through_governance(c, "coding_agent", {"work_order_id": "ing-wo", "title": "From a ticket"})
        assert c.coding_agent.get(work_order_id="ing-wo").state == "pending"
        assert c.coding_agent.stats().by_state["pending"] == 1
        assert c.coding_agent.code_changes(work_order_id="ing-wo", files=["a.py"]).state == "pending"
        assert c.coding_agent.status(work_order_id="ing-wo", state="in_progress").state == "in_progress"
        assert code_of(c.coding_agent.status, work_order_id="ing-wo", state="deployed") == ErrorCode.INVALID_STATE


def test_counts_out_of_range_are_invalid_params(daemon):
    with daemon.client() as c:
        c.coding_agent.work_order(work_order_id="big", title="t")
        for method, params in [
            ("coding_agent.code_changes", {"work_order_id": "big", "lines_added": 2**64}),
            ("coding_agent.test_results", {"work_order_id": "big", "total": 2**64, "passed": 1}),
        ]:
            assert code_of(c.call_raw, method, params) == ErrorCode.INVALID_PARAMS, method
        assert c.coding_agent.get(work_order_id="big").lines_added == 0
