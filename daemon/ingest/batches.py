"""Batches: many files handed over in one call (ingest.batch), followed by ingest.batch_status.

Each path goes through the same door as ``ingest.file`` (absolute, a regular file the caller
may read, not clarityd's own), one task each awaiting its outcome, so a batch costs the
caller a few calls instead of a round trip per file. A file refused before reading counts as
failed with its error code. Finished batches are forgotten after a while.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DaemonError, NotFound

if TYPE_CHECKING:
    from . import Ingest

KEEP_S = 3600.0  # a finished batch's status is kept this long
OUTCOMES = ("proposed", "applied", "duplicate", "failed")


@dataclass
class Batch:
    id: int
    owner: int  # uid: only its caller follows it
    started: float = field(default_factory=time.monotonic)
    finished_at: float | None = None
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    failures: list[dict[str, Any]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def status(self, failures: int) -> dict[str, Any]:
        end = self.finished_at or time.monotonic()
        return {
            "batch": self.id,
            "total": self.total,
            "done": self.done,
            **self.counts,
            "elapsed_s": round(end - self.started, 3),
            "finished": self.done >= self.total,
            "failures": self.failures[:failures],
        }


class Batches:
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest
        self.batches: dict[int, Batch] = {}
        self._ids = itertools.count(1)

    def add(self, paths: list[str], batch_id: int | None, uid: int, gid: int, user: str) -> Batch:
        """Queue ``paths`` (in a new batch, or in ``batch_id``) and return the batch at once."""
        self._forget_old()
        if batch_id is None:
            batch = Batch(next(self._ids), uid)
            self.batches[batch.id] = batch
        else:
            batch = self.get(batch_id, uid)
            batch.finished_at = None
        batch.total += len(paths)
        for path in paths:
            task = asyncio.create_task(self._one(batch, path, uid, gid, user))
            batch.tasks.add(task)
            task.add_done_callback(batch.tasks.discard)
        return batch

    def get(self, batch_id: int, uid: int) -> Batch:
        batch = self.batches.get(batch_id)
        if batch is None or (batch.owner != uid and uid != 0):
            raise NotFound(f"no batch {batch_id} of yours (finished batches are kept for an hour)")
        return batch

    async def _one(self, batch: Batch, path: str, uid: int, gid: int, user: str) -> None:
        try:
            outcome = await self.ingest.ingest_file(path, uid, gid, user, True)
            state = outcome.get("state")
            if state not in OUTCOMES:  # a file that vanished while read has no journal state
                state = "failed"
            if state == "failed":
                batch.failures.append({"path": path, "error": outcome.get("last_error") or "failed", "code": None})
        except DaemonError as e:
            state = "failed"
            batch.failures.append({"path": path, "error": e.message, "code": int(e.code)})
        batch.counts[state] += 1
        if batch.done >= batch.total:
            batch.finished_at = time.monotonic()

    def _forget_old(self) -> None:
        now = time.monotonic()
        for bid in [b.id for b in self.batches.values() if b.finished_at and now - b.finished_at > KEEP_S]:
            del self.batches[bid]
