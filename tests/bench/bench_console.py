"""The console over a table of a million rows, driven through Pilot against a real clarityd.

    .venv/bin/python tests/bench/bench_console.py [--rows 1000000]

The rows are written straight into the SQLite file with executemany (the daemon started once
first, to create its tables, then again on the filled file). Measured, for the big table and
for a table of 1,000 rows in the same run (the baseline): time from choosing the table to its
first page on screen, time per page while scrolling down with PageDown (each page fetched
when the cursor nears the end of what is loaded), and the console's memory (Python heap
allocated by the console, tracemalloc, and the process's peak RSS). Not a test: it asserts
only that the big table is never loaded whole.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]
sys.path.insert(0, str(Path(__file__).parent))

from harness import start_daemon  # noqa: E402

from console.app import make_app  # noqa: E402
from console.screens.tables import PAGE_SIZE, TablesScreen  # noqa: E402
from console.widgets.paged_table import PagedTable  # noqa: E402

BIG, SMALL = "feedback", "incidents"
PAGES = 20  # pages scrolled through in the big table (all 10 of the small one)


def fill(db: Path, table: str, n: int) -> float:
    """``n`` rows into memory_<table> with executemany; returns rows per second."""
    conn = sqlite3.connect(db)
    columns = {r[1]: r for r in conn.execute(f'PRAGMA table_info("memory_{table}")')}
    now = datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    values = {"created_at": now, "updated_at": now, "source": "bench", "trust_score": 1.0, "version": 1}
    text_cols = [name for name, r in columns.items() if name not in values and name != "id"
                 and r[2].upper().startswith(("VARCHAR", "TEXT"))][:3]
    names = [*values, *text_cols]
    sql = f'INSERT INTO "memory_{table}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    started = time.perf_counter()
    with conn:
        batch = 50_000
        for start in range(0, n, batch):
            conn.executemany(sql, ([*values.values(), *(f"{c} {i}" for c in text_cols)]
                                   for i in range(start, min(n, start + batch))))
    conn.close()
    return n / (time.perf_counter() - started)


async def drive(sock: str, table: str, pages: int) -> dict[str, float]:
    app = make_app(socket_path=sock)
    tracemalloc.start()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, TablesScreen)
        while screen.query_one("#table-list").option_count == 0:
            await pilot.pause(0.01)
        rows = screen.query_one("#rows", PagedTable)
        base_mem = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        screen.choose_table(table)
        while not (screen.table == table and rows.row_count >= PAGE_SIZE and screen.total is not None):
            await pilot.pause(0.002)
        first_page = time.perf_counter() - started
        per_page = []
        for page in range(2, pages + 1):
            started = time.perf_counter()
            while rows.row_count < page * PAGE_SIZE:
                await pilot.press("pagedown")
            per_page.append(time.perf_counter() - started)
        loaded = rows.row_count
        current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"first_page_ms": first_page * 1e3, "page_p50_ms": statistics.median(per_page) * 1e3,
            "page_max_ms": max(per_page) * 1e3, "loaded": loaded, "heap_mb": (current - base_mem) / 2**20,
            "heap_peak_mb": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cl-bench-")
    try:
        proc, sock = start_daemon(tmp)
        proc.terminate()
        proc.wait()
        db = Path(tmp) / "clarity.db"
        rate = fill(db, BIG, args.rows)
        fill(db, SMALL, 1000)
        print(f"filled memory_{BIG} with {args.rows:,} rows ({rate:,.0f} rows/s, executemany)")
        proc, sock = start_daemon(tmp)
        try:
            for label, table, pages in ((f"{SMALL} (1,000 rows, baseline)", SMALL, 1000 // PAGE_SIZE),
                                        (f"{BIG} ({args.rows:,} rows)", BIG, PAGES)):
                r = asyncio.run(drive(sock, table, pages))
                print(f"{label:<32} first page {r['first_page_ms']:7.1f} ms · per page p50 {r['page_p50_ms']:6.1f} ms"
                      f" max {r['page_max_ms']:6.1f} ms · {r['loaded']:,.0f} rows loaded · console heap "
                      f"+{r['heap_mb']:.1f} MB (peak {r['heap_peak_mb']:.1f} MB)")
                if table == BIG:
                    assert r["loaded"] <= PAGES * PAGE_SIZE + PAGE_SIZE, "the big table was loaded whole"
        finally:
            proc.terminate()
            proc.wait()
        print(f"console process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
