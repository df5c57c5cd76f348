"""`clarity rpc` as a user types it."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def clarity(daemon, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"CLARITY_SOCKET": daemon.socket, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_rpc_tables_list(daemon):
    r = clarity(daemon, "rpc", "tables.list", "{}")
    assert r.returncode == 0, r.stderr
    tables = json.loads(r.stdout)
    assert len(tables) == 33 and all("row_count" in t for t in tables)


def test_rpc_without_params(daemon):
    r = clarity(daemon, "rpc", "system.health")
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "ok"


def test_rpc_error_exits_nonzero_with_message(daemon):
    r = clarity(daemon, "rpc", "rows.get", '{"table": "nope", "id": 1}')
    assert r.returncode == 1 and "nope" in r.stderr and r.stdout == ""
    r = clarity(daemon, "rpc", "tables.list", "{not json")
    assert r.returncode == 2 and "JSON" in r.stderr


def test_rpc_socket_option(daemon):
    env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": "/nonexistent"}
    r = subprocess.run(
        [sys.executable, "-m", "console.cli", "--socket", daemon.socket, "rpc", "system.health"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr


def test_no_daemon_is_a_clear_error(tmp_path):
    env = {"CLARITY_SOCKET": str(tmp_path / "x.sock"), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-m", "console.cli", "rpc", "system.health"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 69 and "cannot connect" in r.stderr  # EX_UNAVAILABLE, as DESIGN.md says
