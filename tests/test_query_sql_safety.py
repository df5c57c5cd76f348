"""query.sql attacked as an operator would attack it (issue 9, items 5, 8 and 16), against
real daemons: SQLite, and PostgreSQL with the daemon connected as a superuser."""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import msgspec
import psycopg2
import pytest

from daemon.protocol import ErrorCode, RpcError

from conftest import PG_URL
from gov_helpers import error_code
from test_client import seed_rows

MEMORY = "memory_vendor_management"


@pytest.fixture
def seeded(make_daemon, database_url):
    seed_rows(database_url, 30)
    return make_daemon(database=database_url)


def test_sqlite_operator_sql_reads_memory_tables_only(make_daemon, tmp_path):
    url = f"sqlite:///{tmp_path}/state/clarity.db"
    seed_rows(url, 3)
    d = make_daemon(database=url)
    elsewhere = tmp_path / "elsewhere.db"
    with d.client() as c:
        assert c.query.sql(sql=f"SELECT count(*) FROM {MEMORY}").rows == [[3]]
        refused = [
            f"ATTACH DATABASE '{elsewhere}' AS other",  # creates or reads any file as the daemon
            f"SELECT * FROM {MEMORY}; ATTACH DATABASE '{elsewhere}' AS other",
            "SELECT * FROM clarity_ingest_journal",  # the daemon's own tables are not memory
            "SELECT path FROM clarity_ingest_journal UNION SELECT 'x'",
            f"SELECT * FROM {MEMORY} WHERE id IN (SELECT id FROM clarity_proposals)",
            "PRAGMA writable_schema = 1",
            "SELECT * FROM pragma_database_list",
            "SELECT load_extension('/tmp/x.so')",
            "VACUUM INTO '/tmp/copy.db'",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT s",
            "RELEASE s",
            f"DELETE FROM {MEMORY}",
        ]
        for sql in refused:
            assert error_code(c.query.sql, sql=sql) == ErrorCode.INVALID_PARAMS, sql
        assert not elsewhere.exists()
        # Transaction control once left a reader thread "interrupted" for every later call.
        for _ in range(8):
            assert c.query.sql(sql="SELECT 1 AS one").rows == [[1]]
            assert len(c.rows.list(table="vendor_management").rows) == 3
        assert c.tables.describe(table="vendor_management").row_count == 3


@pytest.fixture
def admin():
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    yield conn
    conn.close()


def test_postgresql_operator_sql_cannot_reach_the_server(make_daemon, pg_url, admin, tmp_path):
    seed_rows(pg_url, 3)
    d = make_daemon(database=pg_url)
    marker = f"/tmp/clarity-pwned-{uuid.uuid4().hex}"
    key = int(uuid.uuid4().int % 2_000_000_000)
    with d.client() as c:
        assert c.query.sql(sql=f"SELECT count(*) FROM {MEMORY}").rows == [[3]]
        info = c.system.info()
        assert "clarity_reader_" in info.query_sql
        attacks = [
            f"COPY (SELECT 1) TO PROGRAM 'id > {marker}.program'",
            f"COPY (SELECT 1) TO '{marker}.copy'",
            "SELECT pg_read_file('/etc/hostname')",
            "SELECT * FROM pg_ls_dir('.')",
            "SELECT lo_import('/etc/hostname')",
            f"SELECT pg_advisory_lock({key})",
            f"SELECT pg_try_advisory_lock({key})",
            "SELECT set_config('role', 'postgres', true), pg_read_file('/etc/hostname')",
            "SELECT \"set_config\"('role', 'postgres', true)",
            "SELECT * FROM clarity_proposals",  # the daemon's own tables are not memory
            f"SELECT 1; SELECT pg_advisory_lock({key})",
            "RESET ROLE",
            f"DELETE FROM {MEMORY}",
        ]
        for sql in attacks:
            code = error_code(c.query.sql, sql=sql)
            assert code == ErrorCode.INVALID_PARAMS, sql
        assert not os.path.exists(marker + ".program") and not os.path.exists(marker + ".copy")
        with admin.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s", (key,))
            assert cur.fetchone()[0] == 0
        assert c.query.sql(sql=f"SELECT count(*) FROM {MEMORY}").rows == [[3]]  # still usable


def test_postgresql_without_a_reader_role_refuses_query_sql(make_daemon, pg_url, admin):
    """A daemon whose database user may not create roles does not offer query.sql."""
    user = "clarity_plain_" + uuid.uuid4().hex[:8]
    schema = pg_url.rsplit("%3D", 1)[1]
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {user} LOGIN")
        cur.execute(f"GRANT ALL ON SCHEMA {schema} TO {user}")
    try:
        url = pg_url.replace("postgresql://postgres@", f"postgresql://{user}@")
        d = make_daemon(database=url)
        with d.client() as c:
            assert c.system.info().query_sql.startswith("refused")
            assert c.system.health().query_sql.startswith("refused")
            assert error_code(c.query.sql, sql="SELECT 1") == ErrorCode.UNAVAILABLE
            assert c.rows.list(table="vendor_management").rows == []  # everything else works
        d.stop()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP OWNED BY {user} CASCADE")
            cur.execute(f"DROP ROLE {user}")


def test_replies_are_capped_in_bytes(seeded, database_url):
    if database_url.startswith("sqlite"):
        big = (
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000) "
            "SELECT n, printf('%.1000c', 'x') AS pad FROM g"
        )
    else:
        big = "SELECT n, repeat('x', 1000) AS pad FROM generate_series(1, 100000) AS n"
    with seeded.client() as c:
        r = c.query.sql(sql=big, max_rows=10_000, max_bytes=256 * 1024)
        assert r.truncated and 0 < len(r.rows) < 10_000
        assert len(msgspec.json.encode(r.rows)) <= 256 * 1024
        r = c.query.sql(sql=big, max_rows=10)
        assert r.truncated and len(r.rows) == 10


def test_slow_operator_sql_does_not_stall_other_reads(seeded, database_url):
    if database_url.startswith("sqlite"):  # a few seconds of work, well within the 10 s limit
        slow = (
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000000) SELECT count(*) FROM g"
        )
    else:
        slow = "SELECT pg_sleep(2.5)"
    running = threading.Event()

    def run_slow() -> str:
        with seeded.client(timeout=60) as c:
            running.set()
            try:
                c.query.sql(sql=slow)
                return "done"
            except RpcError as e:
                return ErrorCode(e.code).name + e.message[:80]

    with ThreadPoolExecutor(4) as pool:
        slow_calls = [pool.submit(run_slow) for _ in range(4)]  # as many as the daemon's readers
        running.wait()
        with seeded.client() as c:
            # Give the slow ones time to reach the daemon (not an assertion on time).
            threading.Event().wait(0.5)
            for _ in range(5):
                assert len(c.rows.list(table="vendor_management", limit=5).rows) == 5
                assert c.system.health().status == "ok"
            finished_before = sum(f.done() for f in slow_calls)
        results = [f.result() for f in slow_calls]
    assert finished_before == 0, ("reads waited for operator SQL", results)
    assert set(results) <= {"done", "UNAVAILABLE", "INVALID_PARAMS"}


def test_a_table_created_at_run_time_is_readable_at_once(daemon_on):
    """The reader role's grants (PostgreSQL) and the authorizer's tables (SQLite) follow the catalog."""
    with daemon_on.client() as c:
        assert c.query.sql(sql="SELECT count(*) FROM memory_documents").rows == [[0]]  # the role exists first
        p = c.proposals.schema_tweak(
            action="create_table",
            table="contracts",
            fields=[{"name": "party", "type": "string"}],
            description="Signed contracts.",
            reasoning="legal asked",
        )
        assert c.proposals.approve(id=p.id).status == "applied"
        c.proposals.create(table="contracts", fields={"party": "ACME"}, confidence=0.99)
        assert c.query.sql(sql="SELECT party FROM memory_contracts").rows == [["ACME"]]


def test_too_many_operator_statements_at_once_are_unavailable(make_daemon, pg_url):
    """Two run, eight wait; the rest are told to come back (UNAVAILABLE), not queued without end."""
    d = make_daemon(database=pg_url)
    start = threading.Barrier(12)

    def call() -> str:
        with d.client(timeout=60) as c:
            c.system.health()  # connected before the barrier, so all send at once
            start.wait()
            try:
                c.query.sql(sql="SELECT pg_sleep(0.5)")
                return "done"
            except RpcError as e:
                return ErrorCode(e.code).name

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda _: call(), range(12)))
    assert results.count("done") >= 2 and "UNAVAILABLE" in results, results
    assert set(results) <= {"done", "UNAVAILABLE"}
    with d.client() as c:
        assert c.query.sql(sql="SELECT 1 AS one").rows == [[1]]


def test_pages_with_offset_line_up(seeded, database_url):
    """Paging past the row cap: each truncated reply names the next page's offset, and the pages
    together are the whole answer, in order, once (on either database)."""
    if database_url.startswith("sqlite"):
        numbers = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2500) SELECT n FROM g"
    else:
        numbers = "SELECT n FROM generate_series(1, 2500) AS n ORDER BY n"
    with seeded.client() as c:
        seen: list[int] = []
        offset: int | None = 0
        pages = 0
        while offset is not None:
            page = c.query.sql(sql=numbers, max_rows=1000, offset=offset)
            assert page.truncated == (page.next_offset is not None)
            seen += [row[0] for row in page.rows]
            offset, pages = page.next_offset, pages + 1
        assert seen == list(range(1, 2501)) and pages == 3
        last = c.query.sql(sql=numbers, max_rows=1000, offset=2500)
        assert last.rows == [] and not last.truncated and last.next_offset is None
        beyond = c.query.sql(sql=numbers, offset=10**9)  # past the end: nothing, not an error
        assert beyond.rows == [] and beyond.next_offset is None
        # A page cut by bytes goes on where it stopped.
        fmt = "printf" if database_url.startswith("sqlite") else "format"
        wide = f"SELECT n, {fmt}('%s-padding', n) AS pad FROM ({numbers}) AS t"
        first = c.query.sql(sql=wide, max_rows=10_000, max_bytes=4096)
        assert first.truncated and first.next_offset == len(first.rows) < 2500
        second = c.query.sql(sql=wide, max_rows=10, max_bytes=4096, offset=first.next_offset)
        assert second.rows[0][0] == first.rows[-1][0] + 1
        with pytest.raises(RpcError) as e:
            c.query.sql(sql=numbers, offset=-1)
        assert e.value.code == ErrorCode.INVALID_PARAMS
