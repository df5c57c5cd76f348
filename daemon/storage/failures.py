"""Which database errors mean "the database is unavailable now" rather than "this call is wrong".

Those are the ones the Store answers with UNAVAILABLE, reports in health, and recovers from
by itself (a new connection, a write that works again): a lost or refused connection, a
server shutting down or read-only after a failover, a full disk, a SQLite file that is
locked by another process or cannot be written.
"""

from __future__ import annotations

import sqlite3
from typing import Any

# SQLite primary result codes (the low byte of an extended code).
SQLITE_REASONS = {
    5: "the SQLite database is locked by another process",  # SQLITE_BUSY
    6: "a SQLite table is locked",  # SQLITE_LOCKED
    7: "SQLite is out of memory",  # SQLITE_NOMEM
    8: "the SQLite database cannot be written (read-only)",  # SQLITE_READONLY
    10: "disk I/O error on the SQLite database",  # SQLITE_IOERR
    13: "the disk holding the SQLite database is full",  # SQLITE_FULL
    14: "the SQLite database file cannot be opened",  # SQLITE_CANTOPEN
}

# PostgreSQL SQLSTATEs (besides class 08, connection exceptions) that say the server, not the call, is the problem.
PG_REASONS = {
    "57P01": "PostgreSQL terminated the connection (admin shutdown)",
    "57P02": "PostgreSQL is shutting down (crash shutdown)",
    "57P03": "PostgreSQL cannot accept connections yet",
    "53100": "the disk holding the PostgreSQL database is full",
    "53200": "PostgreSQL is out of memory",
    "53300": "PostgreSQL has too many connections",
    "25006": "PostgreSQL is read-only (a standby?)",
}

# SQLSTATEs that say "this transaction lost to a concurrent one; run it again".
LOST_TO_CONCURRENCY = {"40P01", "40001", "55P03"}  # deadlock_detected, serialization_failure, lock_not_available


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and what it wraps (Peewee puts the driver's exception in args and __context__)."""
    seen: list[BaseException] = []
    stack: list[Any] = [error]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or any(e is s for s in seen):
            continue
        seen.append(e)
        stack.extend([e.__cause__, e.__context__, *e.args])
    return seen


def unavailable_reason(error: BaseException) -> str | None:
    """Why the database is unavailable, if ``error`` says it is; None for any other error."""
    try:
        import psycopg2
    except ImportError:  # SQLite-only installs
        psycopg2 = None
    for e in _chain(error):
        if isinstance(e, sqlite3.Error):
            code = getattr(e, "sqlite_errorcode", None)
            if code is not None and (code & 0xFF) in SQLITE_REASONS:
                return SQLITE_REASONS[code & 0xFF]
        elif psycopg2 is not None and isinstance(e, psycopg2.Error):
            code = getattr(e, "pgcode", None)
            if isinstance(e, psycopg2.InterfaceError):
                return "the connection to PostgreSQL is closed"
            if code in PG_REASONS:
                return PG_REASONS[code]
            if code and code.startswith("08"):
                return f"PostgreSQL connection failure ({code})"
            if code is None and isinstance(e, psycopg2.OperationalError):  # raised by libpq itself
                first = (str(e).strip().splitlines() or ["connection lost"])[0]
                return f"cannot reach PostgreSQL: {first}"
    return None


def lost_to_concurrency(error: BaseException) -> bool:
    """Whether ``error`` is PostgreSQL refusing this transaction in favour of a concurrent one
    (nothing of it committed: it can run again)."""
    return any(getattr(e, "pgcode", None) in LOST_TO_CONCURRENCY for e in _chain(error))
