"""The state folder: private to the daemon, and held by one daemon at a time.

It holds the SQLite database, the inbox and quarantine, so
it is created 0700, or 0750 when a group shares it (``socket_group`` is set, or systemd's
``StateDirectory=`` made it, whose group drops files into the inbox), never open to every
local user. The process umask is 077 (027 when shared) and the SQLite files are narrowed
to 0600 at start whatever made them: the database is read through the daemon only. A daemon takes an exclusive
``flock`` on ``clarityd.lock`` inside it before it opens anything else; a second daemon on
the same folder exits with EX_TEMPFAIL (75) saying which process holds it. The lock is per
state folder, not per database: daemons sharing one PostgreSQL each keep their own folder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import grp
import logging
import os
import stat

log = logging.getLogger("clarityd")

LOCK_NAME = "clarityd.lock"
EX_TEMPFAIL = 75  # the folder is busy now; it may not be later (sysexits.h)


def shared(group: str) -> bool:
    """Does a group share the state folder: ``socket_group`` set, or run by systemd with
    ``StateDirectory=`` (whose ``StateDirectoryMode`` then says how far)?"""
    return bool(group or os.environ.get("STATE_DIRECTORY"))


def umask(group: str) -> int:
    """The process umask: what the daemon creates is its own, or its group's to read when shared."""
    return 0o027 if shared(group) else 0o077


class StateInUse(Exception):
    """Another clarityd holds this state folder."""


def prepare(path: str, group: str = "") -> None:
    """Create the state folder (or narrow one an older version left open to everyone):
    0700, or 0750 (owned by ``group`` when one is configured) when shared."""
    mode = 0o750 if shared(group) else 0o700
    os.makedirs(path, mode=mode, exist_ok=True)
    st = os.stat(path)
    if st.st_uid != os.geteuid():
        if st.st_mode & stat.S_IRWXO:
            log.warning("state folder %s is not ours and others may read it (mode %o)", path, st.st_mode & 0o777)
        return  # someone else's (systemd's StateDirectory= is ours): not ours to change
    if group:
        with contextlib.suppress(KeyError, PermissionError):
            os.chown(path, -1, grp.getgrnam(group).gr_gid)
    if st.st_mode & 0o777 & ~mode:
        os.chmod(path, stat.S_IMODE(st.st_mode) & mode)


def lock(path: str) -> int:
    """Take the state folder's lock for the life of the process; returns its descriptor
    (kept open: closing it, or the process ending, releases the lock). Raises StateInUse."""
    lock_path = os.path.join(path, LOCK_NAME)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            who = f"another clarityd (pid {holder})" if holder.isdigit() else "another clarityd"
            raise StateInUse(
                f"{who} is using the state folder {path}; each daemon needs a state folder of its own"
            ) from None
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def narrow_sqlite_files(database: str) -> None:
    """The SQLite database and its -wal/-shm made 0600 (SQLite gives new -wal/-shm files
    the database's mode, so narrowing the database narrows them from then on)."""
    for name in (database, f"{database}-wal", f"{database}-shm", f"{database}-journal"):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            st = os.stat(name)
            if st.st_mode & 0o077 and st.st_uid == os.geteuid():
                os.chmod(name, 0o600)
