"""The original integration's examples (shared/ORIGINAL.md, "Usage Examples"), as written:
through the async client (the original awaited them), the sync client, and raw JSON-RPC with
the original argument names and nesting."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.client import AsyncClient
from daemon.protocol import ErrorCode, RpcError


async def test_the_original_examples_verbatim_through_the_async_client(daemon):
    async with AsyncClient(daemon.socket) as c:
        self_healing_integration = c.self_healing
        coding_agent_integration = c.coding_agent
        sub_agents_integration = c.sub_agents

        # Example 2: Log Self-Healing Playbook
        run = await self_healing_integration.log_playbook_execution(
            playbook_name="restart_service",
            trigger_conditions={"error_rate": 0.15},
            actions=["systemctl restart grace-backend"],
            target_components=["backend_api"],
            execution_result={"success": True, "duration_ms": 350, "risk_level": "medium"},
        )
        assert (run.success, run.duration_ms, run.risk_level, run.runs) == (True, 350.0, "medium", 1)
        stats = await self_healing_integration.get_playbook_stats(playbook_name="restart_service")
        assert (stats.runs, stats.successes, stats.mean_duration_ms) == (1, 1, 350.0)
        top = await self_healing_integration.get_top_playbooks()
        assert [t.playbook_name for t in top] == ["restart_service"]

        # Example 3: Track Coding Work
        await coding_agent_integration.create_work_order(
            work_order_id="WO-2025-123",
            title="Add user authentication",
            description="Implement JWT authentication",
            task_type="feature",
            priority="high",
        )
        await coding_agent_integration.log_code_changes(
            work_order_id="WO-2025-123",
            affected_files=["backend/auth.py", "backend/middleware.py"],
            lines_added=250,
            lines_removed=15,
        )
        wo = await coding_agent_integration.log_test_results(
            work_order_id="WO-2025-123", test_results={"total": 25, "passed": 24, "failed": 1}
        )
        assert wo.files_changed == ["backend/auth.py", "backend/middleware.py"]
        assert (wo.lines_added, wo.lines_removed) == (250, 15)
        assert (wo.tests_total, wo.tests_passed, wo.tests_failed, wo.trust_score) == (25, 24, 1, 24 / 25)
        # The lifecycle pending -> in_progress -> review -> deployed, then "mark deployed".
        await coding_agent_integration.update_work_order_status(work_order_id="WO-2025-123", state="in_progress")
        await coding_agent_integration.update_work_order_status(work_order_id="WO-2025-123", state="review")
        wo = await coding_agent_integration.mark_deployed(work_order_id="WO-2025-123")
        assert wo.state == "deployed"
        coding = await coding_agent_integration.get_stats()
        assert coding.by_state["deployed"] == 1 and coding.lines_added == 250

        # Example 4: Register Sub-Agent
        await sub_agents_integration.register_agent(
            agent_id="shard-analytics-01",
            agent_name="Analytics Shard",
            agent_type="shard",
            mission="Process analytics data",
            capabilities=["data_analysis", "reporting", "visualization"],
        )
        await sub_agents_integration.update_agent_status(
            agent_id="shard-analytics-01", status="active", current_task="generate_daily_report"
        )
        agent = await sub_agents_integration.log_task_completion(agent_id="shard-analytics-01", success=True)
        assert (agent.status, agent.tasks_completed, agent.tasks_succeeded) == ("active", 1, 1)
        beat = await sub_agents_integration.heartbeat(agent_id="shard-analytics-01")
        assert beat.agent_id == "shard-analytics-01"
        fleet = await sub_agents_integration.get_fleet_stats()
        assert fleet.total == 1 and fleet.by_type == {"shard": 1}
        mine = await sub_agents_integration.get_agent_stats(agent_id="shard-analytics-01")
        assert mine.agent.capabilities == ["data_analysis", "reporting", "visualization"]


def test_the_original_shapes_through_the_sync_client(daemon):
    with daemon.client() as c:
        run = c.self_healing.log_playbook_execution(
            playbook_name="restart_service",
            trigger_conditions={"error_rate": 0.15},
            actions=["systemctl restart grace-backend"],
            target_components=["backend_api"],
            execution_result={"success": False, "duration_ms": 90, "risk_level": "high"},
        )
        assert (run.success, run.risk_level) == (False, "high")
        c.coding_agent.create_work_order(
            work_order_id="WO-1", title="t", description="d", task_type="feature", priority="high"
        )
        wo = c.coding_agent.log_code_changes(
            work_order_id="WO-1", affected_files=["a.py"], lines_added=2, lines_removed=1
        )
        assert wo.files_changed == ["a.py"]
        wo = c.coding_agent.log_test_results(work_order_id="WO-1", test_results={"total": 4, "passed": 4})
        assert (wo.tests_total, wo.tests_failed, wo.pass_rate) == (4, 0, 1.0)


def _raw(c: Any, method: str, params: dict[str, Any]) -> Any:
    return c.call_raw(method, params)


def test_original_nesting_over_raw_rpc_beside_the_flat_names(daemon):
    with daemon.client() as c:
        nested = _raw(
            c,
            "self_healing.log",
            {"playbook_name": "p", "execution_result": {"success": True, "duration_ms": 350, "risk_level": "medium"}},
        )
        flat = _raw(
            c, "self_healing.log", {"playbook_name": "p", "success": True, "duration_ms": 350, "risk_level": "medium"}
        )
        assert (
            {k: nested[k] for k in ("success", "duration_ms", "risk_level")}
            == {k: flat[k] for k in ("success", "duration_ms", "risk_level")}
            == {"success": True, "duration_ms": 350.0, "risk_level": "medium"}
        )
        # The same value both ways is fine.
        _raw(c, "self_healing.log", {"playbook_name": "p", "success": True, "execution_result": {"success": True}})
        _raw(c, "coding_agent.work_order", {"work_order_id": "W", "title": "t"})
        wo = _raw(c, "coding_agent.code_changes", {"work_order_id": "W", "affected_files": ["x.py"], "lines_added": 1})
        assert wo["files_changed"] == ["x.py"]
        wo = _raw(
            c,
            "coding_agent.test_results",
            {"work_order_id": "W", "test_results": {"total": 3, "passed": 2, "failed": 1}},
        )
        assert (wo["tests_total"], wo["tests_passed"], wo["tests_failed"]) == (3, 2, 1)


INVALID = [
    # Nested and flat disagree.
    ("self_healing.log", {"playbook_name": "p", "success": False, "execution_result": {"success": True}}),
    (
        "self_healing.log",
        {"playbook_name": "p", "success": True, "risk_level": "low", "execution_result": {"risk_level": "high"}},
    ),
    (
        "coding_agent.test_results",
        {"work_order_id": "W", "total": 3, "passed": 3, "test_results": {"total": 4, "passed": 4}},
    ),
    ("coding_agent.code_changes", {"work_order_id": "W", "files": ["a.py"], "affected_files": ["b.py"]}),
    # Required in neither place; unknown nested fields.
    ("self_healing.log", {"playbook_name": "p", "execution_result": {"duration_ms": 3}}),
    ("coding_agent.test_results", {"work_order_id": "W", "test_results": {"passed": 4}}),
    ("self_healing.log", {"playbook_name": "p", "execution_result": {"success": True, "speed": 3}}),
]


def test_nested_and_flat_that_disagree_are_invalid_params(daemon):
    with daemon.client() as c:
        _raw(c, "coding_agent.work_order", {"work_order_id": "W", "title": "t"})
        for method, params in INVALID:
            with pytest.raises(RpcError) as e:
                _raw(c, method, params)
            assert e.value.code == ErrorCode.INVALID_PARAMS, (method, params)
        assert c.self_healing.top_playbooks() == []  # nothing was recorded
        wo = c.coding_agent.get(work_order_id="W")
        assert (wo.files_changed, wo.tests_total) == ([], None)
