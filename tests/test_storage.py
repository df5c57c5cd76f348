"""Storage on both backends: every table created, one writer path, keyset pages."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest

from daemon.catalog import load_catalog
from daemon.errors import InvalidParams
from daemon.storage import Store, open_database
from daemon.storage.rows import list_rows

from conftest import ROOT


@pytest.fixture
def store(database_url):
    s = Store(open_database(database_url), load_catalog(ROOT / "schemas"))
    s.create_tables()
    yield s
    s.close()


def test_all_tables_exist(store):
    tables = set(store.db.get_tables())
    assert {spec.db_table for spec in store.catalog.values()} <= tables
    store.create_tables()  # idempotent


def test_sqlite_pragmas(tmp_path):
    s = Store(open_database(f"sqlite:///{tmp_path}/x.db"), load_catalog(ROOT / "schemas"))
    s.create_tables()
    assert s.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert s.db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
    s.close()


async def test_sqlite_wal_is_folded_back_by_its_own_thread_not_by_commits(tmp_path):
    """Commits never checkpoint (a group would wait for the copy and the sync); after writes
    the checkpointer thread folds every frame of the WAL back into the database."""
    import sqlite3

    from ingest_helpers import wait_until

    s = Store(open_database(f"sqlite:///{tmp_path}/x.db"), load_catalog(ROOT / "schemas"))
    s.create_tables()
    model = s.model("documents")
    try:
        assert await s.write(lambda: s.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        for i in range(30):
            await s.write(lambda i=i: model.insert_many([{"title": f"n{i}-{k}" * 40} for k in range(50)]).execute())
        wait_until(lambda: s.checkpoints.runs >= 1, timeout=10)
        s.checkpoints.stop()  # no checkpoint of its own from here on
        raw = sqlite3.connect(tmp_path / "x.db")
        busy, frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        raw.close()
        assert frames > 0 and copied == frames  # every frame was already in the database
    finally:
        s.close()


def test_a_stop_that_comes_while_the_checkpointer_wakes_ends_it(tmp_path):
    """stop() lands between the checkpointer's wait and its clearing of the wake-up (the
    interleaving that once left a daemon waiting for ever in Store.close): the thread ends."""
    import threading

    from daemon.storage.checkpoints import Checkpointer

    db = open_database(f"sqlite:///{tmp_path}/x.db")
    checkpointer = Checkpointer(db)
    stopper: list[threading.Thread] = []

    class StopComesFirst(threading.Event):
        def clear(self) -> None:  # the checkpointer clears its wake-up: stop() has just set it
            if not stopper:
                stopper.append(threading.Thread(target=checkpointer.stop))
                stopper[0].start()
                while not checkpointer._stopping.is_set() or not self.is_set():
                    time.sleep(0.001)
            super().clear()

    checkpointer._due = StopComesFirst()
    checkpointer.written()
    stopper_started = time.monotonic()
    while not stopper and time.monotonic() - stopper_started < 10:
        time.sleep(0.01)
    stopper[0].join(10)
    assert not stopper[0].is_alive(), "stop() waits for ever on the checkpointer"


def seed(store, n=120):
    model = store.models["incidents"]
    base = datetime(2026, 1, 1)

    def insert():
        for i in range(n):
            model.create(
                title=f"Incident {i:03d} {'database outage' if i % 3 == 0 else 'latency'}",
                severity=["low", "high", None][i % 3],
                started_at=base + timedelta(hours=i),
                systems=["api", "db"] if i % 2 else ["web"],
                source="test",
            )

    asyncio.run(store.write(insert))


def page_all(store, **kw):
    model, spec = store.models["incidents"], store.catalog["incidents"]
    seen, cursor = [], None
    while True:
        rows, cursor, _ = list_rows(
            model,
            spec,
            filters=kw.get("filters", {}),
            search=kw.get("search"),
            sort=kw.get("sort", "id"),
            descending=kw.get("descending", False),
            limit=kw.get("limit", 7),
            cursor=cursor,
            count=False,
        )
        seen += rows
        if cursor is None:
            return seen


def test_keyset_pages_cover_every_row_once(store):
    seed(store)
    for sort in ("id", "severity", "started_at", "title"):
        for descending in (False, True):
            rows = page_all(store, sort=sort, descending=descending)
            assert sorted(r["id"] for r in rows) == sorted(set(r["id"] for r in rows))
            assert len(rows) == 120, (sort, descending)
    by_sev = page_all(store, sort="severity")
    assert [r["severity"] for r in by_sev][-40:] == [None] * 40  # NULLs last


def test_filters_and_search(store):
    seed(store)
    assert len(page_all(store, filters={"severity": "high"})) == 40
    assert len(page_all(store, filters={"severity": None})) == 40
    assert len(page_all(store, filters={"severity": {"in": ["low", "high"]}})) == 80
    assert len(page_all(store, search="DATABASE OUTAGE")) == 40
    after = page_all(store, filters={"started_at": {"ge": "2026-01-05T00:00:00Z"}})
    assert len(after) == 120 - 96
    with pytest.raises(InvalidParams):
        page_all(store, filters={"nope": 1})
    with pytest.raises(InvalidParams):
        page_all(store, filters={"started_at": {"gt": "not a date"}})
    with pytest.raises(InvalidParams):
        page_all(store, sort="nope")


def test_one_writer_under_concurrency(store):
    """Hundreds of concurrent writes and reads: none fails with 'database is locked'."""
    model = store.models["feedback"]
    spec_field = store.catalog["feedback"].fields[0].name

    async def main():
        async def write(i):
            await store.write(lambda: model.create(**{spec_field: f"item {i}"}))

        async def read():
            return await store.read(lambda: model.select().count())

        await asyncio.gather(*(write(i) for i in range(300)), *(read() for _ in range(100)))
        return await read()

    assert asyncio.run(main()) == 300


def test_failed_write_rolls_back_and_skips_hooks(store):
    model = store.models["feedback"]
    field = store.catalog["feedback"].fields[0].name
    fired = []

    def bad():
        model.create(**{field: "kept?"})
        store.after_commit(lambda: fired.append(1))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        asyncio.run(store.write(bad))
    assert asyncio.run(store.read(lambda: model.select().count())) == 0
    assert fired == []


def test_ids_are_never_reused(store):
    """A deleted last row's id is not handed out again (SQLite needs AUTOINCREMENT for that)."""
    model = store.models["feedback"]
    field = store.catalog["feedback"].fields[0].name

    first = asyncio.run(store.write(lambda: model.create(**{field: "a"}).id))
    asyncio.run(store.write(lambda: model.delete().where(model.id == first).execute()))
    second = asyncio.run(store.write(lambda: model.create(**{field: "b"}).id))
    assert second > first


def test_creating_tables_that_deadlocks_with_another_daemons_writes_runs_again(pg_url, caplog):
    """A daemon starting on a shared PostgreSQL runs CREATE INDEX IF NOT EXISTS on tables that
    exist, which locks them against writes: a daemon writing to two of them can deadlock with
    it. When the start is the loser it runs again once the writer has committed, and starts."""
    import threading
    import time

    import peewee

    catalog = load_catalog(ROOT / "schemas")
    writer, starting = Store(open_database(pg_url), catalog), Store(open_database(pg_url), catalog)
    writer.create_tables()
    order = [m._meta.table_name for m in peewee.sort_models(list(starting.models.values()))]
    first, last = order[0], order[-1]  # the start locks ``first`` early, waits on ``last`` late
    failed: list[BaseException] = []

    def write_both() -> None:
        """The other daemon: holds ``last`` against the start, then reaches for ``first``."""
        try:
            with writer.db.connection_context(), writer.db.atomic():
                writer.db.execute_sql("SET LOCAL deadlock_timeout = '30s'")  # the start detects it: its loss
                writer.db.execute_sql(f'LOCK TABLE "{last}" IN ROW EXCLUSIVE MODE')
                holding.set()
                deadline = time.monotonic() + 20
                while not waiting_on(last):  # the start is blocked on ``last``, holding ``first``
                    assert time.monotonic() < deadline, "the start never waited on the writer"
                    time.sleep(0.02)
                writer.db.execute_sql(f'LOCK TABLE "{first}" IN ROW EXCLUSIVE MODE')
        except BaseException as e:
            failed.append(e)

    def waiting_on(table: str) -> bool:
        with writer.db.connection_context():
            (n,) = writer.db.execute_sql(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass", (table,)
            ).fetchone()
        return n > 0

    holding = threading.Event()
    other = threading.Thread(target=write_both)
    other.start()
    try:
        assert holding.wait(10)
        with caplog.at_level("INFO", logger="daemon.storage.store"):
            starting.create_tables()  # loses the deadlock once, then waits for the writer and succeeds
        other.join(30)
        assert not failed
        assert "lost to another daemon's transaction" in caplog.text
    finally:
        other.join(30)
        writer.close()
        starting.close()
