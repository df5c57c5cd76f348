"""Saved queries (query.saved / query.run) and related rows (query.related), on both backends.

The saved queries here are the README's examples, so each example is run by the suite."""

from __future__ import annotations

import pytest
import yaml

from daemon.protocol import ErrorCode, RpcError

from conftest import ROOT


def readme_queries() -> dict:
    """The `queries:` block of the README's saved-query example."""
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- saved-queries:begin -->", 1)[1].split("<!-- saved-queries:end -->", 1)[0]
    body = block.split("```yaml", 1)[1].split("```", 1)[0]
    return yaml.safe_load(body)["queries"]


@pytest.fixture
def memory(database_url, make_daemon):
    """A daemon whose memory spans agents, work orders, playbooks, documents and datasets."""
    d = make_daemon(database=database_url, config={"queries": readme_queries()})
    with d.client() as c:
        c.sub_agents.register(agent_id="coder-1", agent_name="Coder", agent_type="worker")
        c.sub_agents.task_completion(agent_id="coder-1", success=True)
        c.coding_agent.work_order(title="Fix login", work_order_id="WO-1", assigned_agent="coder-1")
        for state in ("in_progress", "review"):
            c.coding_agent.status(work_order_id="WO-1", state=state)
        c.coding_agent.deployed(work_order_id="WO-1")
        c.self_healing.log(playbook_name="restart-db", success=False, error="db still down", target_components=["db"])
        c.self_healing.log(playbook_name="restart-db", success=True, target_components=["db"])
        for table, fields in (
            ("documents", {"title": "Q3 report", "path": "/data/q3/report.md", "sha256": "ab" * 32}),
            ("datasets", {"name": "q3 sales", "path": "/data/q3/sales.csv", "sha256": "cd" * 32}),
            ("datasets", {"name": "q4 sales", "path": "/data/q4/sales.csv"}),
            ("documents", {"title": "Copy of Q3 report", "path": "/backup/report.md", "sha256": "ab" * 32}),
            ("incidents", {"title": "DB outage", "systems": ["db", "api"]}),
        ):
            assert c.proposals.create(table=table, fields=fields, confidence=0.99).status == "applied"
    return d


def test_readme_saved_queries_join_memory_across_domains(memory):
    with memory.client() as c:
        names = [q.name for q in c.query.saved()]
        assert names == ["agent_work_orders", "playbook_failures_after_deploy", "same_folder"]

        r = c.query.run(name="agent_work_orders", args={"agent": "coder-1"})
        row = dict(zip(r.columns, r.rows[0], strict=True))
        assert len(r.rows) == 1 and row["work_order_id"] == "WO-1" and row["agent_name"] == "Coder"
        assert row["agent_trust"] > 0.5 and row["state"] == "deployed"

        r = c.query.run(name="playbook_failures_after_deploy", args={"work_order": "WO-1"})
        assert [dict(zip(r.columns, x, strict=True))["error"] for x in r.rows] == ["db still down"]

        r = c.query.run(name="same_folder")
        assert [(x[1], x[2]) for x in r.rows] == [("Q3 report", "q3 sales")]

        for bad, code in (
            ({"name": "nope"}, ErrorCode.NOT_FOUND),
            ({"name": "agent_work_orders"}, ErrorCode.INVALID_PARAMS),
            ({"name": "same_folder", "args": {"x": 1}}, ErrorCode.INVALID_PARAMS),
        ):
            with pytest.raises(RpcError) as e:
                c.query.run(**bad)
            assert e.value.code == code


def test_related_rows_across_tables(memory):
    with memory.client() as c:
        doc = c.rows.list(table="documents", filters={"title": "Q3 report"}).rows[0]
        found = {(r.table, r.via, r.column) for r in c.query.related(table="documents", id=doc["id"])}
        assert ("documents", "content_hash", "sha256") in found  # the copy elsewhere, same bytes
        assert not any(r[0] == "datasets" for r in found)  # other files share neither path nor hash

        wo = c.rows.list(table="coding_agent", filters={"work_order_id": "WO-1"}).rows[0]
        found = {(r.table, r.via) for r in c.query.related(table="coding_agent", id=wo["id"])}
        assert ("sub_agents", "agent") in found

        run = c.rows.list(table="self_healing").rows[0]
        found = {(r.table, r.via, r.value) for r in c.query.related(table="self_healing", id=run["id"])}
        assert {("incidents", "component", "db"), ("self_healing", "playbook", "restart-db")} <= found

        with pytest.raises(RpcError) as e:
            c.query.related(table="documents", id=999_999)
        assert e.value.code == ErrorCode.NOT_FOUND


def test_bad_saved_query_is_refused_at_start(make_daemon):
    d = make_daemon(config={"queries": {"broken": {"sql": "SELECT :a", "params": ["b"]}}}, start=False)
    with pytest.raises(RuntimeError, match="exited 78"):
        d.start()
    assert "queries" in d.log()
