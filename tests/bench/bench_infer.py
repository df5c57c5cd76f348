"""`clarity infer` speed on the labelled corpus, beside a baseline measured in the same run.

    .venv/bin/python tests/bench/bench_infer.py [--rounds 5]

Prints, for the files of tests/corpus/labels.csv:
  * baseline: extraction alone (read, sniff, decode, parse) - the floor any inference adds to;
  * inference alone on the extracted files (schema matching, text scoring, fields), best of N rounds;
  * extraction + inference, as `clarity infer --json` runs it in one process (files/s).
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from daemon.catalog import load_catalog  # noqa: E402
from daemon.config import REPO_SCHEMAS  # noqa: E402
from daemon.extract import ExtractionError, extract  # noqa: E402
from daemon.inference import infer  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    catalog = load_catalog(REPO_SCHEMAS)
    with open(CORPUS / "labels.csv", newline="") as f:
        paths = [str(CORPUS / row["path"]) for row in csv.DictReader(f)]

    def extract_all() -> list:
        out = []
        for p in paths:
            with contextlib.suppress(ExtractionError):  # refused files count in the time, not the list
                out.append(extract(p))
        return out

    best_extract = best_infer = best_both = float("inf")
    extractions = extract_all()
    for _ in range(args.rounds):
        t = time.process_time()
        extract_all()
        best_extract = min(best_extract, time.process_time() - t)
        t = time.process_time()
        for ex in extractions:
            infer(ex, catalog)
        best_infer = min(best_infer, time.process_time() - t)
        t = time.process_time()
        for ex in extract_all():
            infer(ex, catalog)
        best_both = min(best_both, time.process_time() - t)
    n = len(paths)
    print(f"{n} files, best of {args.rounds} rounds (CPU time of this process: other load does not count)")
    print(f"baseline  extraction alone        {n / best_extract:8.0f} files/s")
    print(f"          inference alone         {len(extractions) / best_infer:8.0f} files/s")
    print(f"          extraction + inference  {n / best_both:8.0f} files/s")


if __name__ == "__main__":
    main()
