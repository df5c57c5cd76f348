"""Agents' heartbeats answered from memory and written in batches; reports group-committed.

What must hold (issue 13): a beat answered from memory is what every read sees right after;
a task completion answered is on disk (SIGKILL loses nothing); a clean stop writes the beats
still in memory; daemons sharing a PostgreSQL see each other's agents' beats after a flush and
never answer for long from a status another daemon changed."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from daemon.protocol import ErrorCode, RpcError
from daemon.subsystems.live_beats import LiveBeats


def beat_of(c, row_id: int) -> datetime:
    return datetime.fromisoformat(c.rows.get(table="sub_agents", id=row_id)["last_heartbeat"])


def test_a_beat_from_memory_is_seen_by_every_read_right_after(daemon_on):
    with daemon_on.client() as c:
        a = c.sub_agents.register(agent_id="w1", agent_name="W1", agent_type="worker")
        before = beat_of(c, a.id)
        beat = c.sub_agents.heartbeat(agent_id="w1")
        assert (beat.status, beat.back_online) == ("idle", False)
        after = beat_of(c, a.id)  # rows.get
        assert after > before
        [active] = c.sub_agents.active()
        assert active.last_heartbeat == after
        c.sub_agents.heartbeat(agent_id="w1")
        page = c.rows.list(table="sub_agents")
        listed = datetime.fromisoformat(page.rows[0]["last_heartbeat"])
        assert listed > after
        assert c.sub_agents.stats(agent_id="w1").agent.last_heartbeat == listed
        # query.sql reads the table itself: it too sees the beat answered from memory.
        c.sub_agents.heartbeat(agent_id="w1")
        [[seen]] = c.query.sql(sql=f"SELECT last_heartbeat FROM memory_sub_agents WHERE id = {a.id}").rows
        naive = [t.replace(tzinfo=None) for t in (datetime.fromisoformat(seen), beat_of(c, a.id), listed)]
        assert naive[0] == naive[1] and naive[0] > naive[2]
        # A status set after beats from memory is not undone by them, and the next bare beat answers it.
        c.sub_agents.status(agent_id="w1", status="busy", current_task="job")
        assert c.sub_agents.heartbeat(agent_id="w1").status == "busy"
        assert c.sub_agents.fleet_stats().by_status == {"busy": 1}


def test_sigkill_right_after_task_completions_loses_nothing(daemon_on):
    d = daemon_on
    with d.client() as c:
        c.sub_agents.register(agent_id="w1", agent_name="W1", agent_type="worker")
        for ok in (True, False, True):
            c.sub_agents.heartbeat(agent_id="w1")
            last = c.sub_agents.task_completion(agent_id="w1", success=ok, duration_ms=5.0)
        c.sub_agents.status(agent_id="w1", status="busy", current_task="next")
    d.kill()
    d.start()
    with d.client() as c:
        s = c.sub_agents.stats(agent_id="w1")
        assert (s.agent.tasks_completed, s.agent.tasks_succeeded, s.agent.tasks_failed) == (3, 2, 1)
        assert s.agent.trust_score == pytest.approx(last.trust_score)
        assert (s.agent.status, s.agent.current_task) == ("busy", "next")
        assert s.tasks_last_hour == 3
        page = c.call_raw("events.list", {"type": "agent.task_completed", "limit": 100})
        assert len(page["events"]) == 3
    assert d.stop() == 0


def test_beats_in_memory_are_written_by_a_clean_stop(daemon_on):
    d = daemon_on
    with d.client() as c:
        a = c.sub_agents.register(agent_id="w1", agent_name="W1", agent_type="worker")
        registered = beat_of(c, a.id)
        c.sub_agents.heartbeat(agent_id="w1")
    assert d.stop() == 0  # SIGTERM
    d.start()
    with d.client() as c:
        assert beat_of(c, a.id) > registered
        assert c.sub_agents.heartbeat(agent_id="w1").status == "idle"  # known again after a restart


def test_two_daemons_on_postgresql_see_each_others_beats_and_changes(make_daemon, pg_url):
    one, two = make_daemon(database=pg_url), make_daemon(database=pg_url)
    with one.client() as c1, two.client() as c2:
        a = c1.sub_agents.register(agent_id="a", agent_name="A", agent_type="worker")
        b = c2.sub_agents.register(agent_id="b", agent_name="B", agent_type="worker")
        a0, b0 = beat_of(c2, a.id), beat_of(c1, b.id)
        c1.sub_agents.heartbeat(agent_id="a")
        c2.sub_agents.heartbeat(agent_id="b")
        c1.sub_agents.active()  # reads flush: each daemon writes its own agents' beats
        c2.sub_agents.active()
        assert beat_of(c2, a.id) > a0 and beat_of(c1, b.id) > b0
        assert c2.sub_agents.fleet_stats().online == 2

        # Another daemon's change wins over this one's memory: "a" busy, then retired, through two.
        c2.sub_agents.status(agent_id="a", status="busy")
        c1.sub_agents.heartbeat(agent_id="a")  # may answer from memory (idle) until the next batch
        c1.sub_agents.active()
        assert c1.sub_agents.heartbeat(agent_id="a").status == "busy"
        assert c2.rows.get(table="sub_agents", id=a.id)["status"] == "busy"  # the batch wrote no status
        c2.sub_agents.retire(agent_id="a")
        c1.sub_agents.heartbeat(agent_id="a")
        c1.sub_agents.fleet_stats()
        with pytest.raises(RpcError) as e:
            c1.sub_agents.heartbeat(agent_id="a")
        assert e.value.code == ErrorCode.INVALID_STATE


async def complete_at_once(clients: list[Any], agents: list[str], rounds: int) -> None:
    """``rounds`` completions of each agent through each client, all at once (a third failing),
    and one of an unknown agent: counts exact, and each completion's previous trust is the one
    before it (no lost update)."""
    calls = [
        c.sub_agents.task_completion(agent_id=name, success=n % 3 != 0)
        for n in range(rounds)
        for c in clients
        for name in agents
    ]
    calls.append(clients[-1].sub_agents.task_completion(agent_id="nobody", success=True))  # fails alone
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[-1], RpcError) and results[-1].code == ErrorCode.NOT_FOUND
    assert not any(isinstance(r, BaseException) for r in results[:-1])
    total = rounds * len(clients)
    for name in agents:
        stats = await clients[0].sub_agents.stats(agent_id=name)
        agent = stats.agent
        assert (agent.tasks_completed, agent.tasks_succeeded) == (total, total * 2 // 3)
        assert agent.tasks_failed == total - total * 2 // 3 and stats.tasks_last_hour == total
        page = await clients[-1].events.list(subject=f"agent/{name}", type="agent.task_completed", limit=1000)
        chain = sorted(page.events, key=lambda e: e.id)
        assert len(chain) == total
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.payload["previous_trust"] == before.payload["trust_score"]
        assert chain[-1].payload["trust_score"] == agent.trust_score


async def test_many_completions_of_one_agent_in_a_group_count_exactly(daemon_on):
    """A group reads its agents once; several reports of one agent in it each see the last."""
    from daemon.client import AsyncClient

    async with AsyncClient(daemon_on.socket) as c:
        for name in ("a", "b"):
            await c.sub_agents.register(agent_id=name, agent_name=name, agent_type="worker")
        await complete_at_once([c], ["a", "b"], 60)


async def test_completions_from_two_daemons_on_postgresql_count_exactly(make_daemon, pg_url):
    """Each group of reports locks its agents in one statement, reads them in another and
    writes them in one savepoint; two daemons completing tasks of the same agents at once
    lose no update."""
    from daemon.client import AsyncClient

    one, two = make_daemon(database=pg_url), make_daemon(database=pg_url)
    async with AsyncClient(one.socket) as c1, AsyncClient(two.socket) as c2:
        for name in ("a", "b", "c"):
            await c1.sub_agents.register(agent_id=name, agent_name=name, agent_type="worker")
        await complete_at_once([c1, c2], ["a", "b", "c"], 30)


@pytest.mark.timeout(20)
async def test_a_flush_right_after_a_finished_batch_does_not_spin():
    """A batch that has finished but is still recorded as in flight (its clean-up not run
    yet) must not be waited for: awaiting a finished future never yields, so such a wait
    spun the event loop forever (seen on PostgreSQL under the agents benchmark)."""

    class Store:
        _closing = False
        written: list[Any] = []

        async def write(self, fn: Any, *args: Any) -> dict[int, str]:
            self.written.append(args[-1])
            return {1: "idle"}

    store = Store()
    beats = LiveBeats(store, lambda: None)  # type: ignore[arg-type]
    finished = asyncio.get_running_loop().create_future()
    finished.set_result(None)
    beats._flushing = finished
    beats.note("a", 1, "idle")
    assert beats.beat("a") == "idle"
    await beats.flush()
    assert beats.pending == {} and list(store.written[0]) == ["a"]
    assert beats.beat("a") == "idle"  # still known online after its batch
    await beats.flush()
    assert beats._timer is not None
    beats._timer.cancel()


async def test_a_batch_of_beats_and_another_daemons_reports_lock_agents_in_one_order(pg_url):
    """Two daemons on one PostgreSQL: one writes a group of task completions (agents' rows
    changed in row-id order, whatever their keys' order), the other a batch of beats of the
    same agents (rows locked in id order before its UPDATE). Both wait on a third holder of
    one row; once it lets go, neither deadlocks the other (a deadlock cost a second, and the
    group ran again write by write)."""
    import threading
    import time

    import psycopg2

    from daemon.catalog import load_catalog
    from daemon.config import SubAgentsConfig
    from daemon.events import EventBus
    from daemon.protocol import sub_agents as p
    from daemon.storage import Store, open_database
    from daemon.subsystems.sub_agents import SubAgents

    from conftest import ROOT

    loop = asyncio.get_running_loop()
    stores = [Store(open_database(pg_url), load_catalog(ROOT / "schemas")) for _ in range(2)]
    services = [SubAgents(s, EventBus(s, loop), lambda: SubAgentsConfig()) for s in stores]
    stores[0].create_tables()
    stores[1].create_tables()
    reporter, beater = services
    try:
        # "b" first: the lower row id; the group's key order (agent/a, agent/b) is the other way.
        rows = {}
        for name in ("b", "a"):
            rows[name] = (
                await reporter.write(
                    reporter.register, p.RegisterAgent(agent_id=name, agent_name=name, agent_type="worker"), "t"
                )
            ).id
        high = rows["a"]
        pids = [await s.write(lambda s=s: s.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]) for s in stores]
        table = stores[0].model("sub_agents")._meta.table_name
        holder = psycopg2.connect(pg_url)
        watcher = psycopg2.connect(pg_url)
        watcher.autocommit = True

        def waiting(n: int) -> None:
            """Until the first n of the daemons' writers wait for a row lock."""
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with watcher.cursor() as cur:
                    cur.execute(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = ANY(%s)", (pids[:n],)
                    )
                    if len(cur.fetchall()) == n:
                        return
                time.sleep(0.01)
            raise AssertionError(f"the daemons' writers never waited: {pids[:n]}")

        with holder.cursor() as cur:
            cur.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE', (high,))
        group = asyncio.gather(
            *(reporter.write(reporter.task_completion, p.TaskCompletion(agent_id=n, success=True), "t") for n in "ab")
        )
        await loop.run_in_executor(None, waiting, 1)
        for name in ("a", "b"):
            beater.live.note(name, rows[name], "idle")
            assert beater.live.beat(name) == "idle"
        beater.live._timer.cancel()  # only this flush: a batch that fails keeps its beats for the next
        beater.live._timer = None
        flush = asyncio.ensure_future(beater.live.flush())
        await loop.run_in_executor(None, waiting, 2)
        threading.Thread(target=holder.commit).start()
        done = await asyncio.wait_for(group, 10)
        await asyncio.wait_for(flush, 10)
        assert [a.tasks_completed for a in done] == [1, 1]
        assert reporter.commits.retried == 0, "the group lost a deadlock and ran again"
        assert beater.live.pending == {}, "the batch of beats lost a deadlock"
        holder.close()
        watcher.close()
    finally:
        for svc in services:
            if svc.live._timer is not None:
                svc.live._timer.cancel()
        for s in stores:
            await loop.run_in_executor(None, s.close)
