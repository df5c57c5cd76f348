"""``clarity``: the console (no arguments) and the command line.

clarity                          open the console
clarity rpc METHOD [JSON]        call any RPC method, print the result as JSON
clarity infer PATH... [--json]   which table files would go to (no daemon, writes nothing)
clarity status [--json]          socket, database, watched folders, pending count, last errors
clarity backup PATH              back up the database while the daemon runs
clarity restore PATH [--force]   put a backup in place (the daemon stopped; says where, asks if nothing names it)
clarity export TABLE [--format]  a table's rows to stdout, streamed
clarity ingest PATH... [--json]  hand files and folders to the daemon, with progress
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

import msgspec

from daemon.client import Client, ConnectionLost, UnsafeSocket
from daemon.protocol import RpcError

from . import exit_codes
from .commands import add_parsers as add_operations_parsers
from .commands import export as export_command
from .commands import ingest as ingest_command
from .infer_command import add_parser as add_infer_parser


def _rpc(args: argparse.Namespace) -> int:
    try:
        params: Any = json.loads(args.params) if args.params else {}
    except json.JSONDecodeError as e:
        print(f"clarity: params are not valid JSON: {e}", file=sys.stderr)
        return exit_codes.USAGE
    try:
        with Client(args.socket, timeout=args.timeout) as client:
            result = client.call_raw(args.method, params)
    except UnsafeSocket as e:
        print(f"clarity: {e}", file=sys.stderr)
        return exit_codes.CONFIG  # the socket's place is unsafe, not the daemon down
    except ConnectionLost as e:
        print(f"clarity: {e}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    except RpcError as e:
        print(f"clarity: {e}", file=sys.stderr)
        return exit_codes.REFUSED
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(result), indent=2).decode() + "\n")
    return 0


def _console(args: argparse.Namespace) -> int:
    from .app import make_app  # Textual only when the console is wanted

    make_app(socket_path=args.socket).run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clarity", description="Clarity console and command line.")
    parser.add_argument(
        "--socket",
        help="clarityd socket (default: $CLARITY_SOCKET, the one $CLARITY_CONFIG names, or the standard place)",
    )
    parser.set_defaults(func=_console)
    sub = parser.add_subparsers(dest="command")

    rpc = sub.add_parser("rpc", help="call an RPC method and print the result as JSON")
    rpc.add_argument("method", help="dotted method name, e.g. tables.list (system.describe lists them)")
    rpc.add_argument("params", nargs="?", help='params as a JSON object, e.g. \'{"table": "documents"}\'')
    rpc.add_argument("--socket", default=argparse.SUPPRESS, help="clarityd socket")
    rpc.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the answer")
    rpc.set_defaults(func=_rpc)
    add_infer_parser(sub)
    add_operations_parsers(sub)  # status, backup, restore
    export_command.add_parser(sub)
    ingest_command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func  # every sub-command sets one
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
