"""query.*: searching across tables, and read-only SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from .envelope import INT64_MAX, Id
from .registry import Method, NoParams, Role


class Search(msgspec.Struct, forbid_unknown_fields=True):
    """The words of ``text`` looked for, in any case, in every text column of ``tables``
    (default: all); each word matches words it starts, and a row must have them all.
    ``since``/``until`` bound the rows' ``updated_at`` (ISO 8601, UTC when no zone)."""

    text: Annotated[str, msgspec.Meta(min_length=1)]
    tables: list[str] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 50  # hits in all, best first
    since: datetime | None = None
    until: datetime | None = None


class Hit(msgspec.Struct):
    table: str
    id: int
    title: str  # the row's first non-empty text field
    column: str  # where the text was found
    snippet: str  # the text around the match
    updated_at: str
    highlighted: str = ""  # the snippet with each matched word between <mark> and </mark>
    score: float = 0.0  # higher is a better match (0: the table's index is still being built)


Offset = Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]


class Sql(msgspec.Struct, forbid_unknown_fields=True):
    """One read-only statement; ``params`` fill its placeholders (? on SQLite, %s on PostgreSQL).
    ``offset``: skip this many rows of the answer first (the next page: the reply's ``next_offset``)."""

    sql: Annotated[str, msgspec.Meta(min_length=1)]
    params: list[Any] = []
    max_rows: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    # The reply's rows, counted as JSON, stop before this many bytes (then truncated is true).
    max_bytes: Annotated[int, msgspec.Meta(ge=1024, le=64 * 1024 * 1024)] = 4 * 1024 * 1024
    offset: Offset = 0


class SqlResult(msgspec.Struct):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool  # more rows follow these
    # Where the next page starts (ask again with this offset); None at the end, or when the next
    # row alone is larger than max_bytes.
    next_offset: int | None = None


class RunSaved(msgspec.Struct, forbid_unknown_fields=True):
    """A saved query (configuration ``queries:``) by ``name``, with ``args``: its parameters by name."""

    name: str
    args: dict[str, Any] = {}
    max_rows: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    max_bytes: Annotated[int, msgspec.Meta(ge=1024, le=64 * 1024 * 1024)] = 4 * 1024 * 1024
    offset: Offset = 0


class SavedQuery(msgspec.Struct):
    name: str
    description: str
    params: list[str]  # the parameter names it takes, in order
    sql: str


class Related(msgspec.Struct, forbid_unknown_fields=True):
    """Rows of any memory table that share something with row ``id`` of ``table``: its
    source file, content hash, agent, work order, component or playbook."""

    table: str
    id: Id
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100  # rows in all


class RelatedRow(msgspec.Struct):
    table: str
    id: int
    title: str
    via: str  # what it shares: source, content_hash, agent, work_order, component, playbook
    column: str  # the column of this row that holds it
    value: str  # the shared value


SEARCH = Method("query.search", Search, list[Hit], Role.reader, "Find text in every memory table.")
SQL = Method("query.sql", Sql, SqlResult, Role.operator, "Run one read-only SQL statement.")
SAVED = Method("query.saved", NoParams, list[SavedQuery], Role.reader, "The saved queries of the configuration.")
RUN = Method("query.run", RunSaved, SqlResult, Role.reader, "Run a saved query by name.")
RELATED = Method(
    "query.related",
    Related,
    list[RelatedRow],
    Role.reader,
    "Rows of any table that share a file, hash, agent, work order, component or playbook with a row.",
)
