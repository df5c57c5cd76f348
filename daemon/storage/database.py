"""Open a Peewee database from a URL: ``sqlite:///path`` or ``postgresql://...``."""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

import peewee
from playhouse.db_url import parse as parse_url

# WAL lets readers run beside the one writer; busy_timeout covers a checkpoint or another
# process (the `clarity infer` tool never writes, but sqlite3 by hand might).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "cache_size": -32_000,
    # Commits never fold the WAL back themselves: Store's checkpoints.Checkpointer does, on a
    # thread of its own, so a commit does not wait for it.
    "wal_autocheckpoint": 0,
}


class DatabaseURLError(ValueError):
    pass


def open_database(url: str) -> peewee.Database:
    """A Database for the URL; SQLite folders are created as needed."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise DatabaseURLError(f"{url!r}: a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path")
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # BEGIN IMMEDIATE: a write transaction takes the write lock first, waiting (busy_timeout)
        # for another process's; one that began by reading cannot take it once another process
        # has committed since (SQLite answers "locked" at once, without waiting).
        return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if scheme in ("postgres", "postgresql"):
        params = parse_url(url)
        # Names this daemon's connections in pg_stat_activity (an operator, or a test, can
        # tell them from other daemons' on the same server). The URL may set its own.
        params.setdefault("application_name", f"clarityd-{os.getpid()}")
        return peewee.PostgresqlDatabase(**params)
    raise DatabaseURLError(f"{mask_url(url)!r}: unsupported database (use sqlite:/// or postgresql://)")


def backend_name(db: peewee.Database) -> str:
    return "postgresql" if isinstance(db, peewee.PostgresqlDatabase) else "sqlite"


def mask_url(url: str) -> str:
    """The URL with its password replaced, for logs and system.info."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
