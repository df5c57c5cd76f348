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


class CpuMeter:
    """CPU seconds clarityd spent, its process's own and its children's (reading workers, PDF
    children), read from /proc between :meth:`start` and :meth:`stop`, and the benchmark's own
    (``client``: it drives the daemon from this process): what a figure cost, and the ceiling
    that cost puts on it with every core of the machine busy."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int, client: bool = False) -> None:
        self.pid, self.client = pid, client
        self.own = self.children = self.mine = 0.0

    @staticmethod
    def _fields(pid: int | str) -> list[str] | None:
        """/proc/<pid>/stat after the command's name: state, ppid, ... utime (11), stime, cutime, cstime."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rpartition(")")[2].split()
        except OSError:
            return None

    def _read(self) -> tuple[float, float, float]:
        fields = self._fields(self.pid)
        if fields is None:
            return 0.0, 0.0, 0.0
        own = (int(fields[11]) + int(fields[12])) / self.TICK
        children = (int(fields[13]) + int(fields[14])) / self.TICK  # those that ended and were waited for
        for entry in os.scandir("/proc"):
            child = self._fields(entry.name) if entry.name.isdigit() else None
            if child is not None and child[1] == str(self.pid):
                children += sum(int(x) for x in child[11:15]) / self.TICK
        return own, children, time.process_time() if self.client else 0.0

    def start(self) -> None:
        self._start, self._started = self._read(), time.perf_counter()

    def stop(self) -> None:
        own, children, mine = self._read()
        self.own, self.children, self.mine = own - self._start[0], children - self._start[1], mine - self._start[2]
        self.elapsed = time.perf_counter() - self._started

    def per(self, n: int, unit: str = "file", name: str = "clarityd") -> str:
        cores = os.cpu_count() or 1
        total = self.own + self.children + self.mine
        workers = f", {self.children / n * 1e6:,.0f} µs in its workers" if self.children else ""
        client = f", {self.mine / n * 1e6:,.0f} µs in the benchmark's client" if self.client else ""
        return (
            f"CPU per {unit}: {self.own / n * 1e6:,.0f} µs in {name}'s process (it kept "
            f"{self.own / self.elapsed:.2f} cores busy){workers}{client}; "
            f"at that cost {cores} busy cores allow at most {n * cores / total:,.0f} {unit}s/s"
        )
