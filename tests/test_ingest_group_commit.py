"""Group commit (daemon/ingest/commits.py) on both backends: writes handed in together share
one transaction, each in its own savepoint (rerunnable ones: in one, unless one fails); one
that fails takes only itself and its events with it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from daemon.catalog import load_catalog
from daemon.errors import InvalidParams
from daemon.events import Event, EventBus
from daemon.ingest.commits import GroupCommit
from daemon.storage import Store, open_database

from conftest import ROOT


@pytest.fixture
async def parts(database_url):
    store = Store(open_database(database_url), load_catalog(ROOT / "schemas"))
    events = EventBus(store, asyncio.get_running_loop())
    store.create_tables()
    yield store, events
    await asyncio.get_running_loop().run_in_executor(None, store.close)


@pytest.mark.parametrize("rerunnable", [False, True])
async def test_a_failing_write_rolls_back_alone_with_its_events(parts, rerunnable):
    """Rerunnable writes share one savepoint: one failing rolls the batch back and runs each
    again in its own, so the others still commit once, with their events once."""
    store, events = parts
    heard: list[dict] = []
    events.listeners.add(heard.append)
    transactions = []
    write = store.write

    async def counting_write(fn, *args):  # the real write, counted
        transactions.append(fn)
        return await write(fn, *args)

    store.write = counting_write
    commits = GroupCommit(store, rerunnable=rerunnable)

    def ok(n: int) -> int:
        events.emit("test.ok", f"test/{n}", {"n": n})
        return n

    def bad() -> None:
        events.emit("test.bad", "test/bad")
        raise InvalidParams("refused")

    results = await asyncio.gather(
        commits.write("a", ok, 1),
        commits.write("b", bad),
        commits.write("c", ok, 2),
        commits.write("d", ok, 3),
        return_exceptions=True,
    )
    assert results[0] == 1 and results[2:] == [2, 3]
    assert isinstance(results[1], InvalidParams)
    assert len(transactions) == 1  # all four in one transaction

    stored = await store.read(lambda: [(e.type, e.subject) for e in Event.select().order_by(Event.id)])
    assert stored == [("test.ok", "test/1"), ("test.ok", "test/2"), ("test.ok", "test/3")]
    await asyncio.sleep(0.05)  # listeners hear of events on the loop, after commit
    assert [e["subject"] for e in heard] == ["test/1", "test/2", "test/3"]

    # Alone, a write goes at once, in a transaction of its own.
    assert await commits.write("e", ok, 4) == 4
    assert len(transactions) == 2
    await commits.idle()


async def test_batches_are_bounded_and_writes_run_in_order(parts):
    store, events = parts
    transactions = []
    write = store.write

    async def counting_write(fn, *args):
        transactions.append(fn)
        return await write(fn, *args)

    store.write = counting_write
    commits = GroupCommit(store, max_batch=5)
    order: list[int] = []

    def step(n: int) -> int:
        order.append(n)
        events.emit("test.step", f"test/{n}")
        return n * n

    results = await asyncio.gather(*(commits.write(f"{n:02d}", step, n) for n in range(12)))
    assert results == [n * n for n in range(12)] and order == list(range(12))
    assert len(transactions) == 3  # 5 + 5 + 2
    count = await store.read(lambda: Event.select().where(Event.type == "test.step").count())
    assert count == 12


async def test_a_failing_report_keeps_the_changes_before_it_in_its_group(parts):
    """Agents' reports change their rows in memory and write them at the group's end
    (Store.update_later). When one report fails mid-group, the ones before it still count,
    and a later report of the same agent in the group builds on them, not on a stale row."""
    from daemon.config import SubAgentsConfig
    from daemon.protocol import sub_agents as p
    from daemon.subsystems.sub_agents import SubAgents

    store, events = parts
    agents = SubAgents(store, events, SubAgentsConfig)
    store.create_tables()
    await agents.write(agents.register, p.RegisterAgent(agent_id="a1", agent_name="a1", agent_type="worker"), "t")

    def refused(params: p.TaskCompletion, actor: str) -> None:
        agents.task_completion(params, actor)  # changes the row in memory, then fails
        raise InvalidParams("refused")

    done = p.TaskCompletion(agent_id="a1", success=True, task="t")
    results = await asyncio.gather(
        agents.write(agents.task_completion, done, "t"),
        agents.write(refused, done, "t"),
        agents.write(agents.task_completion, p.TaskCompletion(agent_id="a1", success=False), "t"),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Agent", "InvalidParams", "Agent"]
    assert results[2].tasks_completed == 2 and results[2].tasks_failed == 1
    row = await store.read(lambda: agents.model.get(agents.model.agent_id == "a1"))
    assert (row.tasks_completed, row.tasks_succeeded, row.tasks_failed) == (2, 1, 1)


class CrossedDaemons:
    """Two daemons (stores) on one PostgreSQL schema and two journal rows, x and y; ``lock``
    takes a row's lock, and the first time each daemon takes one it waits for the other to
    hold one too, so that each then reaches for the row the other holds: a deadlock."""

    def __init__(self, stores: list[Store], x: int, y: int) -> None:
        self.stores, self.x, self.y = stores, x, y
        self._both_hold_one = threading.Barrier(2, timeout=10)
        self._first_try = {0: True, 1: True}

    def lock(self, daemon: int, entry_id: int, first: bool) -> int:
        sql = "SELECT id FROM clarity_ingest_journal WHERE id = %s FOR UPDATE"
        self.stores[daemon].db.execute_sql(sql, (entry_id,))
        if first and self._first_try[daemon]:
            self._first_try[daemon] = False
            self._both_hold_one.wait()
        return entry_id


@pytest.fixture
async def crossed(pg_url):
    from daemon.ingest import journal as j

    stores = [Store(open_database(pg_url), load_catalog(ROOT / "schemas")) for _ in range(2)]
    stores[0].register(*j.MODELS)  # models bind to one database: the locks use each store's own
    stores[0].create_tables()
    x, y = await stores[0].write(lambda: [j.JournalEntry.create(path=p, state="seen").id for p in ("/x", "/y")])
    yield CrossedDaemons(stores, x, y)
    for s in stores:
        await asyncio.get_running_loop().run_in_executor(None, s.close)


async def test_a_write_that_loses_a_deadlock_to_another_daemon_runs_again_alone(crossed):
    """Two daemons' group transactions lock two files in opposite orders: PostgreSQL aborts
    one write of one of them; that write runs again on its own and both batches succeed."""
    x, y, lock = crossed.x, crossed.y, crossed.lock
    commits = [GroupCommit(s) for s in crossed.stores]
    results = await asyncio.gather(
        commits[0].write("1", lock, 0, x, True),
        commits[0].write("2", lock, 0, y, False),
        commits[1].write("1", lock, 1, y, True),
        commits[1].write("2", lock, 1, x, False),
    )
    assert results == [x, y, y, x]
    assert commits[0].retried + commits[1].retried == 1  # the deadlock's one victim


async def test_a_group_that_loses_a_deadlock_while_taking_its_locks_runs_again_write_by_write(crossed):
    """Two daemons' groups take their locks first (``prepare``, outside any savepoint), in
    opposite orders: PostgreSQL aborts one whole transaction. Its writes run again, each in a
    transaction of its own, and every caller gets its result: none gets the deadlock."""

    def prepare(daemon: int, order: tuple[int, int]):
        def lock_rows(keys: list[str]) -> None:
            for n, entry_id in enumerate(order):
                crossed.lock(daemon, entry_id, n == 0)

        return lock_rows

    x, y, stores = crossed.x, crossed.y, crossed.stores
    commits = [GroupCommit(stores[0], prepare=prepare(0, (x, y))), GroupCommit(stores[1], prepare=prepare(1, (y, x)))]
    results = await asyncio.gather(
        commits[0].write("1", lambda: "a1"),
        commits[0].write("2", lambda: "a2"),
        commits[1].write("1", lambda: "b1"),
        commits[1].write("2", lambda: "b2"),
    )
    assert results == ["a1", "a2", "b1", "b2"]
    assert commits[0].retried + commits[1].retried == 2  # the victim's group, write by write
