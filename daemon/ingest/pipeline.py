"""A settled file's journey: hash → journal → extract and infer (worker threads) →
proposal, journal state and learner memory in one write → (optionally) delete.

Files wait in one priority queue (files handed over by an agent or the watcher before
rescans and retries); a fixed number of worker tasks take them, each reading one file at
a time in a bounded thread pool. A path is never in the queue twice: asking again while
it waits or runs joins the same result.

A file's writes go through group commit (:mod:`.commits`): the files waiting on the one
database writer share a transaction, each in its own savepoint. So more tasks run than
threads read: the rest wait on the writer, and the next transaction takes them all.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import itertools
import logging
import os
import shutil
import stat
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..errors import DaemonError, Unavailable
from ..extract import ExtractionError, extract
from ..inference import infer
from ..inference import learning
from ..storage.models import utcnow
from . import archives
from . import journal as j
from .commits import GroupCommit
from .proposing import Proposer

if TYPE_CHECKING:
    from ..config import Ingest as IngestConfig
    from ..extract.types import Extraction
    from ..inference.types import Inference
    from ..service import Daemon
    from .rules import Rules

log = logging.getLogger("clarityd.ingest")

URGENT, ARRIVAL, RESCAN, RETRY = 0, 1, 2, 3  # queue priorities: lower goes first
HASH_CHUNK = 1 << 20
# Files that may wait on the database writer at once, beyond those being read: what one
# group transaction can take. (Each holds its extraction, at most max_text_chars, meanwhile.)
WRITE_QUEUE = 64


class Vanished(Exception):
    """The file was gone (moved or deleted) before it could be read."""


class TooLarge(Exception):
    """The file is over ``limits.max_file_bytes``: it is neither hashed nor read."""

    def __init__(self, size: int, mtime_ns: int, limit: int) -> None:
        super().__init__(f"file is {size} bytes, over the limit of {limit} bytes")
        self.size, self.mtime_ns = size, mtime_ns


class Job:
    """One path waiting or running, and everyone waiting for its outcome."""

    __slots__ = ("path", "priority", "force", "future", "again", "running")

    def __init__(self, path: str, priority: int, force: bool, future: asyncio.Future[dict[str, Any]]) -> None:
        self.path, self.priority, self.force, self.future = path, priority, force, future
        self.again = False  # asked for again while running: look once more afterwards
        self.running = False


def _fail_future(future: asyncio.Future[Any], error: BaseException) -> None:
    """Fail a job's future; most (the watcher's) have nobody waiting, so mark it seen to
    keep asyncio from logging "exception never retrieved" (an ingest.file caller still gets it)."""
    future.set_exception(error)
    future.exception()


def hash_file(path: str, max_bytes: int) -> tuple[int, int, str]:
    """(size, mtime_ns, sha256) of a regular file; Vanished when it is gone, TooLarge when
    it is over ``max_bytes``."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            if st.st_size > max_bytes:
                raise TooLarge(st.st_size, st.st_mtime_ns, max_bytes)
            digest = hashlib.sha256()
            while chunk := f.read(HASH_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        raise Vanished("the file vanished (moved or deleted) before it was read") from None
    return st.st_size, st.st_mtime_ns, digest.hexdigest()


class Pipeline:
    def __init__(self, daemon: "Daemon", rules: "Rules") -> None:
        self.daemon = daemon
        self.store = daemon.store
        self.events = daemon.events
        self.rules = rules
        self.learner = getattr(daemon, "learner", None)
        self.proposer = Proposer(daemon.store, daemon.governance, daemon.events, self.learner)
        self.commits = GroupCommit(daemon.store)
        workers = self.settings.workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ingest")
        self._queue: asyncio.PriorityQueue[tuple[int, int, str]] = asyncio.PriorityQueue()
        self._jobs: dict[str, Job] = {}  # queued or running, by path
        self._order = itertools.count()
        # More tasks than threads, so files' database writes overlap other files' reading,
        # and the writes waiting meanwhile share one transaction.
        self._workers = [asyncio.create_task(self._work(), name=f"ingest-{i}")
                         for i in range(workers * 2 + WRITE_QUEUE)]
        self.stopping = False

    @property
    def settings(self) -> "IngestConfig":
        return self.daemon.config.ingest  # read at use: SIGHUP may change limits and backoff

    @property
    def in_flight(self) -> int:
        return len(self._jobs)

    # -- submitting ------------------------------------------------------------------

    def submit(self, path: str, priority: int = ARRIVAL, force: bool = False) -> asyncio.Future[dict[str, Any]]:
        """Queue ``path``; the future gets the journal entry (as a dict) once it is done with.

        A path already queued or running is not queued twice; if it is running, it is
        looked at once more afterwards (the file may have changed while it was read)."""
        path = archives.archive_of(path) or path  # a file inside an archive is redone with its archive
        job = self._jobs.get(path)
        if job is not None:
            job.force = job.force or force
            job.again = job.again or job.running
            if not job.running and priority < job.priority:
                # Asked for more urgently (an agent waits on it): queue it again, ahead.
                # The older queue entry finds the job gone, or running, and is skipped.
                job.priority = priority
                self._queue.put_nowait((priority, next(self._order), path))
            return job.future
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        if self.stopping:
            _fail_future(future, Unavailable("clarityd is stopping"))
            return future
        self._jobs[path] = Job(path, priority, force, future)
        self._queue.put_nowait((priority, next(self._order), path))
        return future

    async def _work(self) -> None:
        while True:
            _, _, path = await self._queue.get()
            job = self._jobs.get(path)
            if job is None or job.running:
                continue  # an older entry of a job queued again with a higher priority
            job.running = True
            try:
                while True:
                    job.again = False
                    result = await self._process(path, job.force)
                    if not job.again or self.stopping:
                        break
                    job.force = False
                if not job.future.done():
                    job.future.set_result(result)
            except asyncio.CancelledError:
                if not job.future.done():
                    _fail_future(job.future, Unavailable("clarityd stopped before the file was done"))
                raise
            except Exception as e:  # a bug, or the database went away: say so, keep working
                log.exception("ingesting %s failed", path)
                if not job.future.done():
                    _fail_future(job.future, e)
            finally:
                self._jobs.pop(path, None)

    # -- one file ----------------------------------------------------------------------

    async def _process(self, path: str, force: bool) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        settings = self.settings
        try:
            size, mtime_ns, sha = await loop.run_in_executor(self._pool, hash_file, path,
                                                             settings.limits.max_file_bytes)
        except Vanished as e:
            return await self.commits.write(path, self._vanished, path, str(e))
        except TooLarge as e:
            return await self._fail_unread(path, str(e), e.size, e.mtime_ns, permanent=True)
        except OSError as e:
            return await self._fail_unread(path, f"cannot read the file: {e.strerror or e}")
        entry, action = await self.commits.write(path, self._seen, path, size, mtime_ns, sha, force)
        if action != "process":
            if action == "duplicate" or entry["state"] in j.DONE:
                self._after_done(entry)
            return entry
        try:
            extraction, inference, features = await asyncio.wait_for(
                loop.run_in_executor(self._pool, self._read_and_infer, path, settings.limits),
                # extract() keeps its own deadline; this one only guards against a bug in it.
                settings.limits.timeout_s * 2 + 10,
            )
        except asyncio.TimeoutError:
            return await self._fail(path, entry["id"], sha, f"extraction took longer than {settings.limits.timeout_s:g} s")
        except archives.IsArchive as e:  # its files go in one by one instead
            return await archives.unpack(self, path, entry, sha, force, e.format)
        except ExtractionError as e:
            return await self._fail(path, entry["id"], sha, str(e), e.permanent)
        except Exception as e:
            log.exception("extracting %s failed", path)
            return await self._fail(path, entry["id"], sha, f"{type(e).__name__}: {e}")
        if extraction.sha256 != sha:
            # It changed while we read it: note the new content and read it again.
            self._jobs[path].again = True
            return entry
        # No journal write of its own for "read": the state it reaches next commits with its
        # proposal, and a crash before that redoes the reading anyway.
        try:
            entry, outcome = await self.commits.write(path, self._propose, entry["id"], sha, extraction, inference, features)
        except DaemonError as e:  # the proposal was refused (bad fields, unknown table...)
            return await self._fail(path, entry["id"], sha, f"proposal refused: {e.message}")
        if outcome in ("proposed", "applied", "duplicate"):
            self._after_done(entry)
        return entry

    def _read_and_infer(self, path: str, limits: Any) -> tuple["Extraction", "Inference", dict[str, Any] | None]:
        """On a worker thread: extraction, inference over the catalog, and the features the
        learner keeps of the file (computed here, off the one writer thread)."""
        fmt = archives.archive_format(path)
        if fmt is not None:
            raise archives.IsArchive(fmt)
        return self._infer(extract(path, limits))

    def _infer(self, extraction: "Extraction") -> tuple["Extraction", "Inference", dict[str, Any] | None]:
        inference = infer(extraction, self.store.catalog, self.learner)
        return extraction, inference, learning.features(extraction) if self.learner is not None else None

    # -- writes (on the writer thread) -------------------------------------------------

    def _seen(self, path: str, size: int, mtime_ns: int, sha: str, force: bool) -> tuple[dict[str, Any], str]:
        entry, action = j.record_seen(path, size, mtime_ns, sha, force)
        if action == "process" and entry.state == j.SEEN:
            self.events.emit("ingest.seen", j.subject(entry), {"path": path, "sha256": sha, "size": size})
        elif action == "duplicate":
            self.events.emit("ingest.duplicate", j.subject(entry), {"path": path, "duplicate_of": entry.duplicate_of})
        return entry.__data__.copy(), action

    def _propose(self, entry_id: int, sha: str, extraction: "Extraction", inference: "Inference",
                 features: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        entry, outcome = self.proposer.propose(entry_id, sha, extraction, inference, features)
        return (entry.__data__.copy() if entry is not None else {}), outcome

    def _vanished(self, path: str, error: str) -> dict[str, Any]:
        entry = j.locked_entry(path=path)
        if entry is None:
            return {"path": path, "state": None, "last_error": error}
        if entry.state in j.UNFINISHED or entry.state == j.FAILED:
            # No automatic retry: it cannot help. If the file comes back it is a new arrival.
            entry.sha256 = None
            j.mark_failed(entry, error, None, also=("sha256",))
            self.events.emit("ingest.failed", j.subject(entry), {"path": path, "error": error})
        return entry.__data__.copy()

    async def _fail_unread(self, path: str, error: str, size: int | None = None,
                           mtime_ns: int | None = None, permanent: bool = False) -> dict[str, Any]:
        def write() -> dict[str, Any]:
            entry = j.entry_for_failure(path)
            if (entry.size, entry.mtime_ns) != (size, mtime_ns):
                # What it is now, with no hash: a rescan then sees it as known until it changes.
                j.save(entry, size=size, mtime_ns=mtime_ns, sha256=None)
            return self._record_failure(entry, error, permanent)

        return await self.commits.write(path, write)

    async def _fail(self, path: str, entry_id: int, sha: str, error: str, permanent: bool = False) -> dict[str, Any]:
        def write() -> dict[str, Any]:
            entry = j.locked_entry(entry_id)
            if entry is None or entry.sha256 != sha or entry.state not in j.UNFINISHED:
                return entry.__data__.copy() if entry else {}  # moved on: not this failure's to record
            return self._record_failure(entry, error, permanent)

        result = await self.commits.write(path, write)
        if result.get("state") == j.FAILED and result.get("next_attempt_at") is None and self.settings.quarantine \
                and archives.archive_of(path) is None:  # a file inside an archive cannot be moved away
            result = await self.quarantine(result["id"])
        return result

    def _record_failure(self, entry: j.JournalEntry, error: str, permanent: bool) -> dict[str, Any]:
        """The one place a failure is judged: a permanent one (the same bytes would fail the
        same way: corrupt, unsupported, over a limit) is recorded once with no retry; a
        transient one is retried with backoff until the attempts are spent."""
        s = self.settings
        retry_at = None if permanent else j.backoff(entry.attempts + 1, s.retry_base_s, s.retry_max_s, s.max_attempts)
        j.mark_failed(entry, error, retry_at)
        self.events.emit("ingest.failed", j.subject(entry), {
            "path": entry.path, "error": error, "attempts": entry.attempts,
            "next_attempt_at": retry_at.isoformat() if retry_at else None,
        })
        log.warning("ingest failed (attempt %d): %s: %s", entry.attempts, entry.path, error)
        return entry.__data__.copy()

    # -- after commit ------------------------------------------------------------------

    def _after_done(self, entry: dict[str, Any]) -> None:
        """Once the proposal (or the duplicate link) is committed, a folder that asks for it
        gets its source deleted. Never before: a crash would lose the file."""
        folder = self.rules.folder_for(entry["path"])
        if folder is None or not folder.delete_after_ingest:
            return
        try:
            st = os.stat(entry["path"])
        except FileNotFoundError:
            return
        if (st.st_size, st.st_mtime_ns) != (entry.get("size"), entry.get("mtime_ns")):
            return  # it changed since: it is a new arrival, not what was ingested
        try:
            os.unlink(entry["path"])
            log.info("deleted %s after ingesting it (delete_after_ingest)", entry["path"])
        except OSError as e:
            log.warning("could not delete %s after ingesting it: %s", entry["path"], e.strerror or e)

    async def quarantine(self, entry_id: int) -> dict[str, Any]:
        """Move a file that failed every attempt to state_dir/quarantine, and say so in the journal."""
        def write() -> dict[str, Any]:
            entry = j.locked_entry(entry_id)
            if entry is None or entry.state != j.FAILED:
                return entry.__data__.copy() if entry else {}
            target = os.path.join(self.rules.quarantine_dir, f"{entry.id}-{os.path.basename(entry.path)}")
            try:
                os.makedirs(self.rules.quarantine_dir, exist_ok=True)
                shutil.move(entry.path, target)
            except OSError as e:
                log.warning("could not quarantine %s: %s", entry.path, e)
                return entry.__data__.copy()
            try:
                j.save(entry, state=j.QUARANTINED, quarantine_path=target)
                self.events.emit("ingest.quarantined", j.subject(entry), {"path": entry.path, "quarantine_path": target})
            except Exception:
                shutil.move(target, entry.path)  # not recorded: put it back where it was
                raise
            return entry.__data__.copy()

        return await self.store.write(write)

    # -- retries -----------------------------------------------------------------------

    async def retry(self, paths: list[str]) -> list[str]:
        """Try failed or quarantined files again now (a quarantined one is moved back first)."""
        def write() -> list[str]:
            ready = []
            for entry in j.locked(j.JournalEntry.select().where(j.JournalEntry.path.in_(paths),
                                                                j.JournalEntry.state.in_((j.FAILED, j.QUARANTINED)))):
                if entry.state == j.QUARANTINED and entry.quarantine_path:
                    if os.path.exists(entry.path):
                        log.warning("not restoring %s from quarantine: a file is there again", entry.path)
                    else:
                        os.makedirs(os.path.dirname(entry.path), exist_ok=True)
                        shutil.move(entry.quarantine_path, entry.path)
                j.save(entry, state=j.FAILED, attempts=0, next_attempt_at=None, quarantine_path=None)
                self.events.emit("ingest.retried", j.subject(entry), {"path": entry.path})
                ready.append(entry.path)
            return ready

        ready = await self.store.write(write)
        for path in ready:
            self.submit(path, URGENT, force=True)
        return ready

    async def retry_due(self) -> int:
        """Scheduled: queue the failed files whose backoff has run out."""
        paths = await self.store.read(j.due_retries, utcnow())
        for path in paths:
            self.submit(path, RETRY, force=True)
        return len(paths)

    # -- stopping ----------------------------------------------------------------------

    async def stop(self, timeout: float) -> None:
        """Stop taking files; let the ones being read finish (up to ``timeout``), abandon
        the rest: they stay 'seen' in the journal and are resumed at the next start."""
        self.stopping = True
        while not self._queue.empty():
            _, _, path = self._queue.get_nowait()
            job = self._jobs.pop(path, None)
            if job is not None and not job.future.done():
                _fail_future(job.future, Unavailable("clarityd is stopping"))
        if self._jobs:
            running = [job.future for job in self._jobs.values()]
            await asyncio.wait(running, timeout=timeout)
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        await self.commits.idle()  # writes already handed in finish before the store closes
        self._pool.shutdown(wait=False, cancel_futures=True)
