"""Folders other people drop files into: the inbox, and any watched folder the daemon creates.

They are made ``drwxrws---`` (2770) whatever the umask (the systemd unit's is 0027): members
of the daemon's group may add files, and the setgid bit gives every file they drop that group,
so the daemon can read it even when the dropper's own primary group is another one.
"""

from __future__ import annotations

import logging
import os
import stat

log = logging.getLogger(__name__)

DROP_MODE = 0o2770


def _set_drop_mode(path: str) -> None:
    try:
        os.chmod(path, DROP_MODE)
    except PermissionError:
        # RestrictSUIDSGID=yes (or a filesystem without setgid directories): group-writable still
        # lets the group drop files, which then keep the dropper's group.
        os.chmod(path, DROP_MODE & ~stat.S_ISGID)
        log.warning("%s: the setgid bit cannot be set; files dropped there keep their owner's group", path)


def ensure_drop_folder(path: str, *, repair: bool = False) -> None:
    """Create ``path`` (and missing parents) for dropping files into; the folder itself gets
    mode 2770. With ``repair``, an existing folder the daemon owns gets that mode too (an
    inbox made by an older version under umask 0027 was ``drwxr-x---``). Raises OSError."""
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
        _set_drop_mode(path)
        return
    if repair:
        st = os.stat(path)
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != DROP_MODE:
            _set_drop_mode(path)
