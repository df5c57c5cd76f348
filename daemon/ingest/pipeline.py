"""A settled file's journey: open and hash → journal → extract and infer (worker processes,
:mod:`.reading`) → proposal, journal state and learner memory in one write → (optionally) delete.

A file is opened once, under the rules of :mod:`.opening` (regular files only, links
only into the watched folders, the caller's rights for ``ingest.file``), and everything
after reads that descriptor: the hash, and the extractors through :func:`.opening.fd_path`.
Names are journaled in their :mod:`.names` stored form, whatever their bytes.

Files wait in one priority queue (files handed over by an agent or the watcher before
rescans and retries); a fixed number of worker tasks take them, each opening and hashing
one file at a time in a bounded thread pool, then handing it to the reading processes.
A path is never in the queue twice: asking again while it waits or runs joins the same result.

A file's writes go through group commit (:mod:`.commits`): the files waiting on the one
database writer share a transaction and a savepoint (each its own only if one fails). So more tasks run than
threads read: the rest wait on the writer, and the next transaction takes them all.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..errors import DaemonError, Unavailable
from ..extract import ExtractionError, ExtractLimits
from ..governance.content import Findings
from ..inference import learning
from ..storage.models import utcnow
from . import archives
from . import journal as j
from . import names
from .access import Caller
from .commits import MAX_BATCH, GroupCommit
from .opening import Opened, Refused, Vanished, fd_path, open_file
from .proposing import Proposer
from .reading import Context, Read, Readers, ReadFailed, Request, analyse

if TYPE_CHECKING:
    from ..config import IngestConfig
    from ..events import EventBus
    from ..extract.types import Extraction
    from ..governance import Governance
    from ..inference.types import Inference
    from ..storage import Store
    from .rules import Rules

log = logging.getLogger("clarityd.ingest")

URGENT, ARRIVAL, RESCAN, RETRY = 0, 1, 2, 3  # queue priorities: lower goes first
HASH_CHUNK = 1 << 20
# Files that may wait on the database writer at once, beyond those being read: what two
# group transactions take, one being written while the next gathers. (With one, files in
# the transaction being written held every task: the reading workers idled meanwhile, and
# the writer then idled while they read.) Each holds its extraction, at most
# max_text_chars, and its descriptor meanwhile.
WRITE_QUEUE = 2 * MAX_BATCH


class TooLarge(Exception):
    """The file is over ``limits.max_file_bytes``: it is neither hashed nor read."""

    def __init__(self, size: int, mtime_ns: int, limit: int) -> None:
        super().__init__(f"file is {size} bytes, over the limit of {limit} bytes")
        self.size, self.mtime_ns = size, mtime_ns


class QueuedFile:
    """One path waiting or running, and everyone waiting for its outcome. (Not a periodic
    job: those are daemon.jobs.Jobs.)"""

    __slots__ = ("path", "priority", "force", "future", "again", "running", "callers")

    def __init__(self, path: str, priority: int, force: bool, future: asyncio.Future[dict[str, Any]]) -> None:
        self.path, self.priority, self.force, self.future = path, priority, force, future
        self.again = False  # asked for again while running: look once more afterwards
        self.running = False
        # Who handed it over with ingest.file: each one's right to read is checked on what
        # is opened. None: the daemon reads it on its own account (watcher, rescan, retry).
        self.callers: list[Caller] = []


def _fail_future(future: asyncio.Future[Any], error: BaseException) -> None:
    """Fail a job's future; most (the watcher's) have nobody waiting, so mark it seen to
    keep asyncio from logging "exception never retrieved" (an ingest.file caller still gets it)."""
    future.set_exception(error)
    future.exception()


def open_and_hash(path: str, rules: Rules, callers: Sequence[Caller], max_bytes: int) -> tuple[Opened, str]:
    """The file opened under the rules of :mod:`.opening`, and the sha256 of what was opened.
    Raises what :func:`.opening.open_file` raises, and TooLarge over ``max_bytes``."""
    opened = open_file(path, rules, callers)
    try:
        if opened.st.st_size > max_bytes:
            raise TooLarge(*opened.identity, max_bytes)
        digest = hashlib.sha256()
        offset = 0
        while chunk := os.pread(opened.fd, HASH_CHUNK, offset):
            digest.update(chunk)
            offset += len(chunk)
    except BaseException:
        opened.close()
        raise
    return opened, digest.hexdigest()


class Pipeline:
    def __init__(
        self,
        store: Store,
        events: EventBus,
        governance: Governance,
        learner: learning.Learner | None,
        rules: Rules,
        settings: Callable[[], IngestConfig],
    ) -> None:
        """``settings`` gives the ingest settings in force; without a ``learner`` nothing is learned."""
        self.store, self.events, self.governance = store, events, governance
        self.rules = rules
        self.learner = learner
        self._settings = settings
        self.proposer = Proposer(store, governance, events, learner)
        # Every write below touches the database only (events and rows through the store's
        # hooks; files are moved or deleted after commit, or in writes of their own): a group
        # shares one savepoint, and is run again file by file only when one of them fails.
        self.commits = GroupCommit(store, rerunnable=True)
        # Older versions read files through links in this folder: gone (opening.fd_path).
        shutil.rmtree(os.path.join(rules.state_dir, "reading"), ignore_errors=True)
        workers = self.settings.workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ingest")
        self.readers = Readers(workers, self._context_key, self._context)
        self._lessons_loading: asyncio.Future[Any] | None = None
        self._queue: asyncio.PriorityQueue[tuple[int, int, str]] = asyncio.PriorityQueue()
        self._jobs: dict[str, QueuedFile] = {}  # queued or running, by path
        self._order = itertools.count()
        # More tasks than threads, so files' database writes overlap other files' reading,
        # and the writes waiting meanwhile share one transaction.
        self._workers = [
            asyncio.create_task(self._work(), name=f"ingest-{i}") for i in range(workers * 2 + WRITE_QUEUE)
        ]
        self.stopping = False

    @property
    def settings(self) -> IngestConfig:
        return self._settings()  # read at use: SIGHUP may change limits and backoff

    @property
    def in_flight(self) -> int:
        return len(self._jobs)

    # -- submitting ------------------------------------------------------------------

    def submit(
        self, path: str, priority: int = ARRIVAL, force: bool = False, caller: Caller | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Queue ``path`` (the name on disk); the future gets the journal entry (as a dict)
        once it is done with. ``caller``: who handed it over (ingest.file), whose right to
        read it is checked on the opened file.

        A path already queued or running is not queued twice; if it is running, it is
        looked at once more afterwards (the file may have changed while it was read)."""
        path = archives.archive_of(path) or path  # a file inside an archive is redone with its archive
        job = self._jobs.get(path)
        if job is not None:
            if caller is not None and caller not in job.callers:
                job.callers.append(caller)
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
        job = self._jobs[path] = QueuedFile(path, priority, force, future)
        if caller is not None:
            job.callers.append(caller)
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
                    # A force asked for while this pass runs (ingest.retry) is for the next one.
                    force, job.force, job.again = job.force, False, False
                    result = await self._process(path, force, job.callers)
                    if not job.again or self.stopping:
                        break
                if not job.future.done():
                    job.future.set_result(result)
            except asyncio.CancelledError:
                if not job.future.done():
                    _fail_future(job.future, Unavailable("clarityd stopped before the file was done"))
                raise
            except Unavailable as e:  # the database refuses writes: a rescan picks it up once it takes them
                log.warning("ingesting %s postponed: %s", path, e.message)
                if not job.future.done():
                    _fail_future(job.future, e)
                if self.store.write_error is None and not self.stopping:
                    # Writes came back before this job let go of the path, so the rescan on
                    # recovery may have found it still here: queue it again ourselves.
                    asyncio.get_running_loop().call_soon(self.submit, path, RETRY)
            except DaemonError as e:  # refused for its caller (Forbidden): said to whoever waits
                if not job.future.done():
                    _fail_future(job.future, e)
            except Exception as e:  # a bug, or the database went away: say so, keep working
                log.exception("ingesting %s failed", path)
                if not job.future.done():
                    _fail_future(job.future, e)
            finally:
                self._jobs.pop(path, None)

    # -- one file ----------------------------------------------------------------------

    async def _process(self, path: str, force: bool, callers: Sequence[Caller] = ()) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        settings = self.settings
        name = names.stored(path)  # the journal's form of the name
        try:
            opened, sha = await loop.run_in_executor(
                self._pool, open_and_hash, path, self.rules, callers, settings.limits.max_file_bytes
            )
        except Vanished as e:
            return await self.commits.write(name, self._vanished, name, str(e))
        except Refused as e:
            return await self.commits.write(name, self._refused, name, str(e), e.named.st_size, e.named.st_mtime_ns)
        except TooLarge as e:
            return await self._fail_unread(name, str(e), e.size, e.mtime_ns, permanent=True)
        except OSError as e:
            return await self._fail_unread(name, f"cannot read the file: {e.strerror or e}")
        try:
            return await self._process_opened(opened, name, sha, force)
        finally:
            opened.close()

    async def _process_opened(self, opened: Opened, name: str, sha: str, force: bool) -> dict[str, Any]:
        settings = self.settings
        size, mtime_ns = opened.identity
        # Read first, then one write takes the file from unknown to proposed: the journal
        # entry, its proposal and its events commit together (a crash before leaves no trace,
        # and the file is new again at restart). Reading a file whose content turns out to
        # be known already (touched, or a copy) costs a worker's time, not the writer's.
        read: Read | BaseException
        try:
            read = await self._read(opened, name, settings.limits)
        except Exception as e:
            read = e
        if isinstance(read, Read) and read.extraction.sha256 == sha:
            try:
                entry, outcome = await self.commits.write(
                    name, self._seen_and_propose, name, size, mtime_ns, sha, force, read
                )
            except Unavailable:
                raise  # nothing is recorded: the file waits for the database
            except DaemonError:
                pass  # the proposal was refused (bad fields...): recorded the long way, below
            else:
                if outcome in ("proposed", "applied", "duplicate") or entry.get("state") in j.DONE:
                    self._after_done(entry)
                return entry
        # The long way: the journal first, then what the reading gave.
        entry, action = await self.commits.write(name, self._seen, name, size, mtime_ns, sha, force)
        if action != "process":
            if action == "duplicate" or entry["state"] in j.DONE:
                self._after_done(entry)
            return entry
        try:
            if isinstance(read, BaseException):
                raise read
        except TimeoutError:
            took = f"extraction took longer than {settings.limits.timeout_s:g} s"
            return await self._fail(name, entry["id"], sha, took)
        except archives.IsArchive as e:  # its files go in one by one instead
            return await archives.unpack(self, opened, name, entry, sha, force, e.format)
        except ExtractionError as e:
            return await self._fail(name, entry["id"], sha, str(e), e.permanent)
        except ReadFailed as e:
            log.error("extracting %s failed: %s", name, e)
            return await self._fail(name, entry["id"], sha, str(e).strip().splitlines()[-1])
        except Exception as e:
            log.error("extracting %s failed", name, exc_info=e)
            return await self._fail(name, entry["id"], sha, f"{type(e).__name__}: {e}")
        if read.extraction.sha256 != sha:
            # It changed while we read it: note the new content and read it again.
            self._jobs[opened.path].again = True
            return entry
        try:
            entry, outcome = await self.commits.write(name, self._propose, entry["id"], sha, *read)
        except Unavailable:
            raise  # not the proposal's fault: nothing is recorded, the file waits for the database
        except DaemonError as e:  # the proposal was refused (bad fields, unknown table...)
            return await self._fail(name, entry["id"], sha, f"proposal refused: {e.message}")
        if outcome in ("proposed", "applied", "duplicate"):
            self._after_done(entry)
        return entry

    async def _read(self, opened: Opened, name: str, limits: ExtractLimits) -> Read:
        """Extraction and inference of the open file in a worker process (:mod:`.reading`)."""
        await self._fresh_lessons()
        # extract() keeps its own deadline; this one only guards against a bug in it.
        return await asyncio.wait_for(
            self.readers.read(Request(fd_path(opened), name, opened.path, limits)), limits.timeout_s * 2 + 10
        )

    # -- what inference reads besides the file -------------------------------------------

    def _context_key(self) -> tuple[Any, ...]:
        version = self.learner.version if self.learner is not None else None
        return self.store.catalog, self.governance.policy.rules, version

    def _context(self) -> Context:
        lessons = self.learner.snapshot()[1] if self.learner is not None else None
        return Context(self.store.catalog, self.governance.policy.rules, lessons)

    async def _fresh_lessons(self) -> None:
        """The learner's lessons (re)read from the database when due, on a thread: the loop never waits on it."""
        if self.learner is None or not self.learner.due:
            return
        if self._lessons_loading is None or self._lessons_loading.done():
            self._lessons_loading = asyncio.get_running_loop().run_in_executor(self._pool, self.learner.lessons)
        await asyncio.shield(self._lessons_loading)

    def _infer(self, extraction: Extraction) -> Read:
        """On a worker thread, for an archive's member: :func:`.reading.analyse` with the learner as it is now."""
        lessons = learning.Lessons(self.learner.lessons()) if self.learner is not None else None
        return analyse(extraction, Context(self.store.catalog, self.governance.policy.rules, lessons))

    # -- writes (on the writer thread) -------------------------------------------------

    def _seen(self, path: str, size: int, mtime_ns: int, sha: str, force: bool) -> tuple[dict[str, Any], str]:
        entry, action = j.record_seen(path, size, mtime_ns, sha, force)
        self._emit_seen(entry, action, path, sha, size)
        return dict(entry.__data__), action

    def _emit_seen(self, entry: j.JournalEntry, action: str, path: str, sha: str, size: int) -> None:
        if action in ("process", "claimed") and entry.state == j.SEEN:
            self.events.emit("ingest.seen", j.subject(entry), {"path": path, "sha256": sha, "size": size})
        elif action == "duplicate":
            self.events.emit("ingest.duplicate", j.subject(entry), {"path": path, "duplicate_of": entry.duplicate_of})

    def _seen_and_propose(
        self, path: str, size: int, mtime_ns: int, sha: str, force: bool, read: Read
    ) -> tuple[dict[str, Any], str]:
        """The file's content noted and, when it is news, proposed: one savepoint of a group
        write. A proposal refused rolls back the noting too (the caller goes the long way)."""
        entry, action = j.record_seen(path, size, mtime_ns, sha, force, claim=True)
        if action == "unchanged":
            return dict(entry.__data__), action
        self._emit_seen(entry, action, path, sha, size)
        if action == "duplicate":
            return dict(entry.__data__), action
        done, outcome = self.proposer.propose(entry.id, sha, *read, entry=entry, claimed=action == "claimed")
        return (done.__data__.copy() if done is not None else {}), outcome

    def _propose(
        self,
        entry_id: int,
        sha: str,
        extraction: Extraction,
        inference: Inference,
        features: dict[str, Any] | None,
        found: Findings,
        scanned: list[Findings | None],
    ) -> tuple[dict[str, Any], str]:
        entry, outcome = self.proposer.propose(entry_id, sha, extraction, inference, features, found, scanned)
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
        return dict(entry.__data__)

    def _refused(self, path: str, reason: str, size: int, mtime_ns: int) -> dict[str, Any]:
        entry, news = j.mark_refused(path, reason, size, mtime_ns)
        if news:
            self.events.emit("ingest.refused", j.subject(entry), {"path": path, "error": reason})
            log.warning("not reading %s: %s", path, reason)
        return dict(entry.__data__)

    async def _fail_unread(
        self, path: str, error: str, size: int | None = None, mtime_ns: int | None = None, permanent: bool = False
    ) -> dict[str, Any]:
        def write() -> dict[str, Any]:
            entry = j.entry_for_failure(path)
            if (
                permanent
                and entry.state == j.FAILED
                and entry.next_attempt_at is None
                and (entry.size, entry.mtime_ns) == (size, mtime_ns)
                and entry.last_error == error
            ):
                # Another watcher event for the same unchanged file: its failure is recorded once.
                return dict(entry.__data__)
            if (entry.size, entry.mtime_ns) != (size, mtime_ns):
                # What it is now, with no hash: a rescan then sees it as known until it changes.
                j.save(entry, size=size, mtime_ns=mtime_ns, sha256=None)
            return self._record_failure(entry, error, permanent)

        return await self.commits.write(path, write)

    async def _fail(self, path: str, entry_id: int, sha: str, error: str, permanent: bool = False) -> dict[str, Any]:
        def write() -> dict[str, Any]:
            entry = j.locked_entry(entry_id)
            if entry is None or entry.sha256 != sha or entry.state not in j.UNFINISHED:
                return dict(entry.__data__) if entry else {}  # moved on: not this failure's to record
            return self._record_failure(entry, error, permanent)

        result = await self.commits.write(path, write)
        if (
            result.get("state") == j.FAILED
            and result.get("next_attempt_at") is None
            and self.settings.quarantine
            and archives.archive_of(path) is None
        ):  # a file inside an archive cannot be moved away
            result = await self.quarantine(result["id"])
        return result

    def _record_failure(self, entry: j.JournalEntry, error: str, permanent: bool) -> dict[str, Any]:
        """The one place a failure is judged: a permanent one (the same bytes would fail the
        same way: corrupt, unsupported, over a limit) is recorded once with no retry; a
        transient one is retried with backoff until the attempts are spent."""
        s = self.settings
        retry_at = None if permanent else j.backoff(entry.attempts + 1, s.retry_base_s, s.retry_max_s, s.max_attempts)
        j.mark_failed(entry, error, retry_at)
        self.events.emit(
            "ingest.failed",
            j.subject(entry),
            {
                "path": entry.path,
                "error": error,
                "attempts": entry.attempts,
                "next_attempt_at": retry_at.isoformat() if retry_at else None,
            },
        )
        log.warning("ingest failed (attempt %d): %s: %s", entry.attempts, entry.path, error)
        return dict(entry.__data__)

    # -- after commit ------------------------------------------------------------------

    def _after_done(self, entry: dict[str, Any]) -> None:
        """Once the proposal (or the duplicate link) is committed, a folder that asks for it
        gets its source deleted. Never before: a crash would lose the file."""
        path = names.on_disk(entry["path"])
        folder = self.rules.folder_for(path)
        if folder is None or not folder.delete_after_ingest:
            return
        try:
            st = os.lstat(path)  # a link is removed, never what it points to
        except FileNotFoundError:
            return
        if (st.st_size, st.st_mtime_ns) != (entry.get("size"), entry.get("mtime_ns")):
            return  # it changed since: it is a new arrival, not what was ingested
        try:
            os.unlink(path)
            log.info("deleted %s after ingesting it (delete_after_ingest)", entry["path"])
        except OSError as e:
            log.warning("could not delete %s after ingesting it: %s", entry["path"], e.strerror or e)

    async def quarantine(self, entry_id: int) -> dict[str, Any]:
        """Move a file that failed every attempt to state_dir/quarantine, and say so in the journal."""

        def write() -> dict[str, Any]:
            entry = j.locked_entry(entry_id)
            if entry is None or entry.state != j.FAILED:
                return dict(entry.__data__) if entry else {}
            source = names.on_disk(entry.path)
            target = os.path.join(self.rules.quarantine_dir, f"{entry.id}-{os.path.basename(entry.path)}")
            try:
                os.makedirs(self.rules.quarantine_dir, mode=0o700, exist_ok=True)
                shutil.move(source, target)
            except OSError as e:
                log.warning("could not quarantine %s: %s", entry.path, e)
                return dict(entry.__data__)
            try:
                j.save(entry, state=j.QUARANTINED, quarantine_path=target)
                self.events.emit(
                    "ingest.quarantined", j.subject(entry), {"path": entry.path, "quarantine_path": target}
                )
            except Exception:
                shutil.move(target, source)  # not recorded: put it back where it was
                raise
            return dict(entry.__data__)

        return await self.store.write(write)

    # -- retries -----------------------------------------------------------------------

    async def retry(self, paths: list[str]) -> list[str]:
        """Try failed or quarantined files again now (a quarantined one is moved back first)."""

        def write() -> list[str]:
            ready = []
            for entry in j.locked(
                j.JournalEntry.select().where(j.JournalEntry.path.in_(paths), j.JournalEntry.state.in_(j.RETRYABLE))
            ):
                if entry.state == j.QUARANTINED and entry.quarantine_path:
                    source = names.on_disk(entry.path)
                    if os.path.lexists(source):
                        log.warning("not restoring %s from quarantine: a file is there again", entry.path)
                    else:
                        os.makedirs(os.path.dirname(source), exist_ok=True)
                        shutil.move(entry.quarantine_path, source)
                j.save(entry, state=j.FAILED, attempts=0, next_attempt_at=None, quarantine_path=None)
                self.events.emit("ingest.retried", j.subject(entry), {"path": entry.path})
                ready.append(entry.path)
            return ready

        ready = await self.store.write(write)
        for path in ready:
            self.submit(names.on_disk(path), URGENT, force=True)
        return ready

    async def retry_due(self) -> int:
        """Scheduled: queue the failed files whose backoff has run out."""
        paths = await self.store.read(j.due_retries, utcnow())
        for path in paths:
            self.submit(names.on_disk(path), RETRY, force=True)
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
        self.readers.shutdown()
