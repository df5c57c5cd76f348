"""Bare heartbeats answered from memory and written in batches.

A bare heartbeat (no status, no task) of an agent this daemon knows to be online changes
one thing, ``last_heartbeat``, and nothing a crash must keep: losing the last second of
beats costs at most a late offline mark. So it is answered from memory (the status the
daemon last wrote or read for the agent) and remembered; the remembered beats are written
in one transaction a second later (FLUSH_S), and at once before anything reads them: the
fleet's reads, rows.list/get/export on the agents' table, the offline sweep, and the
daemon's stop. Everything else an agent reports (status, task completions, trust,
registration, retirement) is written before the reply.

Several daemons on one PostgreSQL: a batch only moves ``last_heartbeat`` forwards and only
of agents still online (it never writes a status), so it cannot undo another daemon's
change; the batch reads back the statuses of the agents it wrote, so a change made
elsewhere (another daemon, an operator's edit) reaches this daemon's answers within one
batch, and an agent found no longer online is forgotten (its next beat takes the written
path, which brings it back online with its event, or refuses a retired one).

Everything here runs on the event loop, except the batch's SQL (on the writer thread).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, UTC
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..protocol import sub_agents as p

if TYPE_CHECKING:
    from ..storage import Store

log = logging.getLogger(__name__)

FLUSH_S = 1.0  # how long a beat may wait in memory; far below any heartbeat interval
ONLINE = frozenset(p.ONLINE_STATUSES)


class LiveBeats:
    def __init__(self, store: Store, model: Callable[[], Any]) -> None:
        self.store = store
        self._model = model  # looked up at use: a schema change replaces the model
        self.online: dict[str, tuple[int, str]] = {}  # agent_id -> (row id, status), agents known online
        # agent_id -> (row id, latest unwritten beat as time.time(): a datetime is made per agent
        # per batch, not per beat)
        self.pending: dict[str, tuple[int, float]] = {}
        self._flushing: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    # -- answering ---------------------------------------------------------------------

    def beat(self, agent_id: str) -> str | None:
        """Remember a bare beat of ``agent_id`` and return its status; None when this daemon
        does not know the agent to be online (the caller then writes the beat)."""
        known = self.online.get(agent_id)
        if known is None:
            return None
        self.pending[agent_id] = (known[0], time.time())
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_S, self._flush_later)
        return known[1]

    def note(self, agent_id: str, row_id: int, status: str | None) -> None:
        """After a write of the agent commits: its status now (online ones are answered from memory)."""
        if status in ONLINE:
            self.online[agent_id] = (row_id, status)
        else:
            self.online.pop(agent_id, None)

    def forget(self, agent_id: str) -> None:
        self.online.pop(agent_id, None)

    # -- writing -------------------------------------------------------------------------

    def _flush_later(self) -> None:
        self._timer = None
        asyncio.ensure_future(self.flush())

    async def flush(self) -> None:
        """Write every beat remembered so far (waiting for a batch already on its way). A
        batch the database refuses is kept for the next one; the caller reads on regardless."""
        # done() checked here, not cleared by a callback: awaiting a finished future does not
        # yield, so a loop waiting for such a callback would spin forever.
        while self._flushing is not None and not self._flushing.done():
            await asyncio.shield(self._flushing)
        if not self.pending:
            return
        batch, self.pending = self.pending, {}
        self._flushing = asyncio.ensure_future(self._write(batch))
        await asyncio.shield(self._flushing)

    async def _write(self, batch: dict[str, tuple[int, float]]) -> None:
        try:
            found = await self.store.write(write_beats, self.store, self._model(), batch)
        except Exception as e:
            for agent_id, (row_id, at) in batch.items():  # keep them, unless newer ones came meanwhile
                if agent_id not in self.pending:
                    self.pending[agent_id] = (row_id, at)
            if self._timer is None and not self.store._closing:
                self._timer = asyncio.get_running_loop().call_later(FLUSH_S, self._flush_later)
            log.warning("could not write %d heartbeat(s) yet: %s", len(batch), getattr(e, "message", e))
            return
        for agent_id, (row_id, _) in batch.items():
            status = found.get(row_id)
            known = self.online.get(agent_id)
            if known is not None and known[0] == row_id:
                self.note(agent_id, row_id, status)  # gone (None) or not online: forgotten


def write_beats(store: Store, model: Any, batch: dict[str, tuple[int, float]]) -> dict[int, str | None]:
    """On the writer thread, in one transaction: move each agent's ``last_heartbeat`` to its
    beat, never backwards and only while it is online; the agents' statuses as they are now."""
    db, ph, table = store.db, store.db.param, f'"{model._meta.table_name}"'
    online = ", ".join(f"'{s}'" for s in p.ONLINE_STATUSES)
    rows = sorted(batch.values())  # one lock order for every daemon
    ids = [rid for rid, _ in rows]

    def beat(at: float) -> Any:  # stored as every DateTimeField is: naive UTC
        return model.last_heartbeat.db_value(datetime.fromtimestamp(at, UTC).replace(tzinfo=None))

    if store.backend == "postgresql":
        from psycopg2.extras import execute_values

        db.execute_sql("SET LOCAL synchronous_commit = off")  # a lost batch of beats is harmless
        # The rows' locks in id order, as a group of reports takes them (Store._update_pending):
        # the UPDATE alone would lock them in whatever order its plan visits them.
        db.execute_sql(f'SELECT 1 FROM {table} WHERE "id" = ANY(%s) ORDER BY "id" FOR UPDATE', (ids,))
        with db.cursor() as cur:
            execute_values(
                cur,
                f'UPDATE {table} AS t SET "last_heartbeat" = v.beat FROM (VALUES %s) AS v(id, beat) '
                f'WHERE t."id" = v.id AND (t."last_heartbeat" IS NULL OR t."last_heartbeat" < v.beat) '
                f'AND t."status" IN ({online})',
                [(rid, beat(at)) for rid, at in rows],
                template="(%s::bigint, %s::timestamp)",
            )
    else:
        db.cursor().executemany(
            f'UPDATE {table} SET "last_heartbeat" = {ph} WHERE "id" = {ph} '
            f'AND ("last_heartbeat" IS NULL OR "last_heartbeat" < {ph}) AND "status" IN ({online})',
            [(beat(at), rid, beat(at)) for rid, at in rows],
        )
    cursor = db.execute_sql(f'SELECT "id", "status" FROM {table} WHERE "id" IN ({", ".join([ph] * len(ids))})', ids)
    return dict(cursor.fetchall())
