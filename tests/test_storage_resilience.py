"""The database goes away and comes back (issue 9, items 4, 13 and 17), against real daemons:
PostgreSQL backends killed under load, a SQLite file locked by another process, and two
daemons creating one fresh PostgreSQL schema at the same moment."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2

from daemon.protocol import ErrorCode, RpcError

from conftest import PG_URL, drop_reader_role
from ingest_helpers import PROSE, record_of, wait_until

FAST = {"ingest": {"settle_s": 0.2}}


def _admin() -> psycopg2.extensions.connection:
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    return conn


def _local_ports(pid: int) -> list[int]:
    """The local TCP ports of the sockets process ``pid`` holds (from /proc), so the test
    finds the daemon's connections however they are named."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[9] in inodes:
                    ports.append(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def _kill_backends(admin, pid: int) -> int:
    """Terminate the daemon's own PostgreSQL connections, no one else's (other tests share the server)."""
    with admin.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE client_port = ANY(%s) AND pid <> pg_backend_pid()",
            (_local_ports(pid),),
        )
        return cur.fetchone()[0]


def test_postgresql_backends_killed_under_load(make_daemon, pg_url):
    d = make_daemon(database=pg_url)
    admin = _admin()
    stop = threading.Event()
    errors: list[int] = []
    created: list[str] = []  # markers of proposals.create calls that succeeded
    attempted: list[str] = []

    def load(worker: int) -> None:
        with d.client(timeout=30) as c:
            i = 0
            while not stop.is_set():
                i += 1
                marker = f"w{worker}-{i}"
                attempted.append(marker)
                try:
                    c.rows.list(table="documents", limit=5)
                    c.proposals.create(table="documents", fields={"title": marker}, confidence=0.1, reasoning="load")
                    created.append(marker)
                except RpcError as e:
                    errors.append(e.code)

    with ThreadPoolExecutor(3) as pool:
        workers = [pool.submit(load, w) for w in range(3)]
        wait_until(lambda: len(created) >= 5)
        killed = 0
        for _ in range(3):  # again and again, while calls are in flight
            killed += _kill_backends(admin, d.proc.pid)
            n = len(created)
            wait_until(lambda n=n: len(created) > n + 2, timeout=30)  # it comes back by itself
        stop.set()
        for w in workers:
            w.result()
    assert killed >= 3
    assert set(errors) <= {ErrorCode.UNAVAILABLE}, errors  # never an internal error
    with d.client() as c:
        wait_until(lambda: c.system.health().status == "ok")
        h = c.system.health()
        assert h.database_ok and h.database_writable
        c.proposals.create(table="documents", fields={"title": "after"}, confidence=0.1, reasoning="after")
        assert c.query.sql(sql="SELECT 1 AS one").rows == [[1]]  # operator SQL reconnects too
        # Killed while idle: no call needs to fail at all (reads run again, writes check first).
        time.sleep(1.5)  # let the connections idle (not a timing assertion)
        assert _kill_backends(admin, d.proc.pid) >= 1
        c.proposals.create(table="documents", fields={"title": "idle"}, confidence=0.1, reasoning="idle")
        assert c.rows.list(table="documents").rows == []
        assert c.query.sql(sql="SELECT 2 AS two").rows == [[2]]
        assert c.system.health().status == "ok"
    # No write was applied twice; every one that was answered is there exactly once.
    schema = pg_url.rsplit("%3D", 1)[1]
    with admin.cursor() as cur:
        cur.execute(f"SELECT payload::json->>'title', count(*) FROM {schema}.clarity_proposals GROUP BY 1")
        counts = dict(cur.fetchall())
    admin.close()
    assert all(n == 1 for n in counts.values()), {k: n for k, n in counts.items() if n != 1}
    assert all(counts.get(m) == 1 for m in created)


def test_postgresql_turning_read_only_as_after_a_failover(make_daemon, pg_url):
    """The server the daemon reconnects to takes no writes (a standby): UNAVAILABLE and
    degraded, not internal errors; writable again, it recovers by itself."""
    admin = _admin()
    user = "clarity_fo_" + uuid.uuid4().hex[:8]
    schema = pg_url.rsplit("%3D", 1)[1]
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {user} LOGIN CREATEROLE")
        cur.execute(f"GRANT ALL ON SCHEMA {schema} TO {user}")
    try:
        d = make_daemon(database=pg_url.replace("postgresql://postgres@", f"postgresql://{user}@"))
        with d.client() as c:
            c.proposals.create(table="documents", fields={"title": "before"}, confidence=0.1)
            with admin.cursor() as cur:
                cur.execute(f"ALTER ROLE {user} SET default_transaction_read_only = on")
            _kill_backends(admin, d.proc.pid)  # what a failover does to the old primary's connections
            try:
                c.proposals.create(table="documents", fields={"title": "during"}, confidence=0.1)
                raise AssertionError("a write went through a read-only server")
            except RpcError as e:
                assert e.code == ErrorCode.UNAVAILABLE
            h = c.system.health()
            assert h.status == "degraded" and not h.database_writable and h.database_ok
            assert c.rows.list(table="documents").rows == []  # reads go on
            with admin.cursor() as cur:
                cur.execute(f"ALTER ROLE {user} RESET default_transaction_read_only")
            wait_until(lambda: c.system.health().status == "ok")
            c.proposals.create(table="documents", fields={"title": "after"}, confidence=0.1)
        d.stop()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP OWNED BY {user} CASCADE")
            cur.execute(f"DROP ROLE {user}")
        admin.close()


def test_sqlite_locked_by_another_process(make_daemon):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    db_path = d.state_dir / "clarity.db"
    with d.client() as c:
        assert c.system.health().status == "ok"
        locker = sqlite3.connect(db_path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            first = [inbox / f"while-locked-{i}.md" for i in range(3)]
            for i, path in enumerate(first):
                path.write_text(f"# Locked {i}\n\n{PROSE} {uuid.uuid4()}")
            h = wait_until(lambda: (h := c.system.health()).status == "degraded" and h, timeout=60)
            assert h.database_ok and not h.database_writable and h.reason
            try:
                c.proposals.create(table="documents", fields={"title": "x"}, confidence=0.1, reasoning="x")
                raise AssertionError("a write went through a locked database")
            except RpcError as e:
                assert e.code == ErrorCode.UNAVAILABLE
            assert c.rows.list(table="documents").rows == []  # reads still work
            more = [inbox / f"later-{i}.md" for i in range(3)]
            for i, path in enumerate(more):
                path.write_text(f"# Later {i}\n\n{PROSE} {uuid.uuid4()}")
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        # Every file is taken as soon as writes work again, without waiting for a rescan.
        for path in first + more:
            wait_until(
                lambda p=path: (r := record_of(c, p)) is not None and r.state in ("applied", "proposed"), timeout=60
            )
        assert c.system.health().status == "ok"


def test_two_daemons_create_one_fresh_postgresql_schema_together(make_daemon):
    admin = _admin()
    sep = "&" if "?" in PG_URL else "?"
    try:
        for _ in range(3):
            schema = "t_" + uuid.uuid4().hex[:12]
            with admin.cursor() as cur:
                cur.execute(f"CREATE SCHEMA {schema}")
            url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
            pair = [make_daemon(database=url, start=False) for _ in range(2)]
            with ThreadPoolExecutor(2) as pool:
                for f in [pool.submit(p.start) for p in pair]:
                    f.result()  # raises if that daemon died
            for p in pair:
                with p.client() as c:
                    assert c.system.health().status == "ok"
                assert p.stop() == 0
            with admin.cursor() as cur:
                cur.execute(f"DROP SCHEMA {schema} CASCADE")
            drop_reader_role(admin, schema)
    finally:
        admin.close()
