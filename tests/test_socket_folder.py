"""The socket's folder must be one nobody else can write to (issue 9, item 10): the daemon
will not listen in, and the client will not connect through, a folder another user owns or
may write to, as OpenSSH and tmux refuse them. Tests run as root; ``nobody`` is the other user."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading

import pytest

from daemon.client import Client, UnsafeSocket
from daemon.protocol.paths import socket_path_problem

from conftest import ROOT, short_tempdir
from peers import NOBODY, NOGROUP


@pytest.fixture
def folder():
    """A fresh folder under /tmp, removed afterwards (Unix socket paths must be short)."""
    path = short_tempdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


class FakeDaemon:
    """What the other user would put there: a socket that answers every call with "ok"."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.recv(65536)
            conn.sendall(b'{"jsonrpc": "2.0", "id": 1, "result": {"status": "ok"}}\n')
            conn.close()

    def close(self) -> None:
        self.sock.close()


def clarity(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_client_refuses_a_runtime_folder_owned_by_another_user(folder):
    """The reproduction: XDG_RUNTIME_DIR belongs to someone else, who put a fake daemon there."""
    runtime = os.path.join(folder, "run")
    os.makedirs(os.path.join(runtime, "clarity"))
    for d in (runtime, os.path.join(runtime, "clarity")):
        os.chown(d, NOBODY, NOGROUP)
    fake = FakeDaemon(os.path.join(runtime, "clarity", "clarity.sock"))
    try:
        r = clarity("rpc", "system.health", env={"XDG_RUNTIME_DIR": runtime})
        assert r.returncode == 78, (r.returncode, r.stdout, r.stderr)
        assert "owned by uid 65534" in r.stderr and r.stdout == ""
        with pytest.raises(UnsafeSocket):
            Client(fake.path).connect()
        assert fake.connections == 0
    finally:
        fake.close()


def test_client_refuses_a_folder_others_may_write(folder):
    os.chmod(folder, 0o777)  # root's, but anyone may swap the socket
    fake = FakeDaemon(os.path.join(folder, "clarity.sock"))
    try:
        r = clarity("rpc", "system.health", env={"CLARITY_SOCKET": fake.path})
        assert r.returncode == 78 and "writable by others" in r.stderr
        os.chmod(folder, 0o1777)  # sticky, as /tmp: nobody may remove what is not theirs
        assert socket_path_problem(fake.path, {0}) is None
        os.chown(fake.path, NOBODY, NOGROUP)  # but a socket of another user's is not the daemon
        r = clarity("rpc", "system.health", env={"CLARITY_SOCKET": fake.path})
        assert r.returncode == 78 and "not by the daemon's user" in r.stderr
        assert fake.connections == 0
    finally:
        fake.close()


def test_the_daemons_user_is_trusted_when_named(folder):
    os.chown(folder, NOBODY, NOGROUP)
    path = os.path.join(folder, "clarity.sock")
    fake = FakeDaemon(path)
    os.chown(path, NOBODY, NOGROUP)
    try:
        r = clarity("rpc", "system.health", env={"CLARITY_SOCKET": path, "CLARITY_DAEMON_USER": "nobody"})
        assert r.returncode == 0 and fake.connections == 1, r.stderr
    finally:
        fake.close()


def test_daemon_refuses_to_listen_in_another_users_folder(make_daemon, folder):
    os.chown(folder, NOBODY, NOGROUP)
    for env in (
        {"CLARITY_SOCKET": os.path.join(folder, "clarity.sock")},
        {"CLARITY_SOCKET": "", "XDG_RUNTIME_DIR": folder},
    ):
        d = make_daemon(env=env, start=False)
        if not env["CLARITY_SOCKET"]:
            del d.env["CLARITY_SOCKET"]
        r = subprocess.run(
            [sys.executable, "-m", "daemon.main"], env=d.env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 78, r.stderr
        assert "refusing to listen" in r.stderr and "owned by uid 65534" in r.stderr
    assert os.listdir(folder) == []  # nothing was created in it


def test_daemon_refuses_a_group_writable_folder(make_daemon, folder):
    os.chmod(folder, 0o770)
    d = make_daemon(env={"CLARITY_SOCKET": os.path.join(folder, "clarity.sock")}, start=False)
    r = subprocess.run(
        [sys.executable, "-m", "daemon.main"], env=d.env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 78 and "writable by its group" in r.stderr
