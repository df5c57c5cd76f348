"""Builds the full-text indexes in the background and says how far it is.

At start (and whenever the catalog changes: a schema change here, or one another daemon made)
each memory table's index is checked against its text columns. On SQLite a missing or stale
FTS table is created with its triggers in one short write, then the rows that predate it are
indexed in small chunks on the writer thread, so other writes interleave. On PostgreSQL the
GIN index is built CONCURRENTLY on this thread's own connection. Until a table's index is
ready, searches of it fall back to the old substring scan: slower, never wrong.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import peewee

from . import fulltext
from .fulltext import SearchIndexState

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger(__name__)
CHUNK = 2000  # rows per backfill transaction: ~150 ms on the writer (measured), so other writes wait little
CHECK_S = 2.0  # how often the catalog is compared with what is indexed


@dataclass
class IndexProgress:
    """What health reports: tables still being indexed and rows done of rows to do."""

    state: str = "starting"  # starting, indexing, ready, failed
    tables_pending: int = 0
    rows_done: int = 0
    rows_total: int = 0
    error: str = ""
    ready: set[str] = field(default_factory=set)  # names (catalog) of tables searched through their index


class SearchIndexer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.progress = IndexProgress()
        self._seen: dict[str, str] = {}  # table -> signature indexed
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def kick(self) -> None:
        """Look at the catalog again now (after a schema change)."""
        self._wake.set()

    def is_ready(self, table: str) -> bool:
        """Whether ``table`` (catalog name) can be searched through its index, with its current columns."""
        spec = self.store.catalog.get(table)
        return (
            spec is not None
            and table in self.progress.ready
            and spec.db_table not in fulltext.DETACHED
            and self._seen.get(table) == fulltext.signature(spec)
        )

    # -- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._catch_up()
            except Exception as e:  # keep the daemon up: searches fall back to scanning
                if self._stop.is_set():
                    return
                log.exception("search index: building failed; searches scan the tables instead")
                self.progress.state, self.progress.error = "failed", str(e)
                self._stop.wait(30)
            self._wake.wait(CHECK_S)
            self._wake.clear()
        with contextlib.suppress(Exception):  # closing at exit: nothing to do about a failure
            self.store.db.close()

    def _catch_up(self) -> None:
        catalog = self.store.catalog
        self.store.db.connect(reuse_if_open=True)
        # SQLite: a schema change drops a table's index (fulltext.detach) in its own transaction.
        states = (
            {}
            if self.store.backend == "postgresql"
            else {
                s.table: s.signature
                for s in SearchIndexState.select(SearchIndexState.table, SearchIndexState.signature)
            }
        )
        todo = [
            name
            for name, spec in catalog.items()
            if self._seen.get(name) != fulltext.signature(spec)
            or spec.db_table in fulltext.DETACHED
            or (self.store.backend == "sqlite" and states.get(spec.db_table) != fulltext.signature(spec))
        ]
        self.progress.ready &= set(catalog) - set(todo)
        if not todo:
            self.progress.state = "ready"
            return
        self.progress.state, self.progress.tables_pending = "indexing", len(todo)
        if self.store.backend == "postgresql":
            self._catch_up_pg(todo)
        else:
            self._catch_up_sqlite(todo)
        self.progress.state, self.progress.tables_pending, self.progress.error = "ready", 0, ""

    def _catch_up_pg(self, todo: list[str]) -> None:
        for name in todo:
            if self._stop.is_set():
                return
            spec = self.store.catalog[name]
            started = time.monotonic()
            try:
                if fulltext.pg_build_index(self.store.db, spec):
                    log.info("search index: built for %s in %.1f s", name, time.monotonic() - started)
            except peewee.IntegrityError:
                # Another daemon on the same database built the same index at the same moment.
                log.info("search index: %s was built by another daemon", name)
            self._seen[name] = fulltext.signature(spec)
            self.progress.ready.add(name)
            self.progress.tables_pending -= 1

    def _catch_up_sqlite(self, todo: list[str]) -> None:
        pending = []
        for name in todo:
            spec, model = self.store.catalog[name], self.store.models[name]
            state = SearchIndexState.get_or_none(SearchIndexState.table == spec.db_table)
            if (
                state is None
                or state.signature != fulltext.signature(spec)
                or spec.db_table in fulltext.DETACHED
                or not self._has_fts(spec.db_table)
            ):
                self.store.write_sync(fulltext.attach_sqlite, self.store.db, model, spec)
                state = SearchIndexState.get(SearchIndexState.table == spec.db_table)
            pending.append((name, spec, state))
        p = self.progress
        p.rows_total = sum(s.backfill_to - s.backfilled for _, _, s in pending if not s.ready)
        p.rows_done = 0
        if p.rows_total:
            log.info(
                "search index: indexing %d existing rows in %d table(s)",
                p.rows_total,
                sum(1 for _, _, s in pending if not s.ready),
            )
        last_log = time.monotonic()
        for name, spec, state in pending:
            done, ready, start = state.backfilled, state.ready, state.backfilled
            while not ready:
                if self._stop.is_set() or self.store.catalog.get(name) is not spec:
                    return  # stopping, or the table changed under us: the next round starts it again
                done, ready = self.store.write_sync(fulltext.backfill_chunk, self.store.db, spec, CHUNK)
                p.rows_done += done - start
                start = done
                if time.monotonic() - last_log > 5:
                    log.info("search index: %d of %d rows indexed (%s)", p.rows_done, p.rows_total, name)
                    last_log = time.monotonic()
            self._seen[name] = fulltext.signature(spec)
            p.ready.add(name)
            p.tables_pending -= 1
        if p.rows_total:
            log.info("search index: ready (%d rows indexed)", p.rows_done)

    def _has_fts(self, db_table: str) -> bool:
        try:
            return self.store.db.table_exists(fulltext.fts_table(db_table))
        except peewee.DatabaseError:
            return False
