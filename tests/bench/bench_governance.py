"""Governance costs against a real clarityd, beside a system.health round trip (baseline)
measured in the same run, on SQLite and (with --pg URL) PostgreSQL.

    .venv/bin/python tests/bench/bench_governance.py [--n N] [--pg postgresql://...]

Per call, sequential on one connection: an auto-approved insert (proposal, row, audit row,
three events, one transaction), a pending insert, and an approval of a pending one. Not a
test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]
sys.path.insert(0, str(Path(__file__).parent))

from harness import start_daemon  # noqa: E402

from daemon.client import Client  # noqa: E402


def timed(n: int, fn: Callable[[int], Any]) -> str:
    lat = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        lat.append(time.perf_counter() - t)
    lat.sort()
    return (
        f"p50 {statistics.median(lat) * 1e3:6.2f} ms  p99 {lat[int(len(lat) * 0.99) - 1] * 1e3:6.2f} ms  "
        f"{n / sum(lat):8.0f}/s"
    )


def run(label: str, database: str | None, n: int) -> None:
    tmp = tempfile.mkdtemp(prefix="cl-bench-", dir="/tmp")
    proc, sock = start_daemon(tmp, database)
    try:
        with Client(sock) as c:
            pending = []
            print(f"[{label}]")
            print("  system.health (baseline)      ", timed(n, lambda i: c.system.health()))
            print(
                "  proposals.create, auto-applied",
                timed(
                    n,
                    lambda i: c.proposals.create(
                        table="documents", fields={"title": f"doc {i}", "word_count": i}, confidence=0.95
                    ),
                ),
            )
            print(
                "  proposals.create, pending     ",
                timed(
                    n,
                    lambda i: pending.append(
                        c.proposals.create(table="documents", fields={"title": f"doc {i}"}, confidence=0.5).id
                    ),
                ),
            )
            print("  proposals.approve             ", timed(n, lambda i: c.proposals.approve(id=pending[i])))
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--pg", help="a PostgreSQL URL; a fresh schema is made in it and dropped")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, n={args.n}")
    run("sqlite", None, args.n)
    if args.pg:
        import psycopg2

        schema = "bench_" + uuid.uuid4().hex[:10]
        admin = psycopg2.connect(args.pg)
        admin.autocommit = True
        admin.cursor().execute(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in args.pg else "?"
            run("postgresql", f"{args.pg}{sep}options=-csearch_path%3D{schema}", args.n)
        finally:
            admin.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
            admin.close()


if __name__ == "__main__":
    main()
