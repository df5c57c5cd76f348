"""CPU a reading worker spends per small file, by kind, beside a baseline measured in the same run.

    .venv/bin/python tests/bench/bench_reading.py [--files 3000] [--rounds 5] [--lessons 0]

Runs in this process exactly what a reading worker runs per file (daemon/ingest/reading.py
``run_batch``: archive check, extraction, inference, the learner's features, the secret scans),
on the small mixed files bench_ingest.py drops (markdown, Python, CSV, text, PNG), each read
through its descriptor's /proc path as the daemon hands it over. Prints CPU µs per file
(time.thread_time, the best of N rounds, so that other processes on the machine count least):
  * baseline: opening, reading and hashing (sha256) the same file - the floor of any reader;
  * each kind and all of them through run_batch, with the default policy's content rules and
    ``--lessons`` operator decisions (random ones, from the same files) to compare with.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from ingest_helpers import small_files  # noqa: E402

from daemon.catalog import load_catalog  # noqa: E402
from daemon.config import REPO_SCHEMAS  # noqa: E402
from daemon.extract import extract  # noqa: E402
from daemon.extract.types import ExtractLimits  # noqa: E402
from daemon.governance.policy import LoadedPolicy, Policy  # noqa: E402
from daemon.inference import learning  # noqa: E402
from daemon.ingest.reading import Context, Request, run_batch, warm  # noqa: E402


def _hash(source: str) -> None:
    with open(source, "rb") as f:
        hashlib.sha256(f.read()).hexdigest()


def _read(context: Context, request: Request) -> None:
    run_batch(context, [request])


def best_per_kind(paths: list[str], rounds: int, work: Callable[[str, str], None]) -> dict[str, float]:
    """µs of CPU per file of each kind (by extension) and of all, the best of ``rounds``."""
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    for _ in range(rounds):
        spent: dict[str, float] = defaultdict(float)
        for path in paths:
            fd = os.open(path, os.O_RDONLY)  # the daemon opens and checks the file; the worker gets its fd
            start = time.thread_time()
            work(f"/proc/self/fd/{fd}", path)
            took = time.thread_time() - start
            os.close(fd)
            spent[os.path.splitext(path)[1]] += took
            spent["all"] += took
        counts: dict[str, int] = defaultdict(int, all=len(paths))
        for path in paths:
            counts[os.path.splitext(path)[1]] += 1
        for kind, total in spent.items():
            best[kind] = min(best[kind], total / counts[kind] * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lessons", type=int, default=0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # as the worker does: extractors warn on odd files
    catalog = load_catalog(REPO_SCHEMAS)
    folder = Path(tempfile.mkdtemp(prefix="cl-bench-reading-", dir="/tmp"))
    paths = []
    for name, data in small_files(args.files).items():
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    rnd = random.Random(0)
    decided = [extract(p) for p in rnd.sample(paths, min(len(paths), 200))] if args.lessons else []
    lessons = [
        (rnd.choice(list(catalog)), rnd.choice([1, -1]), learning.features(rnd.choice(decided)))
        for _ in range(args.lessons)
    ]
    context = Context(catalog, LoadedPolicy(Policy(), "", False).rules, learning.Lessons(lessons))
    warm()
    limits = ExtractLimits()
    baseline = best_per_kind(paths, args.rounds, lambda source, path: _hash(source))
    reading = best_per_kind(
        paths, args.rounds, lambda source, path: _read(context, Request(source, path, path, limits))
    )
    print(f"{args.files} files, {args.lessons} lessons; CPU µs per file, best of {args.rounds} rounds")
    print(f"{'kind':6} {'baseline (read+sha256)':>24} {'reading worker':>16}")
    for kind in sorted(reading, key=lambda k: (k == "all", k)):
        print(f"{kind:6} {baseline[kind]:24.0f} {reading[kind]:16.0f}")
    for path in paths:
        os.unlink(path)
    folder.rmdir()


if __name__ == "__main__":
    main()
