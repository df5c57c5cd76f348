"""query.sql: operator SQL on connections, threads and a role of its own.

* Its own small thread pool (:data:`THREADS`), with at most :data:`QUEUED` statements
  waiting; more are UNAVAILABLE ("busy"). Slow statements never hold the Store's readers.
* Its own connections. SQLite: opened read-only, ``query_only``, no ATTACH (limit 0), a cap
  on string and blob length, and :func:`.sql_guard.sqlite_authorizer` allowing SELECT of
  the memory tables only. PostgreSQL: a read-only session whose statements run under
  ``SET LOCAL ROLE clarity_reader_<hash>``, a NOLOGIN role the daemon creates with USAGE on
  its schema and SELECT on the memory tables (kept in step as tables appear), so a
  superuser's rights (COPY TO PROGRAM, pg_read_file, lo_import...) are not the
  statement's. Advisory locks are refused by name and released after every statement
  anyway. If the role cannot be made, query.sql is not offered (UNAVAILABLE, and
  ``status`` says why, for system.info and health).
* Writes held in memory (agents' bare heartbeats) are flushed first, as for rows.list.
* Rows are streamed (a server-side cursor on PostgreSQL) and counted in bytes as well as
  rows: the reply stops at ``max_bytes`` or ``max_rows`` with ``truncated``. Pages: the
  statement runs again with ``offset`` rows read and dropped first (no cursor is held
  between calls, so nothing is left open when a console goes away); the 10-second limit
  covers the skipping too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import msgspec
import peewee

from ..errors import InvalidParams, Unavailable
from .failures import unavailable_reason
from .sql_guard import check_statement, sqlite_authorizer

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger(__name__)

THREADS = 2  # operator statements running at once
QUEUED = 8  # waiting for a thread; beyond that, UNAVAILABLE
TIMEOUT_S = 10.0
BATCH = 200  # rows fetched at a time
SQLITE_MAX_LENGTH = 64 * 1024 * 1024  # the longest string or blob a statement may build


class SqlPage(NamedTuple):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool  # more rows follow
    next_offset: int | None  # where the next page starts; None at the end (or if no row fits max_bytes)


def reader_role_name(database: str, schema: str) -> str:
    """The NOLOGIN role operator SQL runs as, for one database and schema (role names are
    global to the server: the hash keeps deployments apart, and within 63 bytes)."""
    return "clarity_reader_" + hashlib.sha1(f"{database}/{schema}".encode()).hexdigest()[:16]


# A statement naming a table that is not there: SQLite's words, then PostgreSQL's.
_MISSING_TABLE = re.compile(r'no such table: (?:main\.)?([\w]+)|relation "(?:[\w]+\.)?([\w]+)" does not exist')


def with_table_hint(message: str, catalog: dict[str, Any]) -> str:
    """``message``, where it says a statement named a catalog table as the tools do
    (``documents``), with the table's name in SQL after its first line (``memory_documents``;
    some differ, e.g. ``memory_coding_work_orders``)."""
    found = _MISSING_TABLE.search(message)
    if found is None:
        return message
    name = found.group(1) or found.group(2)
    spec = catalog.get(name)
    hint = (
        f" (in SQL: {spec.db_table})"
        if spec
        else " (in SQL the memory tables are memory_*: tables.describe names each)"
    )
    first, newline, rest = message.partition("\n")  # PostgreSQL adds lines pointing into the statement
    return first + hint + newline + rest


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class OperatorSql:
    def __init__(self, store: Store, threads: int = THREADS, queued: int = QUEUED) -> None:
        self.store = store
        self.postgres = isinstance(store.db, peewee.PostgresqlDatabase)
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="operator-sql")
        self._limit = threads + queued
        self._pending = 0  # running or waiting (touched on the event loop only)
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._grant_lock = threading.Lock()
        self.role: str | None = None
        self.schema: str | None = None
        self._granted: set[str] = set()
        # Why query.sql is not offered (PostgreSQL without a reader role), or None.
        self.refused: str | None = None

    @property
    def status(self) -> str:
        """One line for system.info and health."""
        if self.refused:
            return f"refused: {self.refused}"
        if self.postgres:
            return f"read-only, as role {self.role}" if self.role else "read-only role not set up yet"
        return "read-only connection; memory tables only"

    # -- life -------------------------------------------------------------------------

    async def prepare(self) -> None:
        """At start, on PostgreSQL: make the reader role (or note why query.sql is refused)."""
        if self.postgres:
            await asyncio.get_running_loop().run_in_executor(self._pool, self._setup_role_safely)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(Exception):
                    conn.close()
            self._connections.clear()

    # -- running ----------------------------------------------------------------------

    async def run(self, sql: str, params: list[Any], max_rows: int, max_bytes: int, offset: int = 0) -> SqlPage:
        """One page of a read-only statement's answer; see the module docstring."""
        check_statement(sql, self.postgres)
        if self.refused:
            raise Unavailable(f"query.sql is not offered on this database: {self.refused}")
        if self._pending >= self._limit:
            raise Unavailable(f"{self._pending} SQL statements are running or waiting; try again shortly")
        self._pending += 1
        try:
            # What waits in memory (agents' heartbeats) is written first: the statement may read
            # any table, and must see the state rows.list sees.
            await self.store.settle()
            columns, rows, truncated = await asyncio.get_running_loop().run_in_executor(
                self._pool, self._run_with_retry, sql, params, max_rows, max_bytes, offset
            )
        finally:
            self._pending -= 1
        return SqlPage(columns, rows, truncated, offset + len(rows) if truncated and rows else None)

    def _run_with_retry(
        self, sql: str, params: list[Any], max_rows: int, max_bytes: int, offset: int
    ) -> tuple[list[str], list[list[Any]], bool]:
        for attempt in (1, 2):  # reads may run again on a new connection
            try:
                conn = self._connection()
                if self.postgres:
                    return self._run_pg(conn, sql, params, max_rows, max_bytes, offset)
                return self._run_sqlite(conn, sql, params, max_rows, max_bytes, offset)
            except (InvalidParams, Unavailable):
                raise
            except Exception as e:
                reason = unavailable_reason(e)
                if reason is None:
                    raise InvalidParams(f"SQL refused: {with_table_hint(str(e), self.store.catalog)}") from None
                self._drop_connection()
                if attempt == 2:
                    raise Unavailable(f"the database cannot be read now: {reason}") from None
        raise AssertionError("unreachable")

    @staticmethod
    def _collect(cursor: Any, max_rows: int, max_bytes: int, offset: int) -> tuple[list[list[Any]], bool]:
        """Rows from ``cursor``, after the first ``offset``, until it ends, ``max_rows`` or
        ``max_bytes`` (as JSON)."""
        while offset > 0:
            skipped = len(cursor.fetchmany(min(offset, BATCH)))
            if not skipped:
                return [], False
            offset -= skipped
        rows: list[list[Any]] = []
        size = 0
        while True:
            batch = cursor.fetchmany(BATCH)
            if not batch:
                return rows, False
            for row in batch:
                values = list(row)
                size += len(msgspec.json.encode(values, enc_hook=str)) + 1
                if len(rows) >= max_rows or size > max_bytes:
                    return rows, True
                rows.append(values)

    # -- SQLite -----------------------------------------------------------------------

    def _run_sqlite(
        self, conn: sqlite3.Connection, sql: str, params: list[Any], max_rows: int, max_bytes: int, offset: int
    ) -> tuple[list[str], list[list[Any]], bool]:
        readable = frozenset(spec.db_table for spec in self.store.catalog.values())
        deadline = time.monotonic() + TIMEOUT_S
        conn.set_authorizer(sqlite_authorizer(readable))
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        cursor = None
        try:
            cursor = conn.execute(sql, params)
            columns = [d[0] for d in cursor.description or []]
            rows, truncated = self._collect(cursor, max_rows, max_bytes, offset)
        except sqlite3.OperationalError as e:
            if str(e) == "interrupted":
                raise InvalidParams(f"SQL refused: it ran longer than {TIMEOUT_S:g} s") from None
            raise
        finally:
            if cursor is not None:
                cursor.close()  # ends the read (a truncated result leaves rows unread)
            conn.set_progress_handler(None, 0)
            conn.set_authorizer(None)
            if conn.in_transaction:  # cannot happen (the authorizer refuses BEGIN); never leave one open
                conn.rollback()
        return columns, rows, truncated

    # -- PostgreSQL -------------------------------------------------------------------

    def _run_pg(
        self, conn: Any, sql: str, params: list[Any], max_rows: int, max_bytes: int, offset: int
    ) -> tuple[list[str], list[list[Any]], bool]:
        if self.role is None:
            self._setup_role_safely()
            if self.refused:
                raise Unavailable(f"query.sql is not offered on this database: {self.refused}")
        self._grant_new_tables(conn)
        try:
            with conn.cursor() as cur:  # the session is read-only: this opens a read-only transaction
                cur.execute(f"SET LOCAL statement_timeout = {int(TIMEOUT_S * 1000)}")
                cur.execute(f"SET LOCAL ROLE {_quote_ident(self.role or '')}")
            with conn.cursor(name="clarity_operator_sql") as named:  # server-side: rows come in batches
                named.itersize = BATCH
                named.execute(sql, params or None)
                rows, truncated = self._collect(named, max_rows, max_bytes, offset)
                columns = [d[0] for d in named.description or []]
            with conn.cursor() as cur:
                cur.execute("SELECT current_user")
                (user,) = cur.fetchone()
            if user != self.role:  # belt and braces: the text checks should make this impossible
                raise InvalidParams("SQL refused: the statement changed the role it runs as")
        finally:
            if not conn.closed:
                conn.rollback()
                conn.autocommit = True
                try:
                    with conn.cursor() as cur:  # a session lock would outlive the rollback
                        cur.execute("SELECT pg_advisory_unlock_all()")
                finally:
                    conn.autocommit = False
        return columns, rows, truncated

    def _setup_role_safely(self) -> None:
        try:
            conn = self._connection()
            self._setup_role(conn)
            self._grant_new_tables(conn)
        except Exception as e:
            if unavailable_reason(e) is not None:
                self._drop_connection()
                return  # the database is away: try again at the next call
            self.refused = f"cannot set up a read-only role ({str(e).strip().splitlines()[0]})"
            log.warning("query.sql will be refused: %s", self.refused)

    def _setup_role(self, conn: Any) -> None:
        """Create the reader role if missing, let the daemon's user SET ROLE to it, and give
        it the schema. Needs superuser or CREATEROLE; otherwise query.sql is refused."""
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT current_database(), current_schema(), current_user")
                database, schema, user = cur.fetchone()
                role = reader_role_name(database, schema)
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
                if cur.fetchone() is None:
                    try:
                        cur.execute(f"CREATE ROLE {_quote_ident(role)} NOLOGIN")
                    except Exception as e:
                        if getattr(e, "pgcode", None) != "42710":  # made meanwhile by another daemon
                            raise
                cur.execute("SELECT pg_has_role(current_user, %s, 'USAGE')", (role,))
                if not cur.fetchone()[0]:
                    cur.execute(f"GRANT {_quote_ident(role)} TO {_quote_ident(user)}")
                cur.execute(f"GRANT USAGE ON SCHEMA {_quote_ident(schema)} TO {_quote_ident(role)}")
        finally:
            conn.autocommit = False
        self.role, self.schema, self.refused = role, schema, None
        log.info("query.sql runs as PostgreSQL role %s (SELECT on the memory tables only)", role)

    def _grant_new_tables(self, conn: Any) -> None:
        """SELECT on every memory table the role has not been given yet (tables appear at run time)."""
        if not ({spec.db_table for spec in self.store.catalog.values()} - self._granted):
            return
        with self._grant_lock:  # one GRANT at a time: concurrent ones on a table fail ("tuple concurrently updated")
            self._grant(conn)

    def _grant(self, conn: Any) -> None:
        missing = {spec.db_table for spec in self.store.catalog.values()} - self._granted
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for table in sorted(missing):
                    try:
                        cur.execute(
                            f"GRANT SELECT ON {_quote_ident(self.schema or '')}.{_quote_ident(table)} "
                            f"TO {_quote_ident(self.role or '')}"
                        )
                    except Exception as e:
                        # Not created yet, or another daemon granting at the same moment: next time.
                        if getattr(e, "pgcode", None) in ("42P01", "XX000"):
                            continue
                        raise
                    self._granted.add(table)
        finally:
            conn.autocommit = False

    # -- connections ------------------------------------------------------------------

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self.postgres and conn.closed:
            self._drop_connection()
            conn = None
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _open(self) -> Any:
        db = self.store.db
        if self.postgres:
            conn = db._connect()  # type: ignore[attr-defined]  # the daemon's parameters (search_path, application_name)
            conn.autocommit = False
            conn.set_session(readonly=True)
            return conn
        path = db.database
        conn = sqlite3.connect(
            f"file:{quote(path)}?mode=ro", uri=True, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        conn.execute("PRAGMA query_only = 1")
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQLITE_MAX_LENGTH)
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._connections:
                    self._connections.remove(conn)
            with contextlib.suppress(Exception):
                conn.close()
