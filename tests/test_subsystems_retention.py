"""Task-history retention: the job deletes old ``clarity_agent_tasks`` rows and never those of the
last hour, which the fleet's hourly figures count — on a real daemon and its SQLite file."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, UTC

import pytest


def naive_utc(ago: timedelta) -> str:
    # What Peewee stores in a SQLite DateTimeField: naive UTC, str(datetime).
    return str(datetime.now(UTC).replace(tzinfo=None) - ago)


def task_ids(db_path) -> list[int]:
    with sqlite3.connect(db_path) as db:
        return [i for (i,) in db.execute("SELECT id FROM clarity_agent_tasks ORDER BY id")]


def test_old_task_history_goes_and_the_last_hour_stays(make_daemon):
    d = make_daemon(config={})
    with d.client() as c:
        c.sub_agents.register_agent(agent_id="w1", agent_name="Worker", agent_type="shard")
        # 2 long-done tasks (1000 ms), 1 from 2 hours ago, 1 from 30 minutes ago, 2 fresh ones (10 ms).
        plan = [(True, 1000.0), (False, 1000.0), (True, 500.0), (False, 10.0), (True, 10.0), (True, 10.0)]
        for ok, ms in plan:
            c.sub_agents.task_completion(agent_id="w1", success=ok, task="t", duration_ms=ms)
    assert d.stop() == 0

    db_path = d.state_dir / "clarity.db"
    ids = task_ids(db_path)
    assert len(ids) == 6
    ages = [timedelta(days=40), timedelta(days=2), timedelta(hours=2), timedelta(minutes=30)]
    with sqlite3.connect(db_path) as db:
        for row_id, ago in zip(ids, ages, strict=False):
            db.execute("UPDATE clarity_agent_tasks SET created_at = ? WHERE id = ?", (naive_utc(ago), row_id))

    # About 0.9 s of history: far below the one-hour floor, so only rows older than an hour may go.
    d.write_config({"sub_agents": {"task_history_days": 0.00001, "task_history_check_s": 0.3}})
    d.start()
    deadline = time.monotonic() + 15
    while len(task_ids(db_path)) > 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert task_ids(db_path) == ids[3:]  # the 40-day, 2-day and 2-hour rows went
    time.sleep(1.0)  # a few more runs of the job: the last hour is still there
    assert task_ids(db_path) == ids[3:]

    with d.client() as c:
        fleet = c.sub_agents.get_fleet_stats()
        assert (fleet.tasks_last_hour, fleet.tasks_succeeded_last_hour, fleet.tasks_failed_last_hour) == (3, 2, 1)
        s = c.sub_agents.get_agent_stats(agent_id="w1")
        assert s.tasks_last_hour == 3
        assert s.mean_task_ms == pytest.approx(10.0)  # the 1000 ms and 500 ms tasks are gone
        # Counters and trust live on the agent row: pruning the history leaves them whole.
        assert (s.agent.tasks_completed, s.agent.tasks_succeeded, s.agent.tasks_failed) == (6, 4, 2)
        # New completions keep being recorded and counted.
        c.sub_agents.task_completion(agent_id="w1", success=True, task="t", duration_ms=10.0)
        assert c.sub_agents.get_fleet_stats().tasks_last_hour == 4


def test_task_history_days_must_be_positive(make_daemon):
    d = make_daemon(config={"sub_agents": {"task_history_days": 0}}, start=False)
    with pytest.raises(RuntimeError):
        d.start(timeout=15)
