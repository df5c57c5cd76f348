"""May this caller have this file read? ``ingest.file`` reads with the daemon's rights, so
it checks the caller's own first: a caller may hand over only files it could read itself,
or the daemon would become a way to read anything it can."""

from __future__ import annotations

import os
import stat


def caller_can_read(path: str, uid: int, gids: set[int]) -> bool:
    """Would a process with ``uid`` and groups ``gids`` be allowed to open ``path`` for
    reading (search permission on every folder above it, read permission on the file)?
    Plain mode bits; ACLs are not consulted, so the answer errs on the side of no."""
    if uid == 0:
        return True
    folder = os.path.dirname(path)
    while True:
        if not _allowed(os.stat(folder), uid, gids, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
            return False
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return _allowed(os.stat(path), uid, gids, stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)


def _allowed(st: os.stat_result, uid: int, gids: set[int], user_bit: int, group_bit: int, other_bit: int) -> bool:
    if st.st_uid == uid:
        return bool(st.st_mode & user_bit)
    if st.st_gid in gids:
        return bool(st.st_mode & group_bit)
    return bool(st.st_mode & other_bit)


def groups_of(user: str, gid: int) -> set[int]:
    """The caller's primary and supplementary groups."""
    try:
        return {gid, *os.getgrouplist(user, gid)}
    except (KeyError, OSError):
        return {gid}
