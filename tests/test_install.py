"""A plain (non-editable) install works: the wheel carries the schemas, and the clarityd it
installs starts from an empty folder, far from this checkout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

from daemon import __version__
from daemon.client import Client, ConnectionLost

from conftest import ROOT, short_tempdir


def _run(*cmd: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{cmd}: {r.stdout}\n{r.stderr}"
    return r.stdout


def test_wheel_installs_and_starts_from_an_empty_folder(tmp_path):
    # Build from a copy: a build writes build/ and *.egg-info next to the sources.
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", "tests", ".pytest_cache"),
    )
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", src)
    (wheel,) = (tmp_path / "dist").glob("clarity-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "daemon/schemas/documents.yaml" in names and "daemon/schemas/policy.yaml" in names
    assert "console/console.tcss" in names

    # A fresh venv with the wheel alone; its dependencies are lent by this venv (a .pth line
    # after the venv's own site-packages), so the test downloads nothing and stays quick.
    metadata = zipfile.ZipFile(wheel).read(f"clarity-{__version__}.dist-info/METADATA").decode()
    assert "Requires-Dist: msgspec" in metadata and "Requires-Dist: peewee" in metadata
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q", "--no-deps", wheel)

    empty = tmp_path / "empty"
    empty.mkdir()
    sock_dir = short_tempdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLARITY_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(empty), CLARITY_SOCKET=os.path.join(sock_dir, "clarity.sock"))
    assert _run(venv / "bin" / "clarityd", "--version", cwd=empty, env=env).strip() == f"clarityd {__version__}"
    check = _run(venv / "bin" / "clarityd", "--check", cwd=empty, env=env)
    assert str(venv) in check and "33 tables" in check  # the installed schemas, not this checkout's

    proc = subprocess.Popen(
        [venv / "bin" / "clarityd"], cwd=empty, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                with Client(env["CLARITY_SOCKET"], timeout=5) as c:
                    health = c.system.health()
                if health.status != "starting":  # answering, not yet watching its folders
                    break
            except ConnectionLost:
                pass
            assert time.monotonic() < deadline, "clarityd did not come up"
            time.sleep(0.1)
        assert health.status == "ok"
        # The default state folder is under the (empty) home: nothing was written to the checkout.
        assert (empty / ".local" / "state" / "clarity" / "clarity.db").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        shutil.rmtree(sock_dir, ignore_errors=True)
