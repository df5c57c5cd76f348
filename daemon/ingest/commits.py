"""Group commit: the writes of many files in one transaction, each in its own savepoint.

The database has one writer (``Store.write``); a transaction per file pays for a commit,
a hop to the writer thread and back, and a wake-up of the loop, every time. Here the
writes that files hand in while the writer is busy wait in a queue; the next transaction
takes all of them (up to ``max_batch``). Each runs in a savepoint (``Store.savepoint``):
one that fails rolls back alone, with its events, and only its caller sees the error.
A file alone in an idle daemon is written at once, as before: nothing waits for a batch
to fill.

Writes that touch nothing but the database (and after-commit hooks and ``insert_later``
rows, which a savepoint's rollback drops) can say so (``rerunnable``): a batch of them runs
in one savepoint, and only when one of them fails is the batch rolled back and run again,
each in its own. On PostgreSQL a savepoint is two round trips per write; agents' reports
are such writes, and seldom fail.

Crash safety is unchanged: each file's write is still all-or-nothing, and a transaction
that never commits leaves every file in it as it was (their work is redone at restart).

Several daemons on one PostgreSQL, watching one folder, lock the same journal rows: a
transaction holding many files' locks could wait on another that waits on it. Writes run
in the order of their key (the file's path), which rules out such cycles between files;
a write that still loses one (deadlock, serialization failure) is run again on its own,
as it would have run before group commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, TypeVar
from collections.abc import Callable

from ..storage.failures import lost_to_concurrency

if TYPE_CHECKING:
    from ..storage import Store

log = logging.getLogger("clarityd.ingest")

T = TypeVar("T")
MAX_BATCH = 64  # files per transaction: long enough to amortise a commit, short enough not to hold the writer


class _Write:
    __slots__ = ("key", "fn", "args", "future", "alone")

    def __init__(self, key: str, fn: Callable[..., Any], args: tuple[Any, ...], future: asyncio.Future[Any]) -> None:
        self.key, self.fn, self.args, self.future = key, fn, args, future
        self.alone = False  # lost to another daemon in a group: runs in a transaction of its own


class GroupCommit:
    def __init__(
        self,
        store: Store,
        max_batch: int = MAX_BATCH,
        *,
        rerunnable: bool = False,
        prepare: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.store = store
        self.max_batch = max_batch
        self.rerunnable = rerunnable
        self.prepare = prepare  # run first in each transaction, with its writes' keys in order (to lock them)
        self._waiting: deque[_Write] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self.retried = 0  # writes run again alone after losing to a concurrent transaction

    async def write(self, key: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the writer thread, in a savepoint of the next group
        transaction (``key``, the file's path, orders the writes in it); its result once
        that transaction has committed (and its events are published), or its exception."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Write(key, fn, args, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="ingest-commits")
        return await future

    async def idle(self) -> None:
        """Wait until every write handed in so far is done (at stop)."""
        while self._drainer is not None and not self._drainer.done():
            await asyncio.shield(self._drainer)

    def _next_batch(self) -> list[_Write]:
        if self._waiting[0].alone:
            return [self._waiting.popleft()]
        batch: list[_Write] = []
        while self._waiting and len(batch) < self.max_batch and not self._waiting[0].alone:
            batch.append(self._waiting.popleft())
        batch.sort(key=lambda w: w.key)  # one order for every daemon: no lock cycles between files
        return batch

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._next_batch()
            try:
                outcomes = await self.store.write(self._run, batch)
            except Exception as e:
                if len(batch) > 1 and lost_to_concurrency(e):
                    # The group itself lost (taking its locks in prepare, or at its commit):
                    # nothing of it holds, and each write runs again in a transaction of its own.
                    self._again(batch)
                    continue
                self._abandon(batch, e)
                continue
            except BaseException as e:  # cancelled: nothing of the batch holds
                self._abandon(batch, e)
                raise
            again = []
            for w, (ok, value) in zip(batch, outcomes, strict=True):
                if not ok and len(batch) > 1 and lost_to_concurrency(value):
                    again.append(w)
                elif w.future.done():
                    continue  # its caller gave up waiting (cancelled); the write stands
                elif ok:
                    w.future.set_result(value)
                else:
                    w.future.set_exception(value)
            if again:
                self._again(again)

    def _again(self, writes: list[_Write]) -> None:
        """Writes that lost to another daemon's transaction: first in line, each alone."""
        for w in writes:
            w.alone = True
        self.retried += len(writes)
        log.debug("%d writes lost to another daemon's transaction; running them again alone", len(writes))
        self._waiting.extendleft(reversed(writes))

    @staticmethod
    def _abandon(batch: list[_Write], error: BaseException) -> None:
        """The transaction failed (or was cancelled): every write of it gets the error."""
        for w in batch:
            if not w.future.done():
                w.future.set_exception(error if isinstance(error, Exception) else RuntimeError("write abandoned"))

    def _run(self, batch: list[_Write]) -> list[tuple[bool, Any]]:
        """On the writer thread, inside one transaction: each write in its own savepoint
        (rerunnable writes: all in one, unless one of them fails)."""
        if self.prepare is not None:
            self.prepare([w.key for w in batch])
        if self.rerunnable and len(batch) > 1:
            try:
                with self.store.savepoint():
                    return [(True, w.fn(*w.args)) for w in batch]
            except Exception:
                pass  # rolled back, with its hooks and rows: each write again, alone, to learn which failed
        outcomes: list[tuple[bool, Any]] = []
        for w in batch:
            try:
                with self.store.savepoint():
                    outcomes.append((True, w.fn(*w.args)))
            except Exception as e:
                outcomes.append((False, e))
        return outcomes
