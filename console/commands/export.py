"""``clarity export TABLE``: a whole table (or the rows that match) to stdout, streamed.

    clarity export documents --format jsonl --search invoice --where author=ann > out.jsonl

The daemon sends the file in chunks (rows.export with ``stream``), so any size fits in flat
memory on both sides; a progress bar goes to stderr on a terminal.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from daemon.client import Client, ConnectionLost
from daemon.client_export import ExportStream
from daemon.protocol import RpcError

from .. import exit_codes
from .progress import progress_bar


def _where(items: list[str]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep or not column:
            raise ValueError(f"--where {item!r}: use column=value")
        filters[column] = value
    return filters


def run(args: argparse.Namespace) -> int:
    try:
        filters = _where(args.where)
    except ValueError as e:
        print(f"clarity export: {e}", file=sys.stderr)
        return exit_codes.USAGE
    out = sys.stdout
    export: ExportStream | None = None
    try:
        with Client(args.socket, timeout=args.timeout) as client:
            export = ExportStream.start(
                client,
                timeout=args.timeout,
                table=args.table,
                format=args.format,
                filters=filters,
                search=args.search,
                sort=args.sort,
                descending=args.descending,
                limit=args.limit,
            )
            with progress_bar(f"export {args.table}", export.total) as advance:
                for piece in export:
                    out.write(piece)
                    advance(completed=export.rows)
            out.flush()
    except ConnectionLost as e:
        print(f"clarity export: {e}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    except RpcError as e:
        print(f"clarity export: {e.message} ({e.name} {e.code})", file=sys.stderr)
        return exit_codes.REFUSED
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        return 0
    if args.verbose and export is not None:
        print(f"clarity export: {export.rows} rows of {args.table}", file=sys.stderr)
    return 0


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("export", help="write a table's rows to stdout (csv, jsonl or json), streamed")
    parser.add_argument("table", help="the table (tables.list names them)")
    parser.add_argument("--format", choices=("csv", "jsonl", "json"), default="csv")
    parser.add_argument("--search", help="only rows holding these words (as query.search matches them)")
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="only rows whose column equals the value (repeatable)",
    )
    parser.add_argument("--sort", default="id", help="column to order by (default id)")
    parser.add_argument("--descending", action="store_true")
    parser.add_argument("--limit", type=int, help="at most this many rows")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each chunk")
    parser.add_argument("--verbose", action="store_true", help="say how many rows were written, on stderr")
    parser.add_argument("--socket", default=argparse.SUPPRESS, help="clarityd socket")
    parser.set_defaults(func=run)
