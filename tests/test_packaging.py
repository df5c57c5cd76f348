"""Import hygiene and the README's method table (the systemd unit: test_systemd.py)."""

from __future__ import annotations

import subprocess
import sys

from daemon.protocol import METHODS
from daemon.protocol.reference import BEGIN, END, method_table

from conftest import ROOT


def test_client_imports_without_the_daemon():
    code = (
        "import sys, daemon.client; "
        "heavy = [m for m in ('peewee', 'watchdog', 'textual', 'apscheduler', 'pypdf', 'yaml', 'daemon.service',"
        " 'daemon.storage', 'console') if m in sys.modules]; print(heavy)"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_daemon_never_imports_console():
    offenders = [
        p
        for p in (ROOT / "daemon").rglob("*.py")
        if "from console" in p.read_text() or "import console" in p.read_text() or "textual" in p.read_text()
    ]
    assert offenders == []


def test_every_method_has_a_handler():
    from daemon import handlers  # noqa: F401
    from daemon.rpc.router import HANDLERS

    assert set(METHODS) == set(HANDLERS)
    assert all((HANDLERS[m].__doc__ or "").strip() for m in METHODS), "every handler needs its help"


def test_readme_method_table_matches_the_registry():
    readme = (ROOT / "README.md").read_text()
    block = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert block == method_table(), "run: python -m daemon.protocol.reference --update README.md"


def test_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    fence = lines.index("```sh")
    assert lines[fence + 1].endswith(".venv/bin/clarityd")
    assert lines[fence + 2].endswith(".venv/bin/pytest -q")
    assert lines[fence + 2] in (ROOT / ".ci" / "run").read_text()
