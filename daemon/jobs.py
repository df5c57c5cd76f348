"""Periodic jobs on APScheduler. Jobs are thin: they call services.

Each job is safe to run on every host sharing one PostgreSQL (it only does work that is
idempotent or guarded in the database), so no cross-host lock is needed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

if TYPE_CHECKING:
    from .storage import Store

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self, store: Store) -> None:
        self.store = store
        # coalesce: a job that missed runs (host asleep) runs once, not once per miss.
        self.scheduler = AsyncIOScheduler(job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60})

    def every(self, seconds: float, func: Callable[..., Any], job_id: str) -> None:
        self.scheduler.add_job(func, "interval", seconds=seconds, id=job_id, replace_existing=True)

    def start(self) -> None:
        self.every(3600, self.maintenance, "maintenance")
        self.scheduler.start()  # inside the running loop, as APScheduler 3 requires

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def maintenance(self) -> None:
        """Hourly: let SQLite fold its WAL back and refresh planner statistics."""
        store = self.store
        if store.backend != "sqlite":
            return

        def run() -> None:
            store.db.execute_sql("PRAGMA optimize")

        await store.write(run)
        await store.read(lambda: store.db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)"))
        log.debug("maintenance done")
