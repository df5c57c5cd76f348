"""query.*: searching across tables, and read-only SQL."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from .registry import Method, Role


class Search(msgspec.Struct, forbid_unknown_fields=True):
    """``text`` looked for, in any case, in every text column of ``tables`` (default: all)."""

    text: Annotated[str, msgspec.Meta(min_length=1)]
    tables: list[str] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 50  # hits in all, newest first per table


class Hit(msgspec.Struct):
    table: str
    id: int
    title: str  # the row's first non-empty text field
    column: str  # where the text was found
    snippet: str  # the text around the match
    updated_at: str


class Sql(msgspec.Struct, forbid_unknown_fields=True):
    """One read-only statement; ``params`` fill its placeholders (? on SQLite, %s on PostgreSQL)."""

    sql: Annotated[str, msgspec.Meta(min_length=1)]
    params: list[Any] = []
    max_rows: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    # The reply's rows, counted as JSON, stop before this many bytes (then truncated is true).
    max_bytes: Annotated[int, msgspec.Meta(ge=1024, le=64 * 1024 * 1024)] = 4 * 1024 * 1024


class SqlResult(msgspec.Struct):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool


SEARCH = Method("query.search", Search, list[Hit], Role.reader, "Find text in every memory table.")
SQL = Method("query.sql", Sql, SqlResult, Role.operator, "Run one read-only SQL statement.")
