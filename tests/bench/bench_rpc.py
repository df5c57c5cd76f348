"""RPC round trips against a real clarityd, beside a bare echo server measured in the same run.

    .venv/bin/python tests/bench/bench_rpc.py [--seq N] [--clients C] [--per-client M]

Prints calls/s and p50/p99 latency for system.health and rows.list (50 rows of 2,000),
sequential on one connection and with C concurrent clients. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]
sys.path.insert(0, str(Path(__file__).parent))

from harness import start_daemon  # noqa: E402

from echo_baseline import measure, with_echo  # noqa: E402

from daemon.catalog import load_catalog  # noqa: E402
from daemon.storage import Store, open_database  # noqa: E402


def seed(url: str, n: int) -> None:
    store = Store(open_database(url), load_catalog(ROOT / "schemas"))
    store.create_tables()
    model = store.models["incidents"]
    rows = [{"title": f"Incident {i}", "severity": "high" if i % 2 else "low", "source": "bench"} for i in range(n)]
    store.write_sync(lambda: model.insert_many(rows).execute())
    store.close()


async def main(args: argparse.Namespace) -> None:
    health = b'{"jsonrpc":"2.0","method":"system.health","id":1}\n'
    rows = b'{"jsonrpc":"2.0","method":"rows.list","params":{"table":"incidents","limit":50},"id":1}\n'
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; seq={args.seq}, "
        f"{args.clients} clients x {args.per_client}"
    )
    await with_echo(
        lambda path: measure(
            "echo baseline (bare asyncio+msgspec)", path, health, args.seq, args.clients, args.per_client
        )
    )
    tmp = tempfile.mkdtemp(prefix="bench-rpc-", dir="/tmp")
    seed(f"sqlite:///{tmp}/clarity.db", 2000)
    proc, sock = start_daemon(tmp)
    try:
        await measure("clarityd system.health", sock, health, args.seq, args.clients, args.per_client)
        await measure(
            "clarityd rows.list (50 of 2,000 rows)",
            sock,
            rows,
            args.seq // 2,
            args.clients,
            max(1, args.per_client // 2),
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seq", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=200)
    asyncio.run(main(parser.parse_args()))
