"""system.*: health, identity and the method reference."""

from __future__ import annotations

from typing import Any

import msgspec

from .registry import Method, Role
from .registry import NoParams as NoParams  # re-exported: the system.* handlers take it


class Identity(msgspec.Struct):
    """Who is calling, from the socket's peer credentials (SO_PEERCRED)."""

    uid: int
    gid: int
    pid: int
    user: str
    role: str


class SearchIndexHealth(msgspec.Struct):
    """The full-text indexes: "ready", or "indexing" with rows done of rows to do."""

    state: str  # starting, indexing, ready, failed
    tables_pending: int = 0
    rows_done: int = 0
    rows_total: int = 0
    error: str = ""


class Health(msgspec.Struct):
    status: str  # "ok", "degraded", or "starting" (answering, not yet watching folders)
    database: str  # "sqlite" or "postgresql"
    database_ok: bool  # it answers reads
    uptime_s: float
    version: str
    connections: int
    # What an operator should know, e.g. schema-file changes waiting for a decision at start.
    notices: list[str] = []
    database_writable: bool = True  # false while writes fail (they are UNAVAILABLE meanwhile)
    reason: str = ""  # why the status is degraded
    query_sql: str = ""  # whether and how query.sql is offered
    search_index: SearchIndexHealth | None = None


class Info(msgspec.Struct):
    version: str
    pid: int
    started_at: str
    socket: str
    state_dir: str
    database: str  # the URL with any password masked
    watch: list[str]
    schemas_dir: str
    tables: int
    methods: list[str]
    caller: Identity
    query_sql: str = ""  # whether and how query.sql is offered (PostgreSQL: the read-only role)


class MethodDoc(msgspec.Struct):
    name: str
    role: str
    summary: str
    help: str
    params: dict[str, Any]  # JSON Schema of the params Struct
    result: dict[str, Any]  # JSON Schema of the result


class DescribeMethods(msgspec.Struct, forbid_unknown_fields=True):
    method: str | None = None  # one method, or all when omitted


class Reloaded(msgspec.Struct):
    reloaded: bool
    changes: list[str]


HEALTH = Method(
    "system.health",
    NoParams,
    Health,
    Role.reader,
    "Is the daemon up (ok, degraded, or starting: not yet watching folders) and its database reachable.",
)
INFO = Method("system.info", NoParams, Info, Role.reader, "Version, paths, database, and who you are.")
DESCRIBE = Method(
    "system.describe", DescribeMethods, list[MethodDoc], Role.reader, "Every method's params, result and help."
)


class BackupParams(msgspec.Struct, forbid_unknown_fields=True):
    """An absolute path for a new file, in a folder you may write (and the daemon can reach)."""

    path: str


class Backup(msgspec.Struct):
    path: str
    backend: str  # sqlite (a SQLite database file) or postgresql (a pg_dump custom-format file)
    bytes: int


BACKUP = Method(
    "system.backup",
    BackupParams,
    Backup,
    Role.operator,
    "Back up the database into a new file while the daemon runs (clarity restore puts it back).",
)
RELOAD = Method("system.reload", NoParams, Reloaded, Role.operator, "Reload the configuration file, as SIGHUP does.")
