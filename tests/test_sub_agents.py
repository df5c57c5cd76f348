"""sub_agents.*: registration, status, tasks and trust, heartbeats and the sweep, retirement,
stats — through the real client against a real daemon."""

from __future__ import annotations

import os
import time

import pytest

from daemon.client import Client
from daemon.protocol import ErrorCode, RpcError


def events_of(c: Client, type_prefix: str, subject: str | None = None) -> list[dict]:
    page = c.call_raw("events.list", {"type": type_prefix, "subject": subject, "order": "asc", "limit": 1000})
    return page["events"]


def code_of(fn, *args, **kwargs) -> int:
    with pytest.raises(RpcError) as e:
        fn(*args, **kwargs)
    return e.value.code


def test_register_trust_and_stats_on_both_backends(daemon_on):
    with daemon_on.client() as c:
        a = c.sub_agents.register_agent(
            agent_id="shard-1",
            agent_name="Shard one",
            agent_type="shard",
            mission="index documents",
            capabilities=["read", "index"],
        )
        assert (a.status, a.trust_score, a.tasks_completed, a.success_rate) == ("idle", 0.5, 0, None)
        assert a.capabilities == ["read", "index"]

        # trust = 0.7 x success rate + 0.3 x previous trust, by hand:
        #   success  rate 1/1: 0.7*1     + 0.3*0.5   = 0.85
        #   failure  rate 1/2: 0.7*0.5   + 0.3*0.85  = 0.605
        #   success  rate 2/3: 0.7*2/3   + 0.3*0.605 = 0.648166...
        #   success  rate 3/4: 0.7*0.75  + 0.3*0.6481666 = 0.71945
        expected = [0.85, 0.605, 0.7 * 2 / 3 + 0.3 * 0.605, 0.7 * 0.75 + 0.3 * (0.7 * 2 / 3 + 0.3 * 0.605)]
        outcomes = [(True, 10.0), (False, 30.0), (True, None), (True, 20.0)]
        for (ok, ms), trust in zip(outcomes, expected, strict=True):
            a = c.sub_agents.task_completion(agent_id="shard-1", success=ok, task="t", duration_ms=ms)
            assert a.trust_score == pytest.approx(trust)
        assert (a.tasks_completed, a.tasks_succeeded, a.tasks_failed) == (4, 3, 1)
        assert a.success_rate == pytest.approx(0.75)

        s = c.sub_agents.get_agent_stats(agent_id="shard-1")
        assert s.tasks_last_hour == 4
        assert s.mean_task_ms == pytest.approx(20.0)  # (10 + 30 + 20) / 3: the task without a duration is left out
        assert s.heartbeat_late is False and s.last_task_at is not None

        # Registering again updates in place: one row, history kept, fields left out unchanged.
        b = c.sub_agents.register_agent(agent_id="shard-1", agent_name="Shard 1", agent_type="specialist")
        assert (b.id, b.agent_name, b.agent_type, b.mission) == (a.id, "Shard 1", "specialist", "index documents")
        assert b.tasks_completed == 4 and b.trust_score == pytest.approx(expected[-1])
        assert c.tables.describe(table="sub_agents").row_count == 1

        kinds = [e["type"] for e in events_of(c, "agent", "agent/shard-1")]
        assert kinds == ["agent.registered"] + ["agent.task_completed"] * 4 + ["agent.updated"]


def test_status_heartbeat_retire_and_errors(daemon):
    with daemon.client() as c:
        c.sub_agents.register(agent_id="w1", agent_name="Worker", agent_type="worker")
        a = c.sub_agents.update_status(agent_id="w1", status="busy", current_task="build #7")
        assert (a.status, a.current_task) == ("busy", "build #7")
        a = c.sub_agents.status(agent_id="w1", status="busy")  # no change: no event
        beat = c.sub_agents.heartbeat(agent_id="w1")
        assert (beat.status, beat.back_online) == ("busy", False)
        beat = c.sub_agents.heartbeat(agent_id="w1", status="idle", current_task=None)
        assert beat.status == "idle"
        statuses = [(e["payload"]["from"], e["payload"]["to"]) for e in events_of(c, "agent.status")]
        assert statuses == [("idle", "busy"), ("busy", "idle")]

        # An agent that says it goes offline comes back with its next report.
        c.sub_agents.status(agent_id="w1", status="offline")
        beat = c.sub_agents.heartbeat(agent_id="w1")
        assert (beat.status, beat.back_online) == ("idle", True)

        # Wrong types and values: INVALID_PARAMS, with the daemon still serving.
        bad = [
            ("sub_agents.register", {"agent_id": "x", "agent_name": "X", "agent_type": "robot"}),
            ("sub_agents.register", {"agent_id": "", "agent_name": "X", "agent_type": "shard"}),
            (
                "sub_agents.register",
                {"agent_id": "x", "agent_name": "X", "agent_type": "shard", "heartbeat_interval_s": "soon"},
            ),
            ("sub_agents.register", {"agent_id": "x", "agent_name": "X", "agent_type": "shard", "colour": "red"}),
            ("sub_agents.task_completion", {"agent_id": "w1", "success": "yes"}),
            ("sub_agents.task_completion", {"agent_id": "w1", "success": True, "duration_ms": -1}),
            ("sub_agents.status", {"agent_id": "w1", "status": "sleeping"}),
            ("sub_agents.status", {"agent_id": 12, "status": "idle"}),
        ]
        for method, params in bad:
            assert code_of(c.call_raw, method, params) == ErrorCode.INVALID_PARAMS, (method, params)
        for method, params in [
            ("sub_agents.heartbeat", {"agent_id": "ghost"}),
            ("sub_agents.status", {"agent_id": "ghost", "status": "idle"}),
            ("sub_agents.task_completion", {"agent_id": "ghost", "success": True}),
            ("sub_agents.stats", {"agent_id": "ghost"}),
            ("sub_agents.retire", {"agent_id": "ghost"}),
        ]:
            assert code_of(c.call_raw, method, params) == ErrorCode.NOT_FOUND, method

        retired = c.sub_agents.retire(agent_id="w1", reason="replaced")
        assert retired.status == "retired" and retired.retired_at is not None
        for call in (
            lambda: c.sub_agents.heartbeat(agent_id="w1"),
            lambda: c.sub_agents.task_completion(agent_id="w1", success=True),
            lambda: c.sub_agents.register(agent_id="w1", agent_name="Worker", agent_type="worker"),
            lambda: c.sub_agents.retire(agent_id="w1"),
        ):
            assert code_of(call) == ErrorCode.INVALID_STATE
        # Kept, not purged: the row and its history are still there.
        assert c.sub_agents.stats(agent_id="w1").agent.status == "retired"
        assert [e["type"] for e in events_of(c, "agent.retired")] == ["agent.retired"]
        assert c.system.health().status == "ok"


def test_fleet_stats_and_active_by_hand(daemon):
    with daemon.client() as c:
        for agent_id, kind in [("s1", "shard"), ("s2", "shard"), ("o1", "orchestrator"), ("w1", "worker")]:
            c.sub_agents.register(agent_id=agent_id, agent_name=agent_id, agent_type=kind)
        c.sub_agents.status(agent_id="s2", status="busy", current_task="x")
        c.sub_agents.status(agent_id="o1", status="error")
        c.sub_agents.task_completion(agent_id="s1", success=True)  # trust 0.85
        c.sub_agents.task_completion(agent_id="s1", success=False)  # trust 0.605
        c.sub_agents.task_completion(agent_id="s2", success=False)  # trust 0.7*0 + 0.3*0.5 = 0.15
        c.sub_agents.retire(agent_id="w1")

        f = c.sub_agents.fleet_stats()
        assert f.total == 4
        assert f.by_status == {"idle": 1, "busy": 1, "error": 1, "retired": 1}
        assert f.by_type == {"orchestrator": 1, "shard": 2, "worker": 1}
        assert f.online == 3
        assert f.mean_trust == pytest.approx((0.605 + 0.15 + 0.5) / 3)  # the retired agent is left out
        assert (f.tasks_last_hour, f.tasks_succeeded_last_hour, f.tasks_failed_last_hour) == (3, 1, 2)
        assert f.late == []

        assert [a.agent_id for a in c.sub_agents.get_active_agents()] == ["o1", "s1", "s2"]
        assert [a.agent_id for a in c.sub_agents.active(agent_type="shard")] == ["s1", "s2"]
        assert [a.agent_id for a in c.sub_agents.active(status=["busy", "error"])] == ["o1", "s2"]


@pytest.fixture
def fast_sweep(make_daemon, database_url):
    return make_daemon(database=database_url, config={"sub_agents": {"sweep_interval_s": 0.2, "missed_heartbeats": 2}})


def test_sweep_marks_silent_agents_offline_and_beats_bring_them_back(fast_sweep):
    with fast_sweep.client() as c:
        c.sub_agents.register(agent_id="quiet", agent_name="Quiet", agent_type="worker", heartbeat_interval_s=0.3)
        c.sub_agents.register(agent_id="steady", agent_name="Steady", agent_type="worker", heartbeat_interval_s=0.3)
        c.sub_agents.status(agent_id="quiet", status="busy", current_task="long job")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            c.sub_agents.heartbeat(agent_id="steady")
            if c.sub_agents.stats(agent_id="quiet").agent.status == "offline":
                break
            time.sleep(0.1)
        assert c.sub_agents.stats(agent_id="quiet").agent.status == "offline"
        assert c.sub_agents.stats(agent_id="steady").agent.status == "idle"  # it kept beating
        offline = events_of(c, "agent.offline")
        assert [(e["subject"], e["payload"]["from"]) for e in offline] == [("agent/quiet", "busy")]
        assert c.sub_agents.fleet_stats().by_status["offline"] == 1

        beat = c.sub_agents.heartbeat(agent_id="quiet")
        assert (beat.status, beat.back_online) == ("busy", True)  # back as it was
        online = events_of(c, "agent.online")
        assert [(e["subject"], e["payload"]["to"]) for e in online] == [("agent/quiet", "busy")]


NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to a second uid needs root")
def test_roles_agents_report_readers_read_operators_retire(make_daemon):
    from test_roles import call_as  # the lead's helper: a forked child running as another uid

    d = make_daemon(config={"socket_group": "nogroup", "roles": {"agents": {"uids": [NOBODY]}}})
    os.chmod(d.dir, 0o711)
    reg = {"agent_id": "n1", "agent_name": "N", "agent_type": "worker"}
    assert call_as(NOBODY, d.socket, "sub_agents.register", reg)["result"]["agent_id"] == "n1"
    assert call_as(NOBODY, d.socket, "sub_agents.fleet_stats")["result"]["total"] == 1
    assert call_as(NOBODY, d.socket, "sub_agents.retire", {"agent_id": "n1"}) == {"code": ErrorCode.FORBIDDEN}

    reader = make_daemon(config={"socket_group": "nogroup"})  # nobody is a reader by default there
    os.chmod(reader.dir, 0o711)
    assert call_as(NOBODY, reader.socket, "sub_agents.register", reg) == {"code": ErrorCode.FORBIDDEN}
    assert call_as(NOBODY, reader.socket, "sub_agents.fleet_stats")["result"]["total"] == 0
    with Client(reader.socket) as c:  # root is an operator
        c.sub_agents.register(**reg)
        assert c.sub_agents.retire(agent_id="n1").status == "retired"


def test_heartbeat_reporting_offline_is_an_offline_event_and_it_comes_back_as_it_was(daemon):
    # The same as sub_agents.status(status="offline"): agent.offline, and the next beat restores it.
    with daemon.client() as c:
        c.sub_agents.register(agent_id="hb", agent_name="HB", agent_type="worker")
        c.sub_agents.status(agent_id="hb", status="offline")
        c.sub_agents.heartbeat(agent_id="hb")  # back, idle
        c.sub_agents.status(agent_id="hb", status="busy", current_task="t")
        assert c.sub_agents.heartbeat(agent_id="hb", status="offline").status == "offline"
        beat = c.sub_agents.heartbeat(agent_id="hb")
        assert (beat.status, beat.back_online) == ("busy", True)
        kinds = [(e["type"], e["payload"].get("from")) for e in events_of(c, "agent", "agent/hb")]
        assert kinds[-2:] == [("agent.offline", "busy"), ("agent.online", "offline")]


def test_an_agent_recorded_through_governance_can_report(daemon):
    # A sub_agents row that came from an ingested file has no status until the agent reports.
    from test_self_healing import recorded_through_governance

    with daemon.client() as c:
        recorded_through_governance(c, "sub_agents", {"agent_id": "ing-1", "agent_name": "Ingested"})
        beat = c.sub_agents.heartbeat(agent_id="ing-1")  # the typed client checks the result's types
        assert (beat.status, beat.back_online) == ("idle", False)
        assert c.sub_agents.stats(agent_id="ing-1").agent.status == "idle"
        assert "ing-1" in [a.agent_id for a in c.sub_agents.active()]
