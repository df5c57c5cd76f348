"""Opening a file to ingest: what is checked is what was opened, not what was named.

The rule (README, "Security model"):

- Only regular files are read. A FIFO, socket or device is refused without being waited on:
  its type is seen with ``lstat`` before any open, the open is non-blocking, and ``fstat`` of
  the descriptor checks again. A refused file is journaled once as "refused" and not
  retried until it changes.
- A symbolic link (the file itself, or a folder on its way) is followed only when it leads
  to a file a watched folder takes (inside one, matching its patterns, not the daemon's own
  files); else the file is refused. A file handed over with ``ingest.file`` may be reached
  through links anywhere: there the caller's own right to read is what counts, checked on
  every folder and on the file as opened.
- The resolved path is opened one component at a time, each relative to the folder opened
  before it and with ``O_NOFOLLOW``, so a link swapped in after the check leads nowhere
  (the open fails and the file is tried again later). For a path that is not a link, the
  descriptor's device and inode must be those ``lstat`` saw.

The descriptor is then read for the hash and, through :func:`fd_path`, by the extractors.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import Forbidden
from .access import Caller

if TYPE_CHECKING:
    from .rules import Rules

_O_PATH = getattr(os, "O_PATH", os.O_RDONLY)  # Linux: a folder needs no read right to be walked
_DIR_FLAGS = _O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
}


class Vanished(Exception):
    """The file was gone (moved or deleted) before it could be read."""


class Changed(OSError):
    """The path changed while it was being opened (a folder or the file replaced): tried again later."""


class Refused(Exception):
    """Not read, on purpose (a special file, a link leading outside the watched folders):
    journaled once as refused, with ``named`` (its lstat) so rescans know it is unchanged."""

    def __init__(self, reason: str, named: os.stat_result) -> None:
        super().__init__(reason)
        self.named = named


@dataclass
class Opened:
    """A regular file open for reading, and what was checked of it."""

    path: str  # as named
    fd: int
    st: os.stat_result  # fstat of the descriptor: what is read
    named: os.stat_result  # lstat of the path: what the journal and rescans compare

    @property
    def identity(self) -> tuple[int, int]:
        """(size, mtime_ns) of the path as named (for a link: of the link itself)."""
        return self.named.st_size, self.named.st_mtime_ns

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def kind_of(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def open_file(path: str, rules: Rules, callers: Sequence[Caller] = ()) -> Opened:
    """Open ``path`` (absolute, normalised) under the rule in the module doc.

    ``callers``: who handed it over with ``ingest.file``; each must be able to read what is
    opened (Forbidden otherwise). Without callers the daemon reads on its own account
    (watched folders, retries, resumes) and the link rule applies.
    Raises Vanished, Refused, Forbidden, Changed, or OSError (e.g. the daemon may not read it)."""
    try:
        named = os.lstat(path)
    except FileNotFoundError:
        raise Vanished("the file vanished (moved or deleted) before it was read") from None
    if not (stat.S_ISREG(named.st_mode) or stat.S_ISLNK(named.st_mode)):
        raise Refused(f"not read: {kind_of(named.st_mode)}, not a regular file", named)
    real = os.path.realpath(path)
    if rules.is_internal_resolved(real):
        if callers:
            raise Forbidden(f"{path} leads to clarityd's own files")
        raise Refused("not read: a link to clarityd's own files", named)
    if real != path and not callers and not rules.accepts_resolved(real):
        raise Refused("not read: a symbolic link leading outside the watched folders", named)
    fd = _walk_open(real, callers)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"not read: {kind_of(st.st_mode)}, not a regular file", named)
        if not stat.S_ISLNK(named.st_mode) and (st.st_dev, st.st_ino) != (named.st_dev, named.st_ino):
            raise Changed(errno.EAGAIN, "the file was replaced while it was opened")
        if any(not caller.may_read(st) for caller in callers):
            raise Forbidden(f"you may not read {path}, so clarityd will not read it for you")
    except BaseException:
        os.close(fd)
        raise
    return Opened(path, fd, st, named)


def _walk_open(real: str, callers: Sequence[Caller]) -> int:
    """Open ``real`` (no links in it, as resolved a moment ago) one component at a time,
    never following a link, checking each caller's right to pass every folder."""
    parts = real.split("/")[1:]
    folder = os.open("/", _DIR_FLAGS)
    try:
        for name in [*parts[:-1], None]:
            st = os.fstat(folder)
            if any(not caller.may_search(st) for caller in callers):
                raise Forbidden(f"you may not read {real}, so clarityd will not read it for you")
            if name is None:
                break
            try:
                inner = os.open(name, _DIR_FLAGS, dir_fd=folder)
            except FileNotFoundError:
                raise Vanished("the file vanished (moved or deleted) before it was read") from None
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR):  # a folder became a link or a file meanwhile
                    raise Changed(errno.EAGAIN, "a folder on its path was replaced while it was opened") from None
                raise
            os.close(folder)
            folder = inner
        try:
            return os.open(parts[-1], _FILE_FLAGS, dir_fd=folder)
        except FileNotFoundError:
            raise Vanished("the file vanished (moved or deleted) before it was read") from None
        except OSError as e:
            if e.errno == errno.ELOOP:  # the file became a link after it was resolved
                raise Changed(errno.EAGAIN, "the file was replaced by a link while it was opened") from None
            raise
    finally:
        os.close(folder)


def fd_path(opened: Opened) -> str:
    """A name for the open descriptor: ``/proc/<pid>/fd/<fd>``. Opening it reaches the very
    file already checked, whatever the original path points at by now; the worker processes
    that read files (:mod:`.reading`) and parse PDFs can open it too. The file's own name
    (the extractors read its extension and title) goes alongside. (A link to it named like
    the file, made and removed per file, cost two metadata writes each: ~0.15 ms of the loop's time.)"""
    return f"/proc/{os.getpid()}/fd/{opened.fd}"
