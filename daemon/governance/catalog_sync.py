"""The live catalog's schema versions: replayed at start and from other daemons, rebuilt
after a rolled-back change, and listed for tables.describe.

The database is the truth: ``clarity_schema_versions`` holds every applied change, and the
catalog is the YAML tables with those changes replayed on top, in order.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ..storage.rows import row_to_dict
from .models import SchemaVersion
from .schema import apply_diff

if TYPE_CHECKING:
    from ..storage import Store

log = logging.getLogger(__name__)


class SchemaCatalog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.baseline = dict(store.catalog)  # the tables as schemas/*.yaml define them
        self.versions: dict[str, int] = {}  # current version of tables changed since their YAML
        self.seen = 0  # the last clarity_schema_versions id replayed into the catalog
        self.dirty = False  # the catalog moved inside a write that has not committed yet

    def sync(self) -> int:
        """Replay versions not yet in the live catalog (applied by another daemon, or before
        this start). On the writer thread; returns how many were replayed."""
        rows = list(SchemaVersion.select().where(SchemaVersion.id > self.seen).order_by(SchemaVersion.id))
        for row in rows:
            self.store.put_table(apply_diff(self.store.catalog.get(row.table), row.diff))
            self.record(row)
        if rows:
            log.info("schema: %d change(s) replayed into the catalog", len(rows))
        return len(rows)

    def sync_if_shared(self) -> None:
        """Several daemons may share PostgreSQL: pick up their schema changes before writing."""
        if self.store.backend == "postgresql":
            self.sync()

    def record(self, version: SchemaVersion) -> None:
        """A version now in the catalog (replayed, or just applied under the schema lock,
        when every earlier one has been replayed)."""
        self.seen = max(self.seen, version.id)
        self.versions[version.table] = version.version

    def rebuild(self) -> None:
        """From scratch: the YAML tables, then every recorded change."""
        for name in [n for n in self.store.catalog if n not in self.baseline]:
            self.store.drop_table_spec(name)
        for spec in self.baseline.values():
            if self.store.catalog.get(spec.name) is not spec:
                self.store.put_table(spec)
        self.versions.clear()
        self.seen = 0
        self.sync()
        self.dirty = False

    def history(self, table: str) -> list[dict[str, Any]]:
        """A table's versions, oldest first; version 1 of a YAML table is its schema file."""
        self.store.spec(table)
        history: list[dict[str, Any]] = []
        rows = list(SchemaVersion.select().where(SchemaVersion.table == table).order_by(SchemaVersion.version))
        if table in self.baseline and not any(r.action == "create_table" for r in rows):
            history.append(
                {
                    "version": 1,
                    "action": "baseline",
                    "diff": {"source": f"schemas/{table}.yaml"},
                    "ddl": [],
                    "rows_touched": 0,
                    "proposal_id": None,
                    "actor": None,
                    "created_at": None,
                }
            )
        history += [row_to_dict(r) for r in rows]
        return history

    def on_event(self, event: dict[str, Any]) -> None:
        """An event listener (on the loop): another daemon changed a schema, so catch up now
        rather than at the next periodic sync. Our own changes make this a no-op."""
        if event.get("type") in ("table.created", "table.altered") and self.store.backend == "postgresql":
            asyncio.ensure_future(self.store.write(self.sync))

    def schedule(self, jobs: Any, interval_s: float) -> None:
        """PostgreSQL: pick up other daemons' schema changes every ``interval_s`` seconds
        (writes also sync first, so this only keeps reads fresh)."""
        if self.store.backend == "postgresql":
            jobs.every(interval_s, self._sync_job, "schema-sync")

    async def _sync_job(self) -> None:
        await self.store.write(self.sync)
