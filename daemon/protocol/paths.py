"""Where the socket is: one rule for the daemon and every client."""

from __future__ import annotations

import contextlib
import os
import pwd
import stat
from pathlib import Path


def default_socket_path(env: dict[str, str] | None = None) -> str:
    """clarity.sock in $RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/clarity, else
    /tmp/clarity-UID/clarity.

    Overrides ($CLARITY_SOCKET, the config file) are applied by the caller.
    """
    env = dict(os.environ if env is None else env)
    if env.get("RUNTIME_DIRECTORY"):
        return str(Path(env["RUNTIME_DIRECTORY"].split(":")[0]) / "clarity.sock")
    runtime = env.get("XDG_RUNTIME_DIR") or f"/tmp/clarity-{os.getuid()}"
    return str(Path(runtime) / "clarity" / "clarity.sock")


def client_socket_path(env: dict[str, str] | None = None) -> str:
    """The socket a client should dial: $CLARITY_SOCKET, the config file's ``socket``, the default."""
    env = dict(os.environ if env is None else env)
    if env.get("CLARITY_SOCKET"):
        return env["CLARITY_SOCKET"]
    if env.get("CLARITY_CONFIG"):
        try:
            import yaml  # only when a config file is named

            with open(env["CLARITY_CONFIG"], encoding="utf-8") as f:
                data = yaml.safe_load(f) or {}
            if isinstance(data, dict) and data.get("socket"):
                return os.path.expanduser(str(data["socket"]))
        except Exception:  # unreadable, broken, or no yaml installed: the daemon reports a bad file
            pass
    return default_socket_path(env)


class UnsafeSocketPath(Exception):
    """The socket's folder could let another user replace the socket (see :func:`socket_path_problem`)."""


def _folders_up(folder: str) -> list[str]:
    """``folder`` and each of its parents up to ``/``."""
    chain = [folder]
    while (parent := os.path.dirname(chain[-1])) != chain[-1]:
        chain.append(parent)
    return chain


def socket_path_problem(path: str, trusted_uids: set[int], check_socket: bool = False) -> str | None:
    """Why another user could put their own socket at ``path``, or None when nobody can.

    As OpenSSH and tmux do: every folder from the socket's up to ``/`` (as named, and with
    links resolved) must be owned by a trusted uid and not writable by group or others unless
    sticky (as /tmp is). With ``check_socket``, the socket itself must belong to a trusted uid.
    Folders that do not exist yet are skipped: whoever creates them owns them."""
    folder = os.path.dirname(os.path.abspath(path))
    for d in dict.fromkeys(_folders_up(folder) + _folders_up(os.path.realpath(folder))):
        try:
            st = os.stat(d)
        except FileNotFoundError:
            continue
        except OSError as e:
            return f"cannot check {d}: {e.strerror or e}"
        if st.st_uid not in trusted_uids:
            return f"{d} is owned by uid {st.st_uid}, who could replace the socket"
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not st.st_mode & stat.S_ISVTX:
            who = "others" if st.st_mode & stat.S_IWOTH else "its group"
            return f"{d} is writable by {who} (mode {st.st_mode & 0o7777:04o})"
    if check_socket:
        try:
            st = os.stat(path)
        except OSError:
            return None  # nothing there: connecting says so
        if st.st_uid not in trusted_uids:
            return f"{path} is owned by uid {st.st_uid}, not by the daemon's user"
    return None


def daemon_uids(env: dict[str, str] | None = None) -> set[int]:
    """Whom a client trusts to own the socket and its folders: root, itself, and the daemon's
    user: $CLARITY_DAEMON_USER (a name or uid), else the packaged service's ``clarity`` user."""
    env = dict(os.environ if env is None else env)
    uids = {0, os.getuid(), os.geteuid()}
    name = env.get("CLARITY_DAEMON_USER", "clarity")
    if name.isdigit():
        uids.add(int(name))
    else:
        with contextlib.suppress(KeyError):  # no such user here
            uids.add(pwd.getpwnam(name).pw_uid)
    return uids
