"""Starting a real clarityd for a benchmark: one place for what every bench needs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]

from daemon.client import Client  # noqa: E402


def start_daemon(tmp: str, database: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """clarityd with its state and socket in ``tmp``, logging warnings only; (process, socket)."""
    sock = os.path.join(tmp, "c.sock")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    env.update(CLARITY_SOCKET=sock, CLARITY_STATE_DIR=tmp, CLARITY_LOG_LEVEL="warning")
    if database:
        env["CLARITY_DATABASE"] = database
    proc = subprocess.Popen([sys.executable, "-m", "daemon.main"], env=env, cwd=ROOT)
    for _ in range(300):
        try:
            with Client(sock, timeout=2) as c:
                c.system.health()
            return proc, sock
        except Exception:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("clarityd did not start")
