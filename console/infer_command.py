"""``clarity infer PATH... [--json]``: extraction and inference here, no daemon, nothing written."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import msgspec


def add_parser(sub: Any) -> None:
    """Register the ``infer`` subcommand on the ``clarity`` parser."""
    p = sub.add_parser("infer", help="say which table files would go to, with fields and confidence (no daemon)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files to read (nothing is written anywhere)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per file, in order")
    p.add_argument("--schemas", help="folder of table schemas (default: $CLARITY_SCHEMAS or the built-in ones)")
    p.set_defaults(func=run)


def _row(result: dict[str, Any], width: int) -> str:
    path = result["path"]
    if len(path) > width:
        path = "…" + path[-(width - 1):]
    if "error" in result:
        return f"{path:<{width}}  {'error':<22} {'':>5}  {result['error']}"
    title = next((str(result["fields"][k]) for k in ("title", "name", "path") if result["fields"].get(k)), "")
    return f"{path:<{width}}  {result['table']:<22} {result['confidence']:>5.2f}  {title[:60]}"


def run(args: argparse.Namespace) -> int:
    """Print one result per path; exit 0 even when some files cannot be read."""
    from daemon.catalog import CatalogError
    from daemon.inference.batch import infer_paths

    schemas = args.schemas or os.environ.get("CLARITY_SCHEMAS")
    encoder = msgspec.json.Encoder(enc_hook=str)
    width = min(max((len(p) for p in args.paths), default=4), 60)
    if not args.json:
        print(f"{'PATH':<{width}}  {'TABLE':<22} {'CONF':>5}  TITLE")
    try:
        for result in infer_paths(args.paths, schemas):
            if args.json:
                sys.stdout.write(encoder.encode(result).decode() + "\n")
            else:
                sys.stdout.write(_row(result, width) + "\n")
            sys.stdout.flush()
    except CatalogError as e:
        print(f"clarity: {e}", file=sys.stderr)
        return 2
    return 0
