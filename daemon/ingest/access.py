"""May this caller have this file read? ``ingest.file`` reads with the daemon's rights, so
it checks the caller's own first: a caller may hand over only files it could read itself,
or the daemon would become a way to read anything it can.

The checks take stat results of what was *opened* (the descriptors :mod:`.opening` holds),
never a path looked up again, so a link re-pointed between the check and the read cannot
slip another file in.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Who handed a file over (from SO_PEERCRED): the rights its reading is checked against."""

    uid: int
    gids: frozenset[int]

    @classmethod
    def of(cls, uid: int, gid: int, user: str) -> Caller:
        return cls(uid, frozenset(groups_of(user, gid)))

    def may_search(self, st: os.stat_result) -> bool:
        """May this caller pass through the folder ``st`` is the stat of?"""
        return self.uid == 0 or _allowed(st, self.uid, self.gids, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)

    def may_read(self, st: os.stat_result) -> bool:
        """May this caller read the file ``st`` is the stat of? Plain mode bits; ACLs are not
        consulted, so the answer errs on the side of no."""
        return self.uid == 0 or _allowed(st, self.uid, self.gids, stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)


def _allowed(st: os.stat_result, uid: int, gids: frozenset[int], user_bit: int, group_bit: int, other_bit: int) -> bool:
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
