"""Connections made as another user: the tests run as root, and root is always an operator.

A forked child drops to ``uid``/``gid``, connects, and hands the sockets back over a socket
pair (SCM_RIGHTS); the daemon's SO_PEERCRED still names the child's uid, as it would for a
real process of that user.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from typing import Any

NOBODY = 65534
NOGROUP = 65534


def open_to(socket_path: str, group: int = NOGROUP) -> None:
    """Let members of ``group`` reach the socket: its folder searchable, the socket theirs."""
    os.chmod(os.path.dirname(socket_path), 0o711)
    os.chown(socket_path, -1, group)


def connect_as(socket_path: str, uid: int, count: int = 1, gid: int = NOGROUP) -> list[socket.socket]:
    """``count`` sockets connected to ``socket_path`` by a process running as ``uid``:``gid``.

    A connection the daemon refuses is still returned (it then reads an error and EOF)."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the child: no Python-level cleanup, only the system calls it needs
        code = 1
        try:
            ours.close()
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            for start in range(0, count, 100):  # SCM_RIGHTS carries at most 253 descriptors
                batch = []
                for _ in range(min(100, count - start)):
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(socket_path)
                    batch.append(s)
                socket.send_fds(theirs, [b"x"], [s.fileno() for s in batch])
                for s in batch:
                    s.close()
            code = 0
        finally:
            os._exit(code)
    theirs.close()
    got: list[socket.socket] = []
    try:
        while len(got) < count:
            _, fds, _, _ = socket.recv_fds(ours, 1, 100)
            if not fds:
                break
            got.extend(socket.socket(fileno=fd) for fd in fds)
    finally:
        ours.close()
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and len(got) == count, f"connect as uid {uid} failed"
    for s in got:
        s.settimeout(10)
    return got


def run_as(uid: int, gid: int, work: Callable[[], Any]) -> Any:
    """``work()`` in a forked child running as ``uid``:``gid`` (no supplementary groups); its
    result, which must be JSON, comes back over a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            os.write(write_end, json.dumps(work()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 65536):
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    return json.loads(data)
