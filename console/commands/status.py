"""``clarity status [--json]``: what ``systemctl status`` cannot say — the socket, the database,
the watched folders, the pending queue and the last errors, as the running daemon sees them."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import msgspec

from daemon.client import Client
from daemon.protocol import RpcError
from daemon.protocol.paths import client_socket_path

from .. import exit_codes


def add_parser(sub: Any) -> None:
    """Register ``status`` on the ``clarity`` parser."""
    p = sub.add_parser("status", help="socket, database, watched folders, pending count and last errors")
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")
    p.add_argument("--errors", type=int, default=5, help="how many recent ingest failures to show (default 5)")
    p.set_defaults(func=run)


def gather(client: Client, errors: int) -> dict[str, Any]:
    """Everything the summary shows, from one connection."""
    info = client.call_raw("system.info", {})
    health = client.call_raw("system.health", {})
    ingest = client.call_raw("ingest.status", {"limit": max(errors, 1)})
    pending = client.call_raw("proposals.pending", {"limit": 1, "count": True})
    schema = client.call_raw("proposals.pending", {"kind": "schema", "limit": 1, "count": True})
    return {
        "running": True,
        "socket": info["socket"],
        "version": info["version"],
        "pid": info["pid"],
        "started_at": info["started_at"],
        "you": info["caller"],
        "health": health["status"],
        "notices": health.get("notices", []),
        "database": {"url": info["database"], "backend": health["database"], "ok": health["database_ok"]},
        "state_dir": info["state_dir"],
        "schemas_dir": info["schemas_dir"],
        "tables": info["tables"],
        "folders": [{k: f[k] for k in ("path", "mode", "reason")} for f in ingest["folders"]],
        "files": {
            "total": ingest["total"],
            "queued": ingest["queued"],
            "settling": ingest["settling"],
            **ingest["counts"],
        },
        "pending": pending["total"],
        "schema_changes_pending": schema["total"],
        "last_errors": [
            {k: f.get(k) for k in ("path", "last_error", "attempts", "updated_at")} for f in ingest["failures"][:errors]
        ],
    }


def render(s: dict[str, Any]) -> str:
    """The summary as text, one topic a line."""
    db = s["database"]
    lines = [
        f"clarityd {s['version']} (pid {s['pid']}, since {s['started_at']}): {s['health']}",
        f"socket     {s['socket']}   you: {s['you'].get('role')}",
        f"database   {db['url']} ({db['backend']}): {'reachable' if db['ok'] else 'NOT REACHABLE'}",
        f"state      {s['state_dir']}   schemas: {s['schemas_dir']} ({s['tables']} tables)",
        f"pending    {s['pending']} proposal(s) waiting for a person"
        + (f", {s['schema_changes_pending']} of them schema changes" if s["schema_changes_pending"] else ""),
        "files      " + ", ".join(f"{k} {v}" for k, v in s["files"].items()),
    ]
    lines += [f"NOTICE     {n}" for n in s["notices"]]
    lines.append("watching")
    for f in s["folders"]:
        lines.append(f"  {f['path']}  {f['mode']}" + (f" ({f['reason']})" if f["reason"] else ""))
    lines.append("last errors" + ("" if s["last_errors"] else ": none"))
    for e in s["last_errors"]:
        lines.append(f"  {e['updated_at'] or ''}  {e['path']}: {e['last_error']} (attempt {e['attempts']})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    socket = args.socket or client_socket_path()
    try:
        with Client(socket, timeout=30) as client:
            summary = gather(client, args.errors)
    except RpcError as e:
        down = {"running": False, "socket": socket, "error": str(e)}
        if args.json:
            sys.stdout.write(msgspec.json.encode(down).decode() + "\n")
        else:
            print(f"clarityd is not answering on {socket}: {e}", file=sys.stderr)
        return exit_codes.NOT_RUNNING
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(summary), indent=2).decode() + "\n")
    else:
        print(render(summary))
    return 0
