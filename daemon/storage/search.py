"""Text search across memory tables, and read-only SQL."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import peewee

from ..catalog import TableSpec
from ..errors import InvalidParams
from .models import TEXT_TYPES, MemoryModel
from .rows import field_types, list_rows

SNIPPET = 60  # characters either side of a match


def _snippet(text: str, needle: str) -> str:
    at = text.lower().find(needle)
    start, end = max(0, at - SNIPPET), at + len(needle) + SNIPPET
    return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")


def search_tables(tables: list[tuple[str, type[MemoryModel], TableSpec]], text: str, limit: int) -> list[dict[str, Any]]:
    """Hits across ``tables``, newest first within each, at most ``limit`` in all."""
    needle = text.lower()
    hits: list[dict[str, Any]] = []
    for name, model, spec in tables:
        if len(hits) >= limit:
            break
        rows, _, _ = list_rows(model, spec, filters={}, search=text, sort="updated_at", descending=True,
                               limit=limit - len(hits), cursor=None, count=False)
        text_cols = [n for n, t in field_types(spec).items() if t in TEXT_TYPES]
        for row in rows:
            column = next((c for c in text_cols if needle in str(row.get(c) or "").lower()), "")
            title = next((str(row[c]) for c in text_cols if c != "source" and row.get(c)), f"#{row['id']}")
            updated = row["updated_at"]
            hits.append({
                "table": name, "id": row["id"], "title": title[:200], "column": column,
                "snippet": _snippet(str(row.get(column) or ""), needle) if column else "",
                "updated_at": updated.isoformat() if isinstance(updated, datetime) else str(updated),
            })
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
            except (peewee.DatabaseError, IndexError, TypeError, ValueError) as e:
                # The last three: psycopg2 filling %-placeholders ("%" with too few params, etc.).
                raise InvalidParams(f"SQL refused: {e}") from None
            finally:
                db.rollback()
                if not is_pg:
                    db.execute_sql("PRAGMA query_only = 0")
                    conn.set_progress_handler(None, 0)
    except peewee.DatabaseError as e:
        raise InvalidParams(f"SQL refused: {e}") from None
    return columns, [list(r) for r in rows[:max_rows]], len(rows) > max_rows
