"""The Store: models, a pool of reader threads and exactly one writer thread.

Every change in the daemon goes through :meth:`Store.write`, so SQLite never sees two
writers ("database is locked") and a change and its events commit together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, TypeVar

import peewee

from ..catalog import TableSpec
from ..errors import NotFound
from .database import backend_name
from .models import MemoryModel, build_model, build_models

log = logging.getLogger(__name__)
T = TypeVar("T")


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

    # -- schema -----------------------------------------------------------------------

    def register(self, *models: type[peewee.Model]) -> None:
        """Add the daemon's own tables (events, proposals, journal...) to create and bind."""
        for model in models:
            model.bind(self.db)
            if model not in self.internal_models:
                self.internal_models.append(model)

    def create_tables(self) -> None:
        """Create every missing table (idempotent; safe with several daemons on PostgreSQL)."""
        with self.db.connection_context():
            with self.db.atomic():
                self.db.create_tables([*self.internal_models, *self.models.values()], safe=True)

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
        """Run ``fn`` on a reader thread."""
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

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """From inside a write: a nested transaction. If it rolls back, the after-commit hooks
        registered inside it (its events) are dropped with it, and the rest of the write
        stays intact: several independent changes can share one transaction (group commit)."""
        hooks = getattr(self._local, "hooks", None)
        if hooks is None:
            raise RuntimeError("savepoint() outside Store.write()")
        mark = len(hooks)
        try:
            with self.db.atomic():
                yield
        except BaseException:
            del hooks[mark:]
            raise

    def _run_read(self, fn: Callable[..., T], args: tuple) -> T:
        self.db.connect(reuse_if_open=True)
        return fn(*args)

    def _run_write(self, fn: Callable[..., T], args: tuple) -> tuple[T, list[Callable[[], None]]]:
        self.db.connect(reuse_if_open=True)
        self._local.hooks = []
        try:
            with self.db.atomic():
                result = fn(*args)
            return result, self._local.hooks
        finally:
            self._local.hooks = None

    def ping(self) -> bool:
        self.db.connect(reuse_if_open=True)
        self.db.execute_sql("SELECT 1").fetchone()
        return True

    def close(self) -> None:
        """Finish queued work and close the connections (SQLite checkpoints its WAL here)."""
        for pool in (self._readers, self._writer):
            pool.submit(self.db.close).result()
            pool.shutdown(wait=True)
