"""Text search across memory tables, and read-only SQL."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from collections.abc import Callable

import peewee

from ..catalog import TableSpec
from ..errors import InvalidParams
from . import fulltext
from .models import MemoryModel
from .rows import list_rows


def _scan(name: str, model: type[MemoryModel], spec: TableSpec, text: str, limit: int,
          since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """The substring scan, for a table whose index is not built yet: newest first."""
    filters: dict[str, Any] = {}
    if since or until:
        filters["updated_at"] = {k: v for k, v in (("ge", since), ("lt", until)) if v is not None}
    rows, _, _ = list_rows(model, spec, filters=filters, search=text, sort="updated_at", descending=True,
                           limit=limit, cursor=None, count=False)
    return [fulltext.describe_hit(name, row, fulltext.text_columns(spec), fulltext.words(text) or [text.lower()], 0.0)
            for row in rows]


def search_tables(db: peewee.Database, tables: list[tuple[str, type[MemoryModel], TableSpec]], text: str,
                  limit: int, indexed: Callable[[str], bool], since: datetime | None = None,
                  until: datetime | None = None) -> list[dict[str, Any]]:
    """Hits across ``tables``, at most ``limit`` in all: through the full-text index of each
    table where ``indexed(name)`` says it is ready (ranked, best first), else by scanning
    (after the ranked hits, newest first)."""
    ready = [t for t in tables if indexed(t[0])]  # asked once: the indexer may finish a table meanwhile
    hits, unreadable = fulltext.search(db, ready, text, limit, since, until) if ready else ([], [])
    scan = {t[0] for t in tables} - {t[0] for t in ready} | set(unreadable)
    for name, model, spec in tables:
        if len(hits) >= limit:
            break
        if name in scan:
            hits += _scan(name, model, spec, text, limit - len(hits), since, until)
    return hits


def run_readonly_sql(db: peewee.Database, sql: str, params: list[Any], max_rows: int,
                     timeout_s: float = 10.0) -> tuple[list[str], list[list[Any]], bool]:
    """Run one statement in a transaction the database itself keeps read-only, then roll back."""
    if ";" in sql.strip().rstrip(";"):
        raise InvalidParams("one statement at a time")
    is_pg = isinstance(db, peewee.PostgresqlDatabase)
    db.connect(reuse_if_open=True)
    conn = db.connection()
    try:
        with db.manual_commit():
            db.begin()
            try:
                if is_pg:
                    db.execute_sql("SET TRANSACTION READ ONLY")
                    db.execute_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
                else:
                    db.execute_sql("PRAGMA query_only = 1")
                    deadline = time.monotonic() + timeout_s
                    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
                cursor = db.execute_sql(sql, params)
                columns = [d[0] for d in cursor.description or []]
                rows = cursor.fetchmany(max_rows + 1)
            except peewee.DatabaseError as e:
                raise InvalidParams(f"SQL refused: {e}") from None
            finally:
                db.rollback()
                if not is_pg:
                    db.execute_sql("PRAGMA query_only = 0")
                    conn.set_progress_handler(None, 0)
    except peewee.DatabaseError as e:
        raise InvalidParams(f"SQL refused: {e}") from None
    return columns, [list(r) for r in rows[:max_rows]], len(rows) > max_rows
