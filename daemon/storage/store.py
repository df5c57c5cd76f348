"""The Store: models, a pool of reader threads and exactly one writer thread.

Every change in the daemon goes through :meth:`Store.write`, so SQLite never sees two
writers ("database is locked") and a change and its events commit together.

When the database goes away (a PostgreSQL restart, failover or killed backend; a SQLite
file that is locked by another process, read-only, or on a full disk) the Store says so
instead of failing with internal errors: a dead connection is dropped and opened again
at the next use; a read that lost its connection runs once more on a new one; a write is
never run twice (it may have committed before the connection died) but answered with
UNAVAILABLE. Once a write has failed so, writes are refused at once (``write_error`` says
why, and health shows it) while a probe retries a tiny write with backoff; when it gets
through, writes resume and the recovery hooks run (ingest rescans for what arrived).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import peewee

from ..catalog import TableSpec
from ..errors import NotFound, Unavailable
from . import compiled
from .checkpoints import Checkpointer
from .database import backend_name
from .failures import lost_to_concurrency, unavailable_reason
from .models import MemoryModel, build_model, build_models, utcnow
from .operator_sql import OperatorSql

log = logging.getLogger(__name__)

CREATE_ATTEMPTS = 5  # create_tables against other daemons' writes (each try waits out the one it lost to)
T = TypeVar("T")
PROBE_FIRST_S = 0.1  # the write probe's first wait; it doubles up to PROBE_MAX_S
PROBE_MAX_S = 2.0
PRE_PING_IDLE_S = 1.0  # a PostgreSQL connection idle this long is checked before a write uses it
HEALTH_MAX_AGE_S = 1.0  # health trusts a read or write (or its own ping) this recent; else it pings
HEALTH_PING_TIMEOUT_S = 2.0


class WriteProbe(peewee.Model):
    """One row the Store rewrites to learn whether the database takes writes again."""

    id = peewee.IntegerField(primary_key=True)
    at = peewee.DateTimeField()

    class Meta:
        table_name = "clarity_write_probe"


class Store:
    def __init__(self, db: peewee.Database, catalog: dict[str, TableSpec], readers: int = 4) -> None:
        self.db = db
        self.catalog = catalog
        self.models: dict[str, type[MemoryModel]] = build_models(catalog, db)
        self.internal_models: list[type[peewee.Model]] = []
        self.backend = backend_name(db)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="db-writer")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="db-reader")
        self._local = threading.local()
        # Why writes fail now (None: they work). Set and cleared under _state_lock.
        self.write_error: str | None = None
        self._state_lock = threading.Lock()
        self._recovery_hooks: list[Callable[[], object]] = []
        self._closing = False
        # What health answers from: when a read or write last reached the database, when one
        # last failed to, and the ping health ran itself (shared by callers while in flight).
        self.last_ok = 0.0
        self.last_failure = 0.0
        self._ping: tuple[float, bool, str] | None = None  # (monotonic time, ok, why not)
        self._pinging: asyncio.Future[tuple[bool, str]] | None = None
        # Tables whose recent changes may wait in memory (agents' heartbeats): how to write them.
        self._deferred: dict[str, Callable[[], Awaitable[None]]] = {}
        self.register(WriteProbe)
        # Operator SQL (query.sql) has threads and connections of its own: slow or huge
        # queries cannot take the readers every other call needs.
        self.operator_sql = OperatorSql(self)
        self.checkpoints = Checkpointer(db) if self.backend == "sqlite" else None

    # -- schema -----------------------------------------------------------------------

    def register(self, *models: type[peewee.Model]) -> None:
        """Add the daemon's own tables (events, proposals, journal...) to create and bind."""
        for model in models:
            model.bind(self.db)
            if model not in self.internal_models:
                self.internal_models.append(model)

    def create_tables(self) -> None:
        """Create every missing table (idempotent). Several daemons starting at once on one
        PostgreSQL database: hold :meth:`schema_lock` around this (CREATE TABLE IF NOT
        EXISTS is not safe against a concurrent one).

        On PostgreSQL, CREATE INDEX IF NOT EXISTS locks a table that exists already against
        writes: another daemon busy writing can deadlock with it. The loser, if it is this,
        runs again once the other has committed (nothing of it was kept)."""
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                with self.db.connection_context(), self.db.atomic():
                    self.db.create_tables([*self.internal_models, *self.models.values()], safe=True)
                return
            except peewee.PeeweeException as e:
                if attempt == CREATE_ATTEMPTS or not lost_to_concurrency(e):
                    raise
                log.info("creating tables lost to another daemon's transaction (%s); again", e)

    @contextlib.asynccontextmanager
    async def schema_lock(self) -> AsyncIterator[None]:
        """On PostgreSQL, a session advisory lock (on a connection of its own) held while the
        schema is created or migrated at start, so daemons starting together take turns.
        The key is the database and schema: deployments sharing a server do not wait on
        each other. On SQLite, nothing (one daemon per file; the state folder lock sees to it)."""
        if self.backend != "postgresql":
            yield
            return
        loop = asyncio.get_running_loop()

        def acquire() -> Any:
            conn = self.db._connect()  # type: ignore[attr-defined]  # autocommit; closed (which also unlocks) below
            with conn.cursor() as cur:
                cur.execute("SELECT current_database(), current_schema()")
                database, schema = cur.fetchone()
                name = f"clarity.schema:{database}/{schema}"
                key = int.from_bytes(hashlib.sha1(name.encode()).digest()[:8], "big", signed=True)
                cur.execute("SELECT pg_advisory_lock(%s)", (key,))
            return conn

        conn = await loop.run_in_executor(None, acquire)
        try:
            yield
        finally:
            await loop.run_in_executor(None, conn.close)

    # -- lookups ----------------------------------------------------------------------

    def spec(self, table: str) -> TableSpec:
        try:
            return self.catalog[table]
        except KeyError:
            raise NotFound(f"unknown table {table!r}; tables.list names them") from None

    def model(self, table: str) -> type[MemoryModel]:
        self.spec(table)
        return self.models[table]

    def put_table(self, spec: TableSpec) -> type[MemoryModel]:
        """Add or replace a table in the live catalog once its schema change is in the
        database (governance calls this on the writer thread). Copy on write: the dicts are
        replaced, never resized in place, so a thread iterating over the old ones is not
        disturbed; read ``store.catalog`` / ``store.models`` afresh rather than keeping them."""
        model = build_model(spec, self.db)
        self.catalog = {**self.catalog, spec.name: spec}
        self.models = {**self.models, spec.name: model}
        return model

    def drop_table_spec(self, name: str) -> None:
        """Forget a table the catalog should no longer have (copy on write, as put_table)."""
        self.catalog = {k: v for k, v in self.catalog.items() if k != name}
        self.models = {k: v for k, v in self.models.items() if k != name}

    # -- running work -----------------------------------------------------------------

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on a reader thread (once more on a new connection if it lost its own;
        UNAVAILABLE if the database cannot be reached)."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, self._run_read, fn, args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` in one transaction on the writer thread; then run its after-commit hooks."""
        loop = asyncio.get_running_loop()
        result, hooks = await loop.run_in_executor(self._writer, self._run_write, fn, args)
        for hook in hooks:
            try:
                hook()
            except Exception:  # a hook's failure must not undo a committed write
                log.exception("after-commit hook failed")
        return result

    def write_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """:meth:`write` for threads that are not the event loop (scheduler jobs, watchers)."""
        result, hooks = self._writer.submit(self._run_write, fn, args).result()
        for hook in hooks:
            hook()
        return result

    def after_commit(self, hook: Callable[[], None]) -> None:
        """From inside a write: call ``hook`` (on the caller's side) once the transaction commits."""
        hooks = getattr(self._local, "hooks", None)
        if hooks is None:
            raise RuntimeError("after_commit() outside Store.write()")
        hooks.append(hook)

    def insert_later(
        self,
        model: type[peewee.Model],
        values: dict[str, Any],
        *,
        conflict_target: tuple[str, ...] = (),
        preserve: tuple[str, ...] = (),
        on_id: Callable[[int], None] | None = None,
    ) -> None:
        """From inside a write: insert this row at the end of the write, with the others of
        its table in one statement (:func:`compiled.insert_many`): a group transaction's
        events and audit rows then cost a statement per table, not one per row. ``on_id``
        gets the new id then, before the commit. Like an after-commit hook, the row is
        dropped with the :meth:`savepoint` it was made in (not with a bare ``db.atomic()``).
        Nothing in the same write may read it back."""
        later = getattr(self._local, "later", None)
        if later is None:
            raise RuntimeError("insert_later() outside Store.write()")
        later.append((model, values, conflict_target, preserve, on_id))

    def update_later(self, model: type[peewee.Model], row_id: Any, values: dict[str, Any]) -> None:
        """From inside a write: set ``values`` on row ``row_id`` of ``model`` at the end of the
        write, with the other rows of its table changed the same way in one call
        (:func:`compiled.update_many`): a group of agents' reports costs a statement, not one
        per report. Later values for the same row win. Dropped with the :meth:`savepoint` it
        was made in. Whoever reads the row again in the same write must read it from the
        write's :meth:`memo`, which holds it as changed (after a savepoint rolls back, the
        memo is emptied and what is pending is written first, so the database has it)."""
        updates = getattr(self._local, "updates", None)
        if updates is None:
            raise RuntimeError("update_later() outside Store.write()")
        updates.append((model, row_id, values))

    def held_locks(self) -> set[str]:
        """From inside a write: keys of locks taken for the whole of it (not in a savepoint),
        noted by whoever took them so they are not asked for again."""
        held: set[str] | None = getattr(self._local, "held", None)
        if held is None:
            raise RuntimeError("held_locks() outside Store.write()")
        return held

    def before_commit(self, hook: Callable[[], None]) -> None:
        """From an ``insert_later`` row's ``on_id`` (once no savepoint can roll back): call
        ``hook`` on the writer thread after every pending row is inserted, before the commit."""
        self._local.finishing.append(hook)

    def memo(self) -> dict[Any, Any]:
        """From inside a write: a dict for rows it read and may use again (a group of writes
        reads its rows at once). Emptied when a savepoint rolls back (a row in it may hold the
        rolled-back changes) and at the write's end."""
        memo: dict[Any, Any] | None = getattr(self._local, "memo", None)
        if memo is None:
            raise RuntimeError("memo() outside Store.write()")
        return memo

    def _update_pending(self) -> None:
        """The changes :meth:`update_later` kept, merged per row, a call per table and shape,
        in row-id order: whatever locks several rows of a table locks them in that order (a
        batch of heartbeats does, live_beats.write_beats), so two daemons' transactions on one
        PostgreSQL never each hold a row the other waits for."""
        merged: dict[tuple[Any, Any], dict[str, Any]] = {}
        for model, row_id, values in self._local.updates:
            merged.setdefault((model, row_id), {}).update(values)
        self._local.updates.clear()
        by_model: dict[Any, list[tuple[dict[str, Any], Any]]] = {}
        for (model, row_id), values in merged.items():
            by_model.setdefault(model, []).append((values, row_id))
        for model, rows in by_model.items():
            rows.sort(key=lambda r: r[1])
            compiled.update_many(model, rows)

    def _insert_pending(self) -> None:
        """The rows :meth:`insert_later` kept, a statement per table and shape, in their order."""
        later = self._local.later
        groups: dict[tuple[Any, ...], list[tuple[dict[str, Any], Callable[[int], None] | None]]] = {}
        for model, values, conflict_target, preserve, on_id in later:
            key = (model, conflict_target, preserve, tuple(values))
            groups.setdefault(key, []).append((values, on_id))
        later.clear()
        for (model, conflict_target, preserve, _), rows in groups.items():
            want_ids = any(on_id is not None for _, on_id in rows)
            ids = compiled.insert_many(
                model,
                [values for values, _ in rows],
                returning_id=want_ids,
                conflict_target=conflict_target,
                preserve=preserve,
            )
            if ids is not None:
                for (_, on_id), new_id in zip(rows, ids, strict=True):
                    if on_id is not None:
                        on_id(new_id)

    def defer_writes(self, table: str, flush: Callable[[], Awaitable[None]]) -> None:
        """Say that changes to catalog table ``table`` may wait in memory, and how to write
        them (``flush``, on the loop): :meth:`settle` calls it before reads that need them."""
        self._deferred[table] = flush

    async def settle(self, table: str | None = None) -> None:
        """Write what waits in memory for ``table`` (every table: None) before reading it."""
        for name, flush in list(self._deferred.items()):
            if table is None or name == table:
                await flush()

    def on_recovered(self, hook: Callable[[], object]) -> None:
        """Call ``hook`` (from the probe's thread: make it thread-safe) whenever writes work
        again after failing."""
        self._recovery_hooks.append(hook)

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """From inside a write: a nested transaction. If it rolls back, the after-commit hooks
        registered inside it (its events) are dropped with it, and the rest of the write
        stays intact: several independent changes can share one transaction (group commit).
        A savepoint that finds the database unavailable raises Unavailable, and the ones
        after it in the same transaction do so at once."""
        hooks = getattr(self._local, "hooks", None)
        if hooks is None:
            raise RuntimeError("savepoint() outside Store.write()")
        self._refuse_if_unwritable()
        mark, later, updates = len(hooks), len(self._local.later), len(self._local.updates)
        try:
            with self.db.atomic():
                yield
        except BaseException as e:
            del hooks[mark:]
            del self._local.later[later:]
            del self._local.updates[updates:]
            self._local.memo.clear()
            reason = unavailable_reason(e) if isinstance(e, Exception) and not isinstance(e, Unavailable) else None
            if self._local.updates and reason is None and not isinstance(e, Unavailable):
                self._update_pending()  # what the memo held as changed, into the database the next reads see
            if reason is not None:
                self._writes_failed(reason)
                raise Unavailable(f"the database cannot be written now: {reason}") from e
            raise

    # -- connections and failures -----------------------------------------------------

    def _ensure_connection(self, pre_ping: bool = False) -> None:
        """This thread's connection, opened again if the last one died. ``pre_ping``: on
        PostgreSQL, first check a connection idle for a while with a SELECT 1, so a write is
        not the one to find it killed (a write that fails cannot be run again)."""
        if not self.db.is_closed() and not self.db.is_connection_usable():
            self._drop_connection()
        now = time.monotonic()
        if (
            pre_ping
            and self.backend == "postgresql"
            and not self.db.is_closed()
            and now - getattr(self._local, "used", now) > PRE_PING_IDLE_S
        ):
            try:
                self.db.execute_sql("SELECT 1")
            except Exception as e:
                if unavailable_reason(e) is None:
                    raise
                self._drop_connection()
        self.db.connect(reuse_if_open=True)
        self._local.used = now

    def _drop_connection(self) -> None:
        """Forget this thread's connection, closing it if it will let us."""
        conn = None if self.db.is_closed() else self.db._state.conn  # type: ignore[attr-defined]  # Peewee internal
        self.db.dispose()
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _refuse_if_unwritable(self) -> None:
        if self.write_error is not None and not getattr(self._local, "probing", False):
            raise Unavailable(f"the database cannot be written now: {self.write_error}; retrying by itself")

    def _writes_failed(self, reason: str) -> None:
        """Say writes fail (health shows it), and start probing for when they work again."""
        with self._state_lock:
            if self.write_error is not None or self._closing:
                return
            self.write_error = reason
        log.warning("database writes are failing: %s; answering UNAVAILABLE until they work again", reason)
        threading.Thread(target=self._probe_until_writable, name="db-write-probe", daemon=True).start()

    def _probe_until_writable(self) -> None:
        wait = PROBE_FIRST_S
        while not self._closing:
            time.sleep(wait)
            try:
                self._writer.submit(self._probe_write).result()
            except RuntimeError:
                return  # the writer was shut down: the daemon is stopping
            except Exception as e:
                with self._state_lock:
                    self.write_error = unavailable_reason(e) or f"{type(e).__name__}: {e}"
                wait = min(wait * 2, PROBE_MAX_S)
                continue
            with self._state_lock:
                self.write_error = None
            log.warning("database writes work again")
            for hook in self._recovery_hooks:
                try:
                    hook()
                except Exception:
                    log.exception("recovery hook failed")
            return

    def _probe_write(self) -> None:
        """On the writer thread: one tiny real write (a lock, a read-only file or a full disk
        all refuse it)."""
        self._local.probing = True
        try:
            self._ensure_connection()
            with self.db.atomic():
                WriteProbe.insert(id=1, at=utcnow()).on_conflict(
                    conflict_target=[WriteProbe.id], update={WriteProbe.at: utcnow()}
                ).execute()
        except Exception as e:
            if unavailable_reason(e) is not None and self.backend == "postgresql":
                self._drop_connection()
            raise
        finally:
            self._local.probing = False

    def _run_read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        for attempt in (1, 2):
            try:
                self._ensure_connection()
                result = fn(*args)
                self.last_ok = time.monotonic()
                return result
            except Exception as e:
                reason = unavailable_reason(e)
                if reason is None:
                    raise
                self.last_failure = time.monotonic()
                self._drop_connection()
                if attempt == 2 or self.backend != "postgresql":
                    raise Unavailable(f"the database cannot be read now: {reason}") from e
                log.info("database connection lost (%s); reading again on a new one", reason)
        raise AssertionError("unreachable")

    def _run_write(self, fn: Callable[..., T], args: tuple[Any, ...]) -> tuple[T, list[Callable[[], None]]]:
        self._refuse_if_unwritable()
        self._local.hooks = []
        self._local.later = []
        self._local.updates = []
        self._local.held = set()
        self._local.memo = {}
        self._local.finishing = []
        try:
            self._ensure_connection(pre_ping=True)
            with self.db.atomic():
                result = fn(*args)
                self._update_pending()
                self._insert_pending()
                for finish in self._local.finishing:
                    finish()
            self.last_ok = time.monotonic()
            if self.checkpoints is not None:
                self.checkpoints.written()
            return result, self._local.hooks
        except Unavailable:
            raise
        except Exception as e:
            # Never run again here: a commit that lost its connection may have gone through.
            reason = unavailable_reason(e)
            if reason is None:
                raise
            self.last_failure = time.monotonic()
            if self.backend == "postgresql":
                self._drop_connection()
            self._writes_failed(reason)
            raise Unavailable(f"the database cannot be written now: {reason}") from e
        finally:
            self._local.hooks = None
            self._local.later = None
            self._local.updates = None
            self._local.held = None
            self._local.memo = None
            self._local.finishing = None

    def ping(self) -> bool:
        self.db.execute_sql("SELECT 1").fetchone()
        return True

    async def reachable(self) -> tuple[bool, str]:
        """Whether the database answers reads, and why not: from the last read or write if
        one reached it within HEALTH_MAX_AGE_S (and none failed since), else from a ping run
        at most once per HEALTH_MAX_AGE_S, within HEALTH_PING_TIMEOUT_S. Health asks this on
        every call: a round trip to a reader thread and the database each time cost more
        than the rest of the call."""
        now = time.monotonic()
        if self.last_ok > self.last_failure and now - self.last_ok < HEALTH_MAX_AGE_S:
            return True, ""
        if self._ping is not None and now - self._ping[0] < HEALTH_MAX_AGE_S:
            return self._ping[1], self._ping[2]
        if self._pinging is None:
            self._pinging = asyncio.ensure_future(self._ping_once())
        return await asyncio.shield(self._pinging)

    async def _ping_once(self) -> tuple[bool, str]:
        try:
            await asyncio.wait_for(self.read(self.ping), HEALTH_PING_TIMEOUT_S)
            ok, why = True, ""
        except Exception as e:
            ok, why = False, getattr(e, "message", None) or f"the database did not answer: {type(e).__name__}"
        self._ping = (time.monotonic(), ok, why)
        self._pinging = None
        return ok, why

    def close(self) -> None:
        """Finish queued work and close the connections (SQLite checkpoints its WAL here)."""
        self._closing = True
        self.operator_sql.close()
        if self.checkpoints is not None:
            self.checkpoints.stop()
        for pool in (self._readers, self._writer):
            pool.submit(self._close_quietly).result()
            pool.shutdown(wait=True)

    def _close_quietly(self) -> None:
        try:
            self.db.close()
        except peewee.PeeweeException:
            self._drop_connection()  # a dead connection: nothing to flush
