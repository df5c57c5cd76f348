"""``clarity ingest PATH...``: hand many files to the daemon at once and follow them to the end.

    clarity ingest ~/reports ~/notes/todo.md --pattern '*.pdf' --pattern '*.md'
    clarity ingest /data/inbox --json

Folders are walked (recursively unless --no-recursive); --pattern globs (any of them) match a
file's name or its path below the folder named. The paths go to the daemon in a few
``ingest.batch`` calls; then ``ingest.batch_status`` is polled until every file is accounted
for, with a progress bar on a terminal (files done, proposed, applied, failed, rate, time left).
``--json`` prints the final status as one JSON object. Exit 0 when every file went through, 65
when at least one failed (every failure is in the output all the same), 1 when the daemon
refused, 69 when it is not there.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
import time
from typing import Any
from collections.abc import Iterator

import msgspec

from daemon.client import Client, ConnectionLost
from daemon.protocol import RpcError
from daemon.protocol import ingest_batch as p

from .. import exit_codes
from .progress import progress_bar

POLL_S = 0.25


def _matches(name: str, rel: str, patterns: list[str]) -> bool:
    return not patterns or any(fnmatch.fnmatch(name, pat) or fnmatch.fnmatch(rel, pat) for pat in patterns)


def find_files(paths: list[str], patterns: list[str], recursive: bool) -> Iterator[str]:
    """Absolute paths of the files named, and of those in the folders named, in a stable order."""
    for given in paths:
        top = os.path.abspath(os.path.expanduser(given))
        if not os.path.isdir(top):
            yield top  # a file (or a missing path: the daemon says what is wrong with it)
            continue
        for root, dirs, files in os.walk(top):
            dirs.sort()
            if not recursive:
                dirs.clear()
            for name in sorted(files):
                full = os.path.join(root, name)
                if _matches(name, os.path.relpath(full, top), patterns):
                    yield full


def run(args: argparse.Namespace) -> int:
    files = list(dict.fromkeys(find_files(args.paths, args.pattern, not args.no_recursive)))
    if not files:
        print("clarity ingest: no files match", file=sys.stderr)
        if args.json:
            _print_json({"total": 0, "done": 0, "finished": True})
        return 0
    try:
        with Client(args.socket, timeout=args.timeout) as client:
            status: p.BatchStatus | None = None
            for start in range(0, len(files), p.MAX_PATHS):
                chunk = files[start : start + p.MAX_PATHS]
                status = client.call(p.BATCH, p.IngestBatch(paths=chunk, batch=status.batch if status else None))
            assert status is not None
            with progress_bar("ingest", len(files), enabled=None if not args.json else False) as advance:
                while True:
                    status = client.call(p.BATCH_STATUS, p.BatchStatusParams(batch=status.batch, failures=0))
                    rate = status.done / status.elapsed_s if status.elapsed_s else 0.0
                    advance(
                        completed=status.done,
                        detail=f"proposed {status.proposed}  applied {status.applied}  "
                        f"duplicate {status.duplicate}  failed {status.failed}  "
                        f"{rate:.0f} files/s",
                    )
                    if status.finished:
                        break
                    time.sleep(POLL_S)
            status = client.call(p.BATCH_STATUS, p.BatchStatusParams(batch=status.batch, failures=10_000))
    except ConnectionLost as e:
        print(f"clarity ingest: {e}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    except RpcError as e:
        print(f"clarity ingest: {e.message} ({e.name} {e.code})", file=sys.stderr)
        return exit_codes.REFUSED
    outcome = exit_codes.DATAERR if status.failed else 0
    if args.json:
        _print_json(msgspec.to_builtins(status))
        return outcome
    rate = status.done / status.elapsed_s if status.elapsed_s else 0.0
    print(
        f"{status.done} of {status.total} files in {status.elapsed_s:.1f} s ({rate:.0f}/s): "
        f"{status.proposed} proposed, {status.applied} applied, {status.duplicate} duplicate, "
        f"{status.failed} failed",
        file=sys.stderr,
    )
    for failure in status.failures:
        print(f"  failed: {failure.path}: {failure.error}", file=sys.stderr)
    return outcome


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data) + "\n")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "ingest",
        help="hand files and folders to the daemon and follow them to the end",
        epilog="exit status: 0 every file went through, 65 at least one failed (all are printed), "
        "1 the daemon refused, 69 no daemon",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files and folders")
    parser.add_argument(
        "--pattern",
        action="append",
        default=[],
        metavar="GLOB",
        help="only files whose name or path below the folder matches (repeatable)",
    )
    parser.add_argument("--no-recursive", action="store_true", help="only the files directly in each folder")
    parser.add_argument("--json", action="store_true", help="print the final status as JSON, no progress bar")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each answer")
    parser.add_argument("--socket", default=argparse.SUPPRESS, help="clarityd socket")
    parser.set_defaults(func=run)
