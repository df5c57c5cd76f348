"""The console over a table of a million rows, driven through Pilot against a real clarityd.

    .venv/bin/python tests/bench/bench_console.py [--rows 1000000]

The rows are written straight into the SQLite file with executemany (the daemon started once
first, to create its tables, then again on the filled file). Measured, for the big table and
for a table of 1,000 rows in the same run (the baseline): time from choosing the table to its
first page on screen, time per page while scrolling down (from the cursor reaching the last
row loaded to the next page on screen), one PageUp as Pilot sees it (it waits for the scroll
animation), and the console's memory (Python heap
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
from typing import Any

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
    text_cols = [
        name
        for name, r in columns.items()
        if name not in values and name != "id" and r[2].upper().startswith(("VARCHAR", "TEXT"))
    ][:3]
    names = [*values, *text_cols]
    sql = f'INSERT INTO "memory_{table}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    started = time.perf_counter()
    with conn:
        batch = 50_000
        for start in range(0, n, batch):
            conn.executemany(
                sql, ([*values.values(), *(f"{c} {i}" for c in text_cols)] for i in range(start, min(n, start + batch)))
            )
    conn.close()
    return n / (time.perf_counter() - started)


async def drive(sock: str, table: str, pages: int) -> dict[str, float]:
    """Open ``table`` and go down ``pages`` pages; times are taken when a page is on screen
    (the screen's RowsLoaded handler has put it in the table), not when Pilot polls."""
    shown: list[float] = []
    handler = TablesScreen.on_rows_loaded

    def stamped(self: TablesScreen, message: Any) -> None:
        handler(self, message)
        shown.append(time.perf_counter())

    TablesScreen.on_rows_loaded = stamped  # type: ignore[method-assign]
    app = make_app(socket_path=sock)
    tracemalloc.start()
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.press("3")
            screen = app.screen
            assert isinstance(screen, TablesScreen)
            while screen.query_one("#table-list").option_count == 0:
                await pilot.pause(0.01)
            rows = screen.query_one("#rows", PagedTable)
            rows.focus()
            await pilot.pause(0.2)
            base_mem = tracemalloc.get_traced_memory()[0]
            shown.clear()
            started = time.perf_counter()
            screen.choose_table(table)
            while not (screen.table == table and rows.row_count >= PAGE_SIZE):
                await pilot.pause(0.001)
            first_page = shown[-1] - started
            per_page = []
            for page in range(2, pages + 1):
                # The operator reaches the last row loaded: the next page is asked for and shown.
                started = time.perf_counter()
                rows.move_cursor(row=rows.row_count - 1, animate=False)
                while rows.row_count < page * PAGE_SIZE:
                    await pilot.pause(0.001)
                per_page.append(shown[-1] - started)
            key_started = time.perf_counter()
            await pilot.press("pageup")  # one key within what is loaded, as Pilot sees it
            key = time.perf_counter() - key_started
            loaded = rows.row_count
            current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        TablesScreen.on_rows_loaded = handler  # type: ignore[method-assign]
    return {
        "first_page_ms": first_page * 1e3,
        "page_p50_ms": statistics.median(per_page) * 1e3,
        "page_max_ms": max(per_page) * 1e3,
        "key_ms": key * 1e3,
        "loaded": loaded,
        "heap_mb": (current - base_mem) / 2**20,
        "heap_peak_mb": peak / 2**20,
    }


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
            for label, table, pages in (
                (f"{SMALL} (1,000 rows, baseline)", SMALL, 1000 // PAGE_SIZE),
                (f"{BIG} ({args.rows:,} rows)", BIG, PAGES),
            ):
                r = asyncio.run(drive(sock, table, pages))
                print(
                    f"{label:<32} first page {r['first_page_ms']:6.1f} ms · next page p50 {r['page_p50_ms']:5.1f} ms"
                    f" max {r['page_max_ms']:5.1f} ms · PageUp (Pilot, animated) {r['key_ms']:5.0f} ms · "
                    f"{r['loaded']:,.0f} rows loaded · console heap +{r['heap_mb']:.1f} MB "
                    f"(peak {r['heap_peak_mb']:.1f} MB)"
                )
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
