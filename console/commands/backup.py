"""``clarity backup PATH`` (the daemon copies its database while it runs) and ``clarity restore
PATH`` (puts a backup in place while the daemon is stopped). See daemon/backup.py."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from daemon.client import Client, ConnectionLost
from daemon.protocol import RpcError

from .. import exit_codes

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def add_parsers(sub: Any) -> None:
    """Register ``backup`` and ``restore`` on the ``clarity`` parser."""
    b = sub.add_parser("backup", help="back up the database into a new file while clarityd runs")
    b.add_argument("path", help="a new file, in a folder you may write (and clarityd can reach)")
    b.set_defaults(func=run_backup)
    r = sub.add_parser("restore", help="put a backup in place as the database (clarityd must be stopped)")
    r.add_argument("path", help="a file `clarity backup` wrote")
    r.add_argument(
        "--force", action="store_true", help="SQLite: replace an existing database (kept as <name>.before-restore)"
    )
    r.add_argument(
        "--state-dir",
        metavar="DIR",
        help="restore into this state folder's database, as $CLARITY_STATE_DIR would name it (needed, or a "
        "yes on a terminal, when nothing names the daemon's place and the per-user default would be used)",
    )
    r.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    path = os.path.abspath(os.path.expanduser(args.path))
    try:
        with Client(args.socket, timeout=None) as client:
            result = client.system.backup(path=path)
    except RpcError as e:
        print(f"clarity: {e}", file=sys.stderr)
        return exit_codes.REFUSED
    print(f"backed up the {result.backend} database into {result.path} ({result.bytes} bytes)")
    return 0


def _daemon_answers(socket: str) -> bool:
    try:
        with Client(socket, timeout=5) as client:
            client.system.health()
        return True
    except ConnectionLost:
        return False


def _default_confirmed(target: str) -> bool:
    """Nothing names the daemon's place: the restore would go to the per-user default, which a
    daemon under systemd never uses (an admin who forgot the unit's environment). Ask on a
    terminal; anywhere else refuse, saying how to name the target."""
    print(
        f"clarity: nothing names the daemon's database ($CLARITY_STATE_DIR, $STATE_DIRECTORY, "
        f"$CLARITY_DATABASE, or state_dir/database in $CLARITY_CONFIG), so the target is the per-user "
        f"default {target}. A daemon under systemd keeps its database in /var/lib/clarity: give the "
        f"unit's environment (see README, Backup and restore), or --state-dir DIR.",
        file=sys.stderr,
    )
    if not sys.stdin.isatty():
        return False
    print(f"Restore into {target}? [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def run_restore(args: argparse.Namespace) -> int:
    from daemon.backup import BackupError, restore_postgres, restore_sqlite, sqlite_path
    from daemon.config import ConfigError, database_named_by, load_config
    from daemon.storage import mask_url

    env = dict(os.environ)
    if args.state_dir:
        env["CLARITY_STATE_DIR"] = os.path.abspath(os.path.expanduser(args.state_dir))
    try:
        config = load_config(env)  # the daemon's own configuration: same environment, same database
        named_by = database_named_by(env)
    except ConfigError as e:
        print(f"clarity: bad configuration: {e}", file=sys.stderr)
        return exit_codes.CONFIG
    target = mask_url(config.database)
    socket = args.socket or config.socket
    if _daemon_answers(socket):
        print(
            f"clarity: clarityd is running (socket {socket}); stop it first (sudo systemctl stop clarityd)",
            file=sys.stderr,
        )
        return exit_codes.REFUSED
    path = os.path.abspath(os.path.expanduser(args.path))
    if named_by is None and not _default_confirmed(target):
        return exit_codes.USAGE
    print(f"clarity: restoring {path} into {target} (named by {named_by or 'the per-user default'})", file=sys.stderr)
    try:
        with open(path, "rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
    except OSError as e:
        print(f"clarity: {path}: {e.strerror or e}", file=sys.stderr)
        return exit_codes.REFUSED
    db_path = sqlite_path(config.database)
    try:
        if magic.startswith(SQLITE_MAGIC) and db_path is not None:
            restore_sqlite(path, db_path, force=args.force)
        elif magic.startswith(PGDUMP_MAGIC) and db_path is None:
            restore_postgres(path, config.database)
        else:
            kind = (
                "a SQLite backup"
                if magic.startswith(SQLITE_MAGIC)
                else "a pg_dump backup"
                if magic.startswith(PGDUMP_MAGIC)
                else "not a backup"
            )
            raise BackupError(f"{path} is {kind}; the configured database is {target}")
    except (BackupError, OSError) as e:
        print(f"clarity: restore refused: {e}", file=sys.stderr)
        return exit_codes.REFUSED
    print(f"restored {path} into {target}; start clarityd")
    return 0
