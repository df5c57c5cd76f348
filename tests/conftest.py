"""Shared fixtures: real daemons on temporary sockets, real SQLite files, the real PostgreSQL.

The PostgreSQL backend is always tested (CI must run it): each test gets its own schema in
the database named by $TEST_DATABASE_URL (default: the local server's `test` database).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest
import yaml
from pg_schema import PG_URL, drop_reader_role, fresh_schema, pg_admin as _pg_admin  # noqa: F401  (used by tests)

from daemon.client import Client

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own clarity settings must not leak into tests; NO_COLOR changes snapshots.
    for name in list(os.environ):
        if name.startswith("CLARITY_") or name in ("NO_COLOR", "NOTIFY_SOCKET", "JOURNAL_STREAM"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    with fresh_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state/clarity.db"
    return request.getfixturevalue("pg_url")


def short_tempdir() -> str:
    """Unix socket paths are limited to 108 bytes; pytest's tmp_path can be longer."""
    return tempfile.mkdtemp(prefix="cl-", dir="/tmp")


class DaemonProcess:
    """A real ``clarityd`` in a subprocess, configured only by the environment (and an
    optional config file), as systemd would run it."""

    def __init__(
        self,
        tmp_path: Path,
        database: str | None = None,
        config: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.dir = short_tempdir()
        self.socket = os.path.join(self.dir, "clarity.sock")
        self.state_dir = tmp_path / "state"
        self.log_path = tmp_path / "clarityd.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
        self.env.update(
            CLARITY_SOCKET=self.socket,
            CLARITY_STATE_DIR=str(self.state_dir),
            CLARITY_LOG_LEVEL="debug",
            PYTHONUNBUFFERED="1",
        )
        if database:
            self.env["CLARITY_DATABASE"] = database
        if config is not None:
            self.config_path = tmp_path / "clarity.yaml"
            self.write_config(config)
            self.env["CLARITY_CONFIG"] = str(self.config_path)
        self.env.update(env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    def write_config(self, config: dict[str, Any]) -> None:
        self.config_path.write_text(yaml.safe_dump(config))

    def start(self, timeout: float = 30.0) -> DaemonProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (the daemon writes to it until stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.main"], env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"clarityd exited {self.proc.returncode}:\n{self.log()}")
            try:
                with Client(self.socket, timeout=5) as c:
                    if c.system.health().status != "starting":  # folders watched, jobs running
                        return self
            except Exception:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"clarityd did not come up:\n{self.log()}")

    def client(self, **kwargs: Any) -> Client:
        return Client(self.socket, **kwargs)

    def send(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # stuck: its log holds every thread's stack (the daemon dumps them)
            self.proc.wait()
            raise AssertionError(f"clarityd did not stop within {timeout:g} s:\n{self.log()}") from None
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cleanup(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def make_daemon(tmp_path: Path) -> Iterator[Any]:
    """Factory: ``make_daemon(database=..., config={...})`` returns a started daemon."""
    made: list[DaemonProcess] = []

    def make(
        database: str | None = None,
        config: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        start: bool = True,
    ) -> DaemonProcess:
        home = tmp_path / f"d{len(made)}"
        home.mkdir(parents=True, exist_ok=True)
        d = DaemonProcess(home, database, config, env)
        made.append(d)
        return d.start() if start else d

    yield make
    failures = []
    for d in made:
        if d.proc is not None and d.proc.poll() is None:  # still running: it must stop cleanly
            rc = d.stop()
            if rc != 0:
                failures.append(f"clarityd exited {rc} on SIGTERM:\n{d.log()}")
        d.cleanup()
    assert not failures, "\n".join(failures)


@pytest.fixture
def daemon(make_daemon: Any) -> DaemonProcess:
    """A daemon on SQLite in a temporary state folder."""
    return make_daemon()


@pytest.fixture
def daemon_on(database_url: str, make_daemon: Any) -> DaemonProcess:
    """A daemon on each backend in turn (SQLite, then PostgreSQL)."""
    # database_url first: set up first, torn down last, so the daemon stops before its schema is dropped.
    return make_daemon(database=database_url)
