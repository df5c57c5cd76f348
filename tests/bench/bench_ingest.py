"""Ingestion from drop to proposal against a real clarityd, beside a baseline measured in the same run.

    .venv/bin/pip install -e '.[bench]'   # sqlite-utils, the outside baseline
    .venv/bin/python tests/bench/bench_ingest.py [--files 10000] [--latency 200] [--workers 2]

Prints:
  * baseline: a plain loop that reads, hashes (sha256) and inserts the same files into
    SQLite (executemany, one transaction) — the floor of work any ingester does;
  * sqlite-utils: ``sqlite-utils insert-files`` of the same folder (path, content, sha256,
    size; the command's start-up included) — a well-known tool that stores files and
    understands none of them;
  * throughput: files/s for N small mixed files (markdown, Python, CSV, text, PNG) written
    into the inbox of a running daemon, from the first write until every file is proposed
    (or applied) in the journal, and the CPU each file cost in clarityd's process and in its
    reading workers (beside sqlite-utils' own), with the rate that cost allows on this machine;
  * latency: drop-to-proposal p50/p99 for single files dropped one at a time into an idle
    daemon, measured from just before the drop to the journal's own commit time of the
    proposal: renamed into place from a temporary name, written in place (close-write),
    and moved in fresh from another folder (no event says it is complete: it waits
    settle_s, here 0.5 s). The first file after a start is reported apart: it starts the
    reading workers (ingest.workers) and waits for them.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(Path(__file__).parent)]

from ingest_helpers import PROSE, small_files  # noqa: E402

from daemon.client import Client  # noqa: E402
from harness import CpuMeter  # noqa: E402

DONE = ("proposed", "applied", "failed", "duplicate", "quarantined")


def baseline(folder: Path, db_path: Path) -> float:
    """files/s: read + sha256 + executemany into SQLite (WAL), one transaction."""
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=wal")
    db.execute("CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER, sha256 TEXT)")
    start = time.perf_counter()
    rows = []
    for entry in os.scandir(folder):
        with open(entry.path, "rb") as f:
            data = f.read()
        rows.append((entry.path, len(data), hashlib.sha256(data).hexdigest()))
    with db:
        db.executemany("INSERT INTO files VALUES (?, ?, ?)", rows)
    elapsed = time.perf_counter() - start
    db.close()
    return len(rows) / elapsed


def sqlite_utils(folder: Path, db_path: Path) -> tuple[float, float]:
    """files/s of ``sqlite-utils insert-files`` of every file in ``folder``, as a user runs it,
    and its CPU seconds per file."""
    command = shutil.which("sqlite-utils", path=os.path.dirname(sys.executable)) or shutil.which("sqlite-utils")
    if command is None:
        raise SystemExit("sqlite-utils is not installed: pip install -e '.[bench]'")
    count = sum(1 for _ in os.scandir(folder))
    columns = ["-c", "path:path", "-c", "content:content", "-c", "sha256:sha256", "-c", "size:size", "--pk", "path"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([command, "insert-files", str(db_path), "files", str(folder), *columns, "-s"], check=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return count / elapsed, cpu / count


def start_daemon(state: str, sock: str, workers: int) -> subprocess.Popen[bytes]:
    config = Path(state) / "clarity.yaml"
    config.write_text(f"ingest:\n  workers: {workers}\n  settle_s: 0.5\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    env.update(CLARITY_SOCKET=sock, CLARITY_STATE_DIR=state, CLARITY_LOG_LEVEL="warning", CLARITY_CONFIG=str(config))
    proc = subprocess.Popen([sys.executable, "-m", "daemon.main"], env=env, cwd=ROOT)
    for _ in range(600):
        try:
            with Client(sock, timeout=2) as c:
                c.system.health()
            return proc
        except Exception:
            time.sleep(0.05)
    raise SystemExit("clarityd did not start")


def stop_daemon(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(60)


def throughput(files: dict[str, bytes], workers: int) -> tuple[float, dict[str, int], CpuMeter]:
    tmp = tempfile.mkdtemp(prefix="cl-bench-", dir="/tmp")
    try:
        sock = os.path.join(tmp, "c.sock")
        proc = start_daemon(tmp, sock, workers)
        inbox = Path(tmp) / "inbox"
        cpu = CpuMeter(proc.pid)
        with Client(sock, timeout=60) as c:
            cpu.start()
            start = time.perf_counter()
            for name, data in files.items():
                (inbox / name).write_bytes(data)
            while True:
                counts = c.ingest.status(limit=1).counts
                if sum(counts[s] for s in DONE) >= len(files):
                    break
                time.sleep(0.1)
            elapsed = time.perf_counter() - start
            cpu.stop()
        stop_daemon(proc)
        return len(files) / elapsed, counts, cpu
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def latency(n: int, workers: int) -> dict[str, list[float]]:
    tmp = tempfile.mkdtemp(prefix="cl-bench-", dir="/tmp")
    out: dict[str, list[float]] = {"atomic rename": [], "write in place": [], "moved in, fresh": []}
    first: list[float] = []  # the first file after a start: it starts the reading workers
    try:
        sock = os.path.join(tmp, "c.sock")
        proc = start_daemon(tmp, sock, workers)
        inbox = Path(tmp) / "inbox"
        staging = Path(tmp) / "staging"
        staging.mkdir()
        with Client(sock, timeout=60) as c:
            for i in range(-1, n):
                how = list(out)[max(i, 0) % 3]
                body = f"# Single {i}\n\n{PROSE}\n".encode()
                target = inbox / f"single-{i}.md"
                if how == "atomic rename":  # written under a temporary name in the inbox, renamed
                    (inbox / f".{target.name}.part").write_bytes(body)
                    dropped = time.time()
                    os.rename(inbox / f".{target.name}.part", target)
                elif how == "write in place":  # close-write tells that it is complete
                    dropped = time.time()
                    target.write_bytes(body)
                else:  # written just now elsewhere, moved in: nothing tells, it must settle
                    (staging / target.name).write_bytes(body)
                    dropped = time.time()
                    os.rename(staging / target.name, target)
                while True:
                    try:
                        record = c.ingest.status(path=str(target)).file
                    except Exception:
                        record = None
                    if record is not None and record.state in DONE:
                        break
                    time.sleep(0.002)
                committed = datetime.fromisoformat(record.updated_at).timestamp()
                (first if i < 0 else out[how]).append((committed - dropped) * 1000)
        stop_daemon(proc)
        return {**out, "first after start": first}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--latency", type=int, default=200, help="single files dropped one at a time")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {args.files} files, workers={args.workers}")
    files = small_files(args.files, seed=7)
    tmp = tempfile.mkdtemp(prefix="cl-bench-base-", dir="/tmp")
    try:
        folder = Path(tmp) / "files"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        base = baseline(folder, Path(tmp) / "baseline.db")
        tool, tool_cpu = sqlite_utils(folder, Path(tmp) / "sqlite-utils.db")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rate, counts, cpu = throughput(files, args.workers)
    print(f"baseline  read+sha256+insert into SQLite: {base:10.0f} files/s")
    print(f"sqlite-utils insert-files:                {tool:10.0f} files/s   CPU per file {tool_cpu * 1e6:,.0f} µs")
    print(
        f"clarityd  drop -> proposal:               {rate:10.0f} files/s  "
        f"({rate / tool:.0%} of sqlite-utils, {rate / base:.1%} of baseline)  {counts}"
    )
    print(f"          {cpu.per(len(files))}")
    lat = latency(args.latency, args.workers)
    for how, values in lat.items():
        print(
            f"latency   single file, {how:17}: p50 {statistics.median(values):6.1f} ms   "
            f"p99 {pct(values, 99):6.1f} ms   (n={len(values)})"
        )


if __name__ == "__main__":
    main()
