"""Full-text search and streaming export on a million-row table, beside a LIKE scan of the same
table in the same run.

    .venv/bin/python tests/bench/bench_search.py [--rows 1000000] [--database postgresql://…]

Seeds ``documents`` straight into the database before clarityd starts (so the daemon indexes
the rows in the background at start, as after an upgrade or a restore), then prints:
the time to index them; query.search latency for a word in one row (hit) and for a word in
none (miss), beside the LIKE scan the old search did over the same table's text columns; the
rows/s of a streaming export (``rows.export`` with stream) and the daemon's resident memory
before and at its peak during the export, beside a one-reply export of 100,000 rows.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from harness import start_daemon  # noqa: E402

from daemon.catalog import load_catalog  # noqa: E402
from daemon.client import Client  # noqa: E402
from daemon.client_export import ExportStream  # noqa: E402
from daemon.storage import Store, open_database  # noqa: E402
from daemon.storage.fulltext import text_columns  # noqa: E402

HIT, MISS = "xylophonic", "quuxwobble"


def seed(url: str, n: int) -> None:
    """n documents of plausible text; the word HIT in exactly one of them."""
    store = Store(open_database(url), load_catalog(ROOT / "schemas"))
    store.create_tables()
    model = store.models["documents"]
    rng = random.Random(7)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    texts = [" ".join(rng.choices(vocab, k=12)) for _ in range(9973)]  # a prime: rows differ from their neighbours
    batch = 20_000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            words = texts[i % len(texts)]
            if i == n // 2:
                words += " " + HIT
            rows.append(
                {
                    "title": f"Report {i}",
                    "summary": words,
                    "author": vocab[i % len(vocab)],
                    "path": f"/srv/inbox/{i % 100}/report-{i}.md",
                    "source": "bench",
                }
            )
        store.write_sync(lambda r=rows: model.insert_many(r).execute())
    store.close()


def like_scan(url: str, word: str) -> float:
    """Seconds for the old search over documents: LOWER(col) LIKE %word% on every text column."""
    store = Store(open_database(url), load_catalog(ROOT / "schemas"))
    spec = store.catalog["documents"]
    marker = "%s" if store.backend == "postgresql" else "?"
    cols = text_columns(spec)
    where = " OR ".join(f'LOWER("{c}") LIKE {marker}' for c in cols)
    sql = f'SELECT id FROM "{spec.db_table}" WHERE {where} ORDER BY updated_at DESC LIMIT 50'
    store.db.connect()
    started = time.perf_counter()
    store.db.execute_sql(sql, [f"%{word}%"] * len(cols)).fetchall()
    took = time.perf_counter() - started
    store.db.close()
    return took


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


class PeakRss:
    """The highest resident memory of ``pid`` while the block runs (sampled every 20 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def __enter__(self) -> PeakRss:
        self.before = rss_kb(self.pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="clbench-", dir="/tmp")
    url = args.database or f"sqlite:///{tmp}/clarity.db"
    try:
        started = time.perf_counter()
        seed(url, args.rows)
        print(f"seeded {args.rows:,} documents in {time.perf_counter() - started:.1f} s")
        proc, sock = start_daemon(tmp, url)
        try:
            with Client(sock, timeout=600) as c:
                started = time.perf_counter()
                while (h := c.system.health().search_index) is None or h.state != "ready":
                    time.sleep(0.2)
                took = time.perf_counter() - started
                print(f"indexed at start in {took:.1f} s ({args.rows / took:,.0f} rows/s, in the background)")

                for label, word in (("hit", HIT), ("miss", MISS)):
                    docs = timed(lambda w=word: c.query.search(text=w, tables=["documents"]), 20)
                    every = timed(lambda w=word: c.query.search(text=w), 20)
                    found = len(c.query.search(text=word, tables=["documents"]))
                    scan = [like_scan(url, word) * 1000 for _ in range(3)]
                    print(
                        f"search {label:4} ({found} found): documents p50 {statistics.median(docs):6.1f} ms, "
                        f"all 33 tables p50 {statistics.median(every):6.1f} ms | "
                        f"LIKE scan of documents p50 {statistics.median(scan):7.1f} ms"
                    )

                with PeakRss(proc.pid) as mem:
                    started = time.perf_counter()
                    export = ExportStream.start(c, table="documents", format="jsonl", timeout=600)
                    size = sum(len(piece) for piece in export)
                    took = time.perf_counter() - started
                print(
                    f"streaming export: {export.rows:,} rows ({size / 1e6:,.0f} MB jsonl) in {took:.1f} s = "
                    f"{export.rows / took:,.0f} rows/s; daemon RSS {mem.before / 1024:.0f} MB before, "
                    f"peak {mem.peak / 1024:.0f} MB"
                )
                with PeakRss(proc.pid) as mem:
                    started = time.perf_counter()
                    one = c.rows.export(table="documents", format="jsonl", limit=100_000)
                    took = time.perf_counter() - started
                print(
                    f"one-reply export (baseline): {one.rows:,} rows in {took:.1f} s = "
                    f"{one.rows / took:,.0f} rows/s; "
                    f"daemon RSS {mem.before / 1024:.0f} MB before, peak {mem.peak / 1024:.0f} MB"
                )
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.environ.pop("CLARITY_DATABASE", None)


if __name__ == "__main__":
    main()
