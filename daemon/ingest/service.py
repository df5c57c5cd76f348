"""The ingest service: watcher, pipeline, rescans and retries, started and stopped with the daemon.

Start-up order matters for exactly-once: entries whose proposal was applied while the
daemon was down catch up first, then unfinished entries are resumed, then the folders
are rescanned for whatever arrived while nobody watched.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import Forbidden, InvalidParams, InvalidState, NotFound, Unavailable
from . import journal as j
from . import names
from .access import Caller
from .opening import Refused, Vanished, open_file
from .pipeline import ARRIVAL, RESCAN, URGENT, Pipeline
from .proposing import mark_applied, reconcile_applied
from .rules import Rules
from .watcher import Watcher

if TYPE_CHECKING:
    from ..config import Config
    from ..events import EventBus
    from ..governance import Governance
    from ..inference.learning import Learner
    from ..jobs import Jobs
    from ..storage import Store

log = logging.getLogger("clarityd.ingest")


class Ingest:
    """Built with the other services, started once the tables exist and the jobs run;
    :attr:`running` from then on (the pipeline and watcher exist only then)."""

    pipeline: Pipeline
    watcher: Watcher

    def __init__(
        self,
        store: Store,
        events: EventBus,
        governance: Governance,
        learner: Learner,
        jobs: Jobs,
        config: Callable[[], Config],
    ) -> None:
        """Register the journal's tables; call before the store creates its tables.
        ``config`` gives the configuration in force (a SIGHUP reload replaces it)."""
        self.store, self.events, self.governance, self.learner, self.jobs = store, events, governance, learner, jobs
        self.config = config
        store.register(*j.MODELS)
        self.rules = Rules(config())
        self.running = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rescanning = False

    # -- life --------------------------------------------------------------------------

    async def start(self) -> None:
        settings = self.config().ingest
        self.pipeline = Pipeline(
            self.store, self.events, self.governance, self.learner, self.rules, lambda: self.config().ingest
        )
        self.watcher = Watcher(
            self.rules,
            self._arrived,
            lambda: self.config().ingest.settle_s,
            settings.poll_interval_s,
            self.request_rescan,
        )
        self.running = True
        # Adding inotify watches walks the folders: off the loop.
        await asyncio.get_running_loop().run_in_executor(None, self.watcher.start)
        self.pipeline.readers.start()  # the reading processes warm up meanwhile
        self.governance.on_applied.append(self._on_applied)
        # Once the database takes writes again after refusing them, do what start-up does
        # (catch up, resume, rescan): files that arrived meanwhile are taken at once.
        loop = asyncio.get_running_loop()
        self.store.on_recovered(lambda: loop.call_soon_threadsafe(self._spawn, self._start_up()))
        self._spawn(self._start_up())
        self.jobs.every(settings.rescan_interval_s, self.rescan, "ingest.rescan")
        self.jobs.every(settings.retry_check_s, self.pipeline.retry_due, "ingest.retry")

    async def stop(self, timeout: float) -> None:
        if self._on_applied in self.governance.on_applied:
            self.governance.on_applied.remove(self._on_applied)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(None, self.watcher.stop)
        await self.pipeline.stop(timeout)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start_up(self) -> None:
        try:
            await self._catch_up()
        except Unavailable as e:  # the database refuses writes: the rescan on its recovery does this
            log.warning("start-up catch-up postponed: %s", e.message)

    async def _catch_up(self) -> None:
        store = self.store
        caught_up = await store.write(reconcile_applied, self.events)
        if caught_up:
            log.info("%d ingested files had their proposals applied while clarityd was down", caught_up)
        unfinished = await store.read(j.unfinished_paths)
        if unfinished:
            log.info("resuming %d files left unfinished", len(unfinished))
        for path in unfinished:
            self.pipeline.submit(names.on_disk(path), RESCAN)
        await self.rescan()

    def _arrived(self, path: str) -> None:
        self.pipeline.submit(path, ARRIVAL)

    # -- rescans -----------------------------------------------------------------------

    def request_rescan(self) -> None:
        """Rescan soon (the kernel dropped events); a rescan already running covers it."""
        if not self._rescanning:
            self._spawn(self.rescan())

    async def rescan(self) -> int:
        """Walk every folder and queue the files the journal does not know as they are now.
        Also re-watches folders that went missing and finishes delete_after_ingest."""
        if self._rescanning:
            return 0
        self._rescanning = True
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.watcher.check)
            files = await loop.run_in_executor(None, self._walk)
            known = await self.store.read(j.snapshot)
            settle_ns = int(self.config().ingest.settle_s * 1e9)
            now_ns = time.time_ns()
            queued = 0
            for path, size, mtime_ns in files:
                entry = known.get(names.stored(path))
                if entry is not None:
                    same = (entry[0], entry[1]) == (size, mtime_ns)
                    if same and entry[2] not in j.UNFINISHED:
                        folder = self.rules.folder_for(path)
                        if not (entry[2] in j.DONE and folder is not None and folder.delete_after_ingest):
                            continue  # known as it is; a failure waits for its retry
                if now_ns - mtime_ns < settle_ns:
                    self.watcher.touch(path)  # still being written, perhaps
                else:
                    self.pipeline.submit(path, RESCAN)
                queued += 1
            if queued:
                log.info("rescan queued %d files", queued)
            return queued
        finally:
            self._rescanning = False

    def _walk(self) -> list[tuple[str, int, int]]:
        """On a worker thread: (path, size, mtime_ns) of every file the folders take, with
        links, FIFOs and the like as what they are (lstat), so each is accounted for."""
        found = []
        for folder in self.rules.folders:
            stack = [folder.root]
            while stack:
                top = stack.pop()
                try:
                    with os.scandir(top) as it:
                        for item in it:
                            try:
                                if item.is_dir(follow_symlinks=False):
                                    if folder.recursive and not item.name.startswith("."):
                                        stack.append(item.path)
                                elif self.rules.accepts(item.path):
                                    st = item.stat(follow_symlinks=False)
                                    found.append((item.path, st.st_size, st.st_mtime_ns))
                            except OSError:
                                continue  # vanished while we looked
                except OSError:
                    continue  # a folder vanished or is unreadable: the next rescan looks again
        return found

    # -- decisions ---------------------------------------------------------------------

    def _on_applied(self, proposal: dict[str, Any]) -> None:
        """Governance applied a proposal (inside its write): a file waiting on it follows in
        the same transaction, so the journal never lags behind the rows."""
        if self.pipeline.proposer.proposing:
            return  # applied as the pipeline proposed it: the pipeline records that itself
        source = proposal.get("source") or ""
        if source.startswith("/"):  # proposals from files name them; agents' and people's do not
            mark_applied(proposal["id"], self.events)

    # -- RPC ---------------------------------------------------------------------------

    async def ingest_file(self, path: str, uid: int, gid: int, user: str, wait: bool) -> dict[str, Any]:
        """Queue a file handed over by a caller; see the ingest.file handler.

        The caller's right to read is checked now, for a quick answer, and again on the
        descriptor when the file is read (:mod:`.opening`): re-pointing a link in between
        gains nothing."""
        if not os.path.isabs(path):
            raise InvalidParams("path must be absolute (the daemon does not know your working folder)")
        path = os.path.normpath(path)
        caller = Caller.of(uid, gid, user)
        if self.rules.is_internal(path):
            raise Forbidden(f"{path} belongs to clarityd itself")

        def check() -> None:
            try:
                open_file(path, self.rules, [caller]).close()
            except Vanished:
                raise NotFound(f"{path} does not exist") from None
            except Refused as e:
                raise InvalidParams(f"{path}: {e}") from None
            except OSError as e:
                raise Forbidden(f"cannot check {path}: {e.strerror or e}") from None

        await asyncio.get_running_loop().run_in_executor(None, check)
        if self.pipeline.stopping:
            raise Unavailable("clarityd is stopping")
        future = self.pipeline.submit(path, URGENT, caller=caller)
        if not wait:
            return {"path": path, "state": "queued"}
        return await asyncio.shield(future)

    async def retry(self, path: str | None, all_failed: bool) -> list[str]:
        if (path is None) == (not all_failed):
            raise InvalidParams("give either path or all_failed=true")
        store = self.store
        if path is not None:
            entry = await store.read(j.entry_by_path, os.path.normpath(path))
            if entry is None:
                raise NotFound(f"{path} is not in the ingest journal")
            if entry.state not in j.RETRYABLE:
                raise InvalidState(f"{path} is {entry.state}, not failed: nothing to retry")
            paths = [entry.path]
        else:
            paths = await store.read(j.failed_paths)
        return await self.pipeline.retry(paths) if paths else []
