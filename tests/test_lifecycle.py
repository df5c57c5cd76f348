"""Start, stop, reload and failure modes of the real clarityd process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon.protocol import ErrorCode, RpcError

from conftest import ROOT
from wire import RawConnection


def test_sigterm_drains_and_exits_cleanly(daemon):
    with RawConnection(daemon.socket) as conn:
        conn.send("".join(f'{{"jsonrpc":"2.0","method":"tables.list","id":{i}}}\n' for i in range(50)))
        first = conn.recv()
        daemon.send(signal.SIGTERM)
        answers = [first]
        while (line := conn.line()) is not None:
            answers.append(__import__("json").loads(line))
    assert all("result" in a for a in answers)  # nothing half-written or failed
    assert len({a["id"] for a in answers}) == len(answers)
    assert daemon.proc.wait(30) == 0
    assert not os.path.exists(daemon.socket)
    assert "stopped" in daemon.log()


def test_sighup_reloads_limits(make_daemon):
    daemon = make_daemon(config={"limits": {"max_message_bytes": 1_000_000}})
    msg = '{"jsonrpc":"2.0","method":"system.health","id":1,"params":{}}' + " " * 2000
    with RawConnection(daemon.socket) as conn:
        assert conn.call(msg)["result"]["status"] == "ok"
    daemon.write_config({"limits": {"max_message_bytes": 1000}})
    daemon.send(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while "configuration reloaded" not in daemon.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    with RawConnection(daemon.socket) as conn:
        assert conn.call(msg)["error"]["code"] == ErrorCode.TOO_LARGE


def test_bad_config_on_reload_keeps_the_old_one(make_daemon):
    daemon = make_daemon(config={})
    daemon.config_path.write_text("limits: {max_connections: many}\n")
    with daemon.client() as c:
        with pytest.raises(RpcError) as e:
            c.system.reload()
        assert e.value.code == ErrorCode.INVALID_STATE
        assert c.system.health().status == "ok"
    daemon.send(signal.SIGHUP)  # the same by signal: logged, and the daemon goes on
    with daemon.client() as c:
        assert c.system.health().status == "ok"


def test_sd_notify_ready_reloading_stopping(make_daemon, tmp_path):
    path = f"/tmp/cl-notify-{os.getpid()}.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(20)
    try:
        daemon = make_daemon(env={"NOTIFY_SOCKET": path})
        assert b"READY=1" in listener.recv(4096)
        daemon.send(signal.SIGHUP)
        assert b"RELOADING=1" in listener.recv(4096)
        assert b"READY=1" in listener.recv(4096)
        daemon.send(signal.SIGTERM)
        assert b"STOPPING=1" in listener.recv(4096)
        assert daemon.proc.wait(30) == 0
    finally:
        listener.close()
        os.unlink(path)


def test_stale_socket_is_replaced_and_live_one_refused(make_daemon, tmp_path):
    first = make_daemon()
    r = run_clarityd({"CLARITY_SOCKET": first.socket, "CLARITY_STATE_DIR": str(tmp_path / "other")})
    assert r.returncode == 1 and "another clarityd" in r.stderr
    with first.client() as c:  # the live one is untouched
        assert c.system.health().status == "ok"
    first.kill()  # leaves a stale socket file behind
    assert os.path.exists(first.socket)
    third = make_daemon(start=False)
    third.env["CLARITY_SOCKET"] = third.socket = first.socket
    third.start()
    with third.client() as c:
        assert c.system.health().status == "ok"


def run_clarityd(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "daemon.main", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_bad_config_file_exits_78_naming_the_field(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("limits:\n  max_connections: lots\n")
    r = run_clarityd({"CLARITY_CONFIG": str(cfg), "CLARITY_STATE_DIR": str(tmp_path)})
    assert r.returncode == 78
    assert "c.yaml" in r.stderr and "max_connections" in r.stderr


def test_broken_schema_exits_78_naming_file_and_field(tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    media = schemas / "media.yaml"
    media.write_text(media.read_text().replace("type: integer", "type: number", 1))
    env = {
        "CLARITY_SCHEMAS": str(schemas),
        "CLARITY_STATE_DIR": str(tmp_path / "s"),
        "CLARITY_SOCKET": f"/tmp/cl-bad-{os.getpid()}.sock",
    }
    r = run_clarityd(env)
    assert r.returncode == 78
    assert "media.yaml" in r.stderr and "fields[" in r.stderr and "type" in r.stderr
    assert run_clarityd(env, "--check").returncode == 78


def test_check_passes_on_the_real_schemas(tmp_path):
    r = run_clarityd({"CLARITY_STATE_DIR": str(tmp_path)}, "--check")
    assert r.returncode == 0, r.stderr
    assert "33 tables" in r.stdout


def test_starts_with_only_environment(make_daemon, tmp_path):
    # Nothing but the documented variables: the state folder, database and inbox appear.
    daemon = make_daemon()
    assert (Path(daemon.state_dir) / "clarity.db").exists()
    assert (Path(daemon.state_dir) / "inbox").is_dir()
