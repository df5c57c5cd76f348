"""Backups of the database while the daemon runs, and restoring one while it is stopped.

SQLite: the online backup API copies a consistent snapshot page by page while the daemon keeps
writing (WAL readers do not block the writer). PostgreSQL: ``pg_dump --format=custom`` of the
daemon's schema, restored with ``pg_restore --clean``. The daemon makes the backup (it knows the
database and can read it) into a new file in a folder the *caller* may write; ``clarity restore``
runs without a daemon, as the user that owns the state.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import Forbidden, InvalidParams, InvalidState

SQLITE_PREFIX = "sqlite:///"
PG_TIMEOUT_S = 3600.0


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why in words."""


def sqlite_path(url: str) -> str | None:
    """The database file of a SQLite URL; None for PostgreSQL."""
    return os.path.abspath(url[len(SQLITE_PREFIX) :]) if url.startswith(SQLITE_PREFIX) else None


def _writable_by(directory: str, uid: int, gid: int, user: str) -> bool:
    """Whether ``uid`` (primary group ``gid`` and its supplementary groups) may create files in
    ``directory``: the mode bits, as the kernel would check them for that caller."""
    if uid == 0:
        return True
    st = os.stat(directory)
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IWUSR and st.st_mode & stat.S_IXUSR)
    try:
        gids = set(os.getgrouplist(user, gid))
    except (KeyError, OSError):
        gids = {gid}
    if st.st_gid in gids:
        return bool(st.st_mode & stat.S_IWGRP and st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IWOTH and st.st_mode & stat.S_IXOTH)


def check_destination(path: str, identity: Any) -> str:
    """An absolute path to a file that does not exist yet, in a folder the caller may write.
    Raises InvalidParams / Forbidden otherwise (the daemon never overwrites a file)."""
    if not os.path.isabs(path):
        raise InvalidParams(f"{path}: the backup path must be absolute")
    path = os.path.normpath(path)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise InvalidParams(
            f"{folder}: no such folder (or the daemon cannot see it: under systemd it writes only "
            f"its state folder and ReadWritePaths=)"
        )
    if os.path.lexists(path):
        raise InvalidParams(f"{path} exists; a backup never overwrites a file")
    if not _writable_by(folder, identity.uid, identity.gid, identity.user):
        raise Forbidden(f"{folder}: you ({identity.user}) may not write there")
    return path


def _hand_over(path: str, identity: Any) -> None:
    """The new file belongs to the caller when the daemon may give it away (it runs as root),
    else it stays the daemon's, readable by its group."""
    os.chmod(path, 0o640)
    if os.geteuid() == 0:
        os.chown(path, identity.uid, identity.gid)


def backup_sqlite(db_path: str, dest: str) -> int:
    """A consistent copy of the SQLite database at ``db_path`` into the new file ``dest``
    (online: the daemon's writer keeps going). Returns its size in bytes."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # claims the name; never overwrites
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(dest)
        try:
            with dst:
                # In one step: a WAL read transaction does not hold up the daemon's writer, and a
                # stepped copy would start over at every write the daemon makes meanwhile.
                src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
    except BaseException:
        os.unlink(dest)
        raise
    return os.path.getsize(dest)


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed (PostgreSQL's client tools: e.g. apt install postgresql-client)")
    return tool


def _libpq_url(url: str) -> str:
    """The URL as libpq takes it (``postgres://`` and ``postgresql://`` both work there)."""
    return url if urlparse(url).scheme == "postgresql" else "postgresql" + url[len(urlparse(url).scheme) :]


def backup_postgres(url: str, schema: str, dest: str) -> int:
    """``pg_dump --format=custom`` of the daemon's ``schema`` into the new file ``dest``."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    cmd = [
        _pg_tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-acl",
        f"--schema={schema}",
        f"--file={dest}",
        f"--dbname={_libpq_url(url)}",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=PG_TIMEOUT_S)
    if r.returncode != 0:
        os.unlink(dest)
        raise BackupError(f"pg_dump failed: {r.stderr.strip()}")
    return os.path.getsize(dest)


def backup(url: str, schema: str | None, path: str, identity: Any) -> dict[str, Any]:
    """The ``system.backup`` work (a worker thread): check the destination, copy the database
    of ``url`` (PostgreSQL: its ``schema``), hand the file over."""
    dest = check_destination(path, identity)
    try:
        if (db_path := sqlite_path(url)) is not None:
            size, backend = backup_sqlite(db_path, dest), "sqlite"
        else:
            assert schema is not None
            size, backend = backup_postgres(url, schema, dest), "postgresql"
    except (BackupError, sqlite3.Error, OSError, subprocess.TimeoutExpired) as e:
        raise InvalidState(f"backup failed: {e}") from e
    _hand_over(dest, identity)
    return {"path": dest, "backend": backend, "bytes": size}


# -- restoring (clarity restore, no daemon) -----------------------------------------------


def restore_sqlite(src: str, db_path: str, *, force: bool = False) -> None:
    """Put the backup ``src`` in place as the database ``db_path``. An existing database is
    refused unless ``force``, and then kept beside it as ``<name>.before-restore``."""
    try:
        check = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            check.close()
    except sqlite3.Error as e:
        raise BackupError(f"{src} is not a SQLite database: {e}") from e
    if ok != "ok" or "clarity_proposals" not in tables:
        raise BackupError(f"{src} is not a Clarity backup (integrity: {ok}; tables: {len(tables)})")
    if os.path.exists(db_path):
        if not force:
            raise BackupError(f"{db_path} exists; restore --force keeps it as {db_path}.before-restore and replaces it")
        os.replace(db_path, db_path + ".before-restore")
    for suffix in ("-wal", "-shm"):  # the old database's; they must not be applied to the new one
        Path(db_path + suffix).unlink(missing_ok=True)
    os.makedirs(os.path.dirname(db_path), exist_ok=True)
    tmp = db_path + ".restoring"
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o640)
    os.replace(tmp, db_path)  # all or nothing


def restore_postgres(src: str, url: str) -> None:
    """``pg_restore --clean`` of a ``system.backup`` dump into the database of ``url`` (its
    schema is dropped and recreated as the dump has it)."""
    listing = subprocess.run([_pg_tool("pg_restore"), "--list", src], capture_output=True, text=True, timeout=60)
    if listing.returncode != 0:
        raise BackupError(f"{src} is not a pg_dump custom-format file: {listing.stderr.strip()}")
    cmd = [
        _pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_libpq_url(url)}",
        src,
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=PG_TIMEOUT_S)
    if r.returncode != 0:
        raise BackupError(f"pg_restore failed: {r.stderr.strip()}")
