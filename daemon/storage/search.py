"""Text search across memory tables (read-only SQL is in operator_sql.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import peewee

from ..catalog import TableSpec
from . import fulltext
from .models import MemoryModel
from .rows import list_rows


def _scan(
    name: str,
    model: type[MemoryModel],
    spec: TableSpec,
    text: str,
    limit: int,
    since: datetime | None,
    until: datetime | None,
) -> list[dict[str, Any]]:
    """The substring scan, for a table whose index is not built yet: newest first."""
    filters: dict[str, Any] = {}
    if since or until:
        filters["updated_at"] = {k: v for k, v in (("ge", since), ("lt", until)) if v is not None}
    rows, _, _ = list_rows(
        model,
        spec,
        filters=filters,
        search=text,
        sort="updated_at",
        descending=True,
        limit=limit,
        cursor=None,
        count=False,
    )
    return [
        fulltext.describe_hit(name, row, fulltext.text_columns(spec), fulltext.words(text) or [text.lower()], 0.0)
        for row in rows
    ]


def search_tables(
    db: peewee.Database,
    tables: list[tuple[str, type[MemoryModel], TableSpec]],
    text: str,
    limit: int,
    indexed: Callable[[str], bool],
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
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
