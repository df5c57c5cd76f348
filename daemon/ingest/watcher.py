"""Watching folders: watchdog observers, settle detection, polling when native events fail.

A file is handed on only once it is complete: on close-after-write where the platform
reports it (inotify), else once its size and mtime have held still for ``settle_s``.
Renames and moves into a folder are arrivals; a folder moved in is walked, since the
kernel reports nothing for the files inside it. Handlers run on the observer threads
and hand events to the event loop (a queue, and a ``call_soon_threadsafe`` to wake it when
the queue was empty); everything else happens on the loop, where no lock is needed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from collections.abc import Callable

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from ..dropfolder import ensure_drop_folder
from .rules import FolderRule, Rules

log = logging.getLogger("clarityd.ingest")

# With inotify a local writer always ends with close-write, so "modified" (one per write()
# call) adds nothing but load: a file still growing is caught by the settle check's stat.
# Polling reports no closes: there "modified" is how a changed file is noticed.
NATIVE_EVENTS = [FileCreatedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent, DirCreatedEvent, DirMovedEvent]
POLLING_EVENTS = [*NATIVE_EVENTS, FileModifiedEvent]
# Filesystems where inotify sees only this host's changes (or none): poll them instead.
NETWORK_FS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "9p",
    "afs",
    "ceph",
    "glusterfs",
    "davfs",
    "fuse.sshfs",
    "fuse.rclone",
    "fuse.s3fs",
    "lustre",
    "gpfs",
}


def filesystem_type(path: str, mounts_file: str = "/proc/self/mounts") -> str | None:
    """The type of the filesystem holding ``path`` (Linux); None where it cannot be told."""
    try:
        with open(mounts_file, encoding="utf-8", errors="replace") as f:
            mounts = [line.split()[1:3] for line in f if len(line.split()) >= 3]
    except OSError:
        return None
    best, fstype = "", None
    real = os.path.realpath(path)
    for point, kind in mounts:
        point = point.replace("\\040", " ")
        if (real == point or real.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, fstype = point, kind
    return fstype


@dataclass
class FolderWatch:
    """How one folder is watched now."""

    rule: FolderRule
    mode: str = "off"  # native, polling, missing
    reason: str = ""  # why polling, or why missing
    observer: BaseObserver | None = None


@dataclass
class _Pending:
    """A file waiting to settle."""

    last_event: float
    snap: tuple[int, int] | None
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher, rule: FolderRule) -> None:
        self.watcher, self.rule = watcher, rule

    def on_any_event(self, event: FileSystemEvent) -> None:
        # On the observer thread: hand over and return at once. A folder filling up raises
        # two events a file; the loop is woken once for all those that arrive meanwhile.
        watcher = self.watcher
        watcher._arrived.append(event)
        if not watcher._woken:
            watcher._woken = True
            watcher.loop.call_soon_threadsafe(watcher._take_arrived)


class _OverflowAlarm(logging.Handler):
    """watchdog says when the kernel's event queue overflowed only in its log: listen there
    and rescan, since events were lost."""

    def __init__(self, on_overflow: Callable[[], object]) -> None:
        super().__init__(logging.WARNING)
        self.on_overflow = on_overflow

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.on_overflow()


class Watcher:
    def __init__(
        self,
        rules: Rules,
        on_ready: Callable[[str], None],
        settle_s: Callable[[], float],
        poll_interval_s: float,
        on_overflow: Callable[[], None],
        native: Callable[[], BaseObserver] = Observer,
    ) -> None:
        self.rules = rules
        self.on_ready = on_ready
        self.settle_s = settle_s
        self.poll_interval_s = poll_interval_s
        self.native = native
        self.loop = asyncio.get_running_loop()
        self.folders = [FolderWatch(rule) for rule in rules.folders]
        self._pending: dict[str, _Pending] = {}
        self._arrived: deque[FileSystemEvent] = deque()  # from the observer threads
        self._woken = False  # a _take_arrived is due on the loop
        self._alarm = _OverflowAlarm(lambda: self.loop.call_soon_threadsafe(on_overflow))

    # -- observers ---------------------------------------------------------------------

    def start(self) -> None:
        logging.getLogger("watchdog").addHandler(self._alarm)
        for folder in self.folders:
            self._watch(folder)

    def stop(self) -> None:
        logging.getLogger("watchdog").removeHandler(self._alarm)
        for folder in self.folders:
            self._unwatch(folder)
        for pending in self._pending.values():
            if pending.timer:
                pending.timer.cancel()
        self._pending.clear()

    def check(self) -> None:
        """Re-watch folders that went missing or whose observer died (run with each rescan)."""
        for folder in self.folders:
            alive = folder.observer is not None and folder.observer.is_alive()
            if not alive or not os.path.isdir(folder.rule.root):
                if folder.mode != "missing":
                    log.warning("watch on %s was lost; watching it again", folder.rule.root)
                self._unwatch(folder)
                self._watch(folder)

    def _watch(self, folder: FolderWatch) -> None:
        root = folder.rule.root
        try:
            ensure_drop_folder(root)  # a folder the daemon creates is one the group can drop files into
        except OSError as e:
            folder.mode, folder.reason = "missing", f"cannot create it: {e.strerror or e}"
            log.error("watched folder %s is missing and %s; will try again at the next rescan", root, folder.reason)
            return
        polling_reason = ""
        if folder.rule.polling:
            polling_reason = "configured"
        elif (fstype := filesystem_type(root)) in NETWORK_FS:
            polling_reason = f"{fstype} is a network filesystem"
        if not polling_reason:
            try:
                folder.observer = self._start(self.native(), folder.rule, NATIVE_EVENTS)
                folder.mode, folder.reason = "native", ""
                return
            except OSError as e:  # inotify limits reached, unsupported filesystem...
                polling_reason = f"native events failed: {e.strerror or e}"
                log.warning("%s: %s; falling back to polling every %g s", root, polling_reason, self.poll_interval_s)
        try:
            folder.observer = self._start(PollingObserver(timeout=self.poll_interval_s), folder.rule, POLLING_EVENTS)
            folder.mode, folder.reason = "polling", polling_reason
            log.info("polling %s every %g s (%s)", root, self.poll_interval_s, polling_reason)
        except OSError as e:
            folder.mode, folder.reason = "missing", f"cannot watch it: {e.strerror or e}"
            log.error("cannot watch %s: %s", root, folder.reason)

    def _start(self, observer: BaseObserver, rule: FolderRule, events: list[type[FileSystemEvent]]) -> BaseObserver:
        try:
            observer.schedule(_Handler(self, rule), rule.root, recursive=rule.recursive, event_filter=events)
            observer.daemon = True
            observer.start()
        except BaseException:
            if observer.is_alive():
                observer.stop()
            raise
        return observer

    def _unwatch(self, folder: FolderWatch) -> None:
        observer, folder.observer = folder.observer, None
        folder.mode = "off" if folder.mode != "missing" else folder.mode
        if observer is not None and observer.is_alive():
            observer.stop()
            observer.join(timeout=5)

    # -- events (on the loop) ----------------------------------------------------------

    def _take_arrived(self) -> None:
        self._woken = False  # first: an event added from now on wakes the loop again
        while self._arrived:
            event = self._arrived.popleft()
            try:
                self.on_event(event)
            except Exception:  # as asyncio would say of a callback of its own; the rest go on
                log.exception("handling %s failed", event)

    def on_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        src = os.fsdecode(event.src_path)
        if event.is_directory:
            if kind in ("created", "moved"):
                # A folder that appears (or is moved in) whole: its files raise no events.
                self.loop.run_in_executor(None, self._walk_new_dir, os.fsdecode(event.dest_path) or src)
            return
        if kind == "moved":
            self._forget(src)
            self.ready(os.fsdecode(event.dest_path))  # a rename is atomic: the file is complete
        elif kind == "closed":
            self.ready(src)
        elif kind in ("created", "modified"):
            self.touch(src)
        elif kind == "deleted":
            self._forget(src)

    def _walk_new_dir(self, top: str) -> None:
        """On a worker thread: every file below a folder that just appeared."""
        for dirpath, dirnames, filenames in os.walk(top):
            links = [name for name in dirnames if os.path.islink(os.path.join(dirpath, name))]
            for name in [*filenames, *links]:  # a link to a folder is a file here (see opening)
                self.loop.call_soon_threadsafe(self.touch, os.path.join(dirpath, name))

    def touch(self, path: str) -> None:
        """Something happened to ``path``: wait for it to settle, then hand it on."""
        if self.rules.accepts(path) is None:
            return
        pending = self._pending.get(path)
        now = time.monotonic()
        if pending is not None:
            pending.last_event = now
            return  # its timer is armed and looks at last_event when it fires
        snap = _snap(path)
        if snap is None:
            return
        settle = self.settle_s()
        if time.time_ns() - snap[1] > settle * 1e9:
            # Not modified for longer than the settle time already (moved in from elsewhere,
            # found by a rescan): it is as settled as waiting would make it.
            self.on_ready(path)
            return
        pending = self._pending[path] = _Pending(now, snap)
        pending.timer = self.loop.call_later(settle, self._check, path)

    def ready(self, path: str) -> None:
        """``path`` is complete (closed after writing, or renamed into place)."""
        self._forget(path)
        if self.rules.accepts(path) is not None:
            self.on_ready(path)

    def _forget(self, path: str) -> None:
        pending = self._pending.pop(path, None)
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()

    def _check(self, path: str) -> None:
        pending = self._pending.get(path)
        if pending is None:
            return
        settle = self.settle_s()
        quiet = time.monotonic() - pending.last_event
        if quiet < settle:
            pending.timer = self.loop.call_later(settle - quiet, self._check, path)
            return
        snap = _snap(path)
        if snap is None:  # gone before it settled
            self._pending.pop(path, None)
            return
        if snap != pending.snap:  # still growing, though no event said so (polling, NFS)
            pending.snap, pending.last_event = snap, time.monotonic()
            pending.timer = self.loop.call_later(settle, self._check, path)
            return
        self._pending.pop(path, None)
        self.on_ready(path)

    @property
    def settling(self) -> int:
        return len(self._pending)


def _snap(path: str) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)  # a link as itself: never followed here (see opening)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns
