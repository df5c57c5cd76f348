"""clarityd as the systemd unit runs it: its environment, its umask, no configuration file,
operators of the `clarity` group dropping files into the inbox; the example configuration;
`clarity status`."""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import msgspec
import pytest
import yaml

from daemon.client import Client
from daemon.config import Config, load_config
from daemon.protocol import ErrorCode, RpcError

from conftest import ROOT
from ingest_helpers import PROSE, wait_until

UNIT = ROOT / "systemd" / "clarityd.service"
EXAMPLE = ROOT / "systemd" / "clarity.yaml.example"
GROUP, OPERATOR = "clarity", "clarity-op"


def _unit_setting(name: str) -> str:
    (line,) = [ln for ln in UNIT.read_text().splitlines() if ln.startswith(f"{name}=")]
    return line.split("=", 1)[1]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_unit_verifies_with_its_real_execstart(tmp_path):
    """verify insists that ExecStart exists: the path the unit names is put in place (a
    symlink to this checkout's clarityd) when it is not there, and removed afterwards."""
    exec_start = Path(_unit_setting("ExecStart"))
    made: list[Path] = []
    if not exec_start.exists():
        if os.geteuid() != 0:
            pytest.skip(f"{exec_start} is missing and only root may create it")
        missing = [p for p in [exec_start, *exec_start.parents] if not p.exists()]
        made = list(reversed(missing))  # outermost first
        exec_start.parent.mkdir(parents=True, exist_ok=True)
        exec_start.symlink_to(ROOT / ".venv" / "bin" / "clarityd")
    try:
        r = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True, timeout=60)
    finally:
        for path in reversed(made):
            path.unlink() if path.is_symlink() else path.rmdir()
    assert r.returncode == 0, r.stderr
    ours = [line for line in r.stderr.splitlines() if "clarityd.service" in line]
    assert ours == [], ours


def test_example_configuration_names_every_setting_and_is_valid(tmp_path):
    """Uncommenting every `#key:` line of the example gives a valid configuration that sets
    every setting there is (top level and one level down)."""
    # Prose is "# words"; a setting is "#key:" or, nested, "#  key:".
    text = "\n".join(
        line[1:] if line.startswith("#") and not re.match(r"#( \S|$)", line) else line
        for line in EXAMPLE.read_text().splitlines()
    )
    raw = yaml.safe_load(text)
    (tmp_path / "clarity.yaml").write_text(text)
    load_config({"CLARITY_CONFIG": str(tmp_path / "clarity.yaml"), "STATE_DIRECTORY": str(tmp_path)})  # valid
    missing = [f for f in Config.__struct_fields__ if f not in raw]
    for name in Config.__struct_fields__:
        default = getattr(Config(), name)
        if isinstance(default, msgspec.Struct):
            missing += [f"{name}.{f}" for f in default.__struct_fields__ if f not in (raw.get(name) or {})]
    assert missing == []


def test_a_missing_configuration_file_means_the_defaults(tmp_path):
    config = load_config({"CLARITY_CONFIG": str(tmp_path / "absent.yaml"), "STATE_DIRECTORY": str(tmp_path)})
    assert config.state_dir == str(tmp_path) and config.watch == [str(tmp_path / "inbox")]


def _ensure_accounts() -> None:
    """The `clarity` group, and an operator whose primary group is another one."""
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        subprocess.run(["groupadd", "--system", GROUP], check=True)
    try:
        pwd.getpwnam(OPERATOR)
    except KeyError:
        subprocess.run(
            ["useradd", "--no-create-home", "--user-group", "--groups", GROUP, "--shell", "/bin/sh", OPERATOR],
            check=True,
        )
    assert OPERATOR in grp.getgrnam(GROUP).gr_mem


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None, reason="needs root and useradd")
def test_under_the_units_environment_the_clarity_group_drops_files_into_the_inbox():
    _ensure_accounts()
    gid = grp.getgrnam(GROUP).gr_gid
    base = Path(tempfile.mkdtemp(prefix="cl-unit-", dir="/tmp"))
    try:
        base.chmod(0o755)
        # As systemd prepares them: StateDirectoryMode=0750, RuntimeDirectoryMode=0750, group clarity.
        state, runtime = base / "state", base / "run"
        for d, mode in ((state, _unit_setting("StateDirectoryMode")), (runtime, _unit_setting("RuntimeDirectoryMode"))):
            d.mkdir()
            os.chown(d, 0, gid)
            d.chmod(int(mode, 8))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
        env.update(
            STATE_DIRECTORY=str(state),
            RUNTIME_DIRECTORY=str(runtime),
            PYTHONUNBUFFERED="1",
            CLARITY_CONFIG=_unit_setting("Environment").split("=", 1)[1].replace("/etc/clarity", str(base)),
        )
        assert not os.path.exists(env["CLARITY_CONFIG"])
        umask = int(_unit_setting("UMask"), 8)
        log_path = base / "clarityd.log"
        with open(log_path, "wb") as log:
            # The daemon runs in the clarity group (root here: the venv's python lives under /root).
            daemon = subprocess.Popen(
                [sys.executable, "-m", "daemon.main"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                group=GROUP,
                extra_groups=[],
                umask=umask,
            )
            try:
                socket = str(runtime / "clarity.sock")
                wait_until(
                    lambda: os.path.exists(socket) and Client(socket, timeout=5).call_raw("system.health", {}),
                    timeout=30,
                )
                inbox = state / "inbox"
                mode = inbox.stat().st_mode
                assert mode & stat.S_ISGID and mode & stat.S_IWGRP, oct(mode)
                assert inbox.stat().st_gid == gid

                # An operator of the clarity group, with a primary group of their own, drops a file.
                drop = subprocess.run(
                    ["/bin/sh", "-c", f"umask 022; cat > {inbox}/minutes.md"],
                    input=PROSE.encode(),
                    user=OPERATOR,
                    group=OPERATOR,
                    extra_groups=[GROUP],
                    capture_output=True,
                    timeout=30,
                )
                assert drop.returncode == 0, drop.stderr
                dropped = inbox / "minutes.md"
                assert dropped.stat().st_gid == gid  # setgid: the file is the clarity group's
                with Client(socket) as c:

                    def ingested() -> object:
                        try:
                            record = c.ingest.status(path=str(dropped)).file
                        except RpcError as e:  # not seen yet
                            assert e.code == ErrorCode.NOT_FOUND
                            return None
                        return record if record and record.state in ("applied", "proposed") else None

                    assert wait_until(ingested, timeout=30).proposal_id is not None

                status = subprocess.run(
                    [sys.executable, "-m", "console.cli", "--socket", socket, "status", "--json"],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                assert status.returncode == 0, status.stderr
                summary = json.loads(status.stdout)
                assert summary["running"] and summary["database"]["ok"] and summary["files"]["total"] == 1
                assert [f["path"] for f in summary["folders"]] == [str(inbox)]
                text = subprocess.run(
                    [sys.executable, "-m", "console.cli", "--socket", socket, "status"],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                assert text.returncode == 0 and str(inbox) in text.stdout
            finally:
                daemon.terminate()
                assert daemon.wait(30) == 0, log_path.read_text()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_status_says_when_the_daemon_is_not_running(tmp_path):
    socket = str(tmp_path / "none.sock")
    r = subprocess.run(
        [sys.executable, "-m", "console.cli", "--socket", socket, "status", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 3 and json.loads(r.stdout)["running"] is False
