"""rows.*: reading memory rows (changes go through proposals)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from .envelope import INT64_MAX, Id, Int64
from .proposals import Proposal
from .registry import Method, Role


class ListRows(msgspec.Struct, forbid_unknown_fields=True):
    """A page of rows.

    ``filters`` maps a column to a value (equality) or to ``{op: value}`` with op one of
    eq, ne, lt, le, gt, ge, like, in, is_null. ``search`` matches any text column,
    case-insensitively. ``cursor`` is the ``next_cursor`` of the previous page.
    """

    table: str
    filters: dict[str, Any] = {}
    search: str | None = None
    sort: str = "id"
    descending: bool = False
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 50
    cursor: str | None = None
    count: bool = False  # also return the total matching rows (costs a COUNT)


class RowPage(msgspec.Struct):
    rows: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None = None


class GetRow(msgspec.Struct, forbid_unknown_fields=True):
    table: str
    id: Id


LIST = Method("rows.list", ListRows, RowPage, Role.reader, "A page of a table's rows: filter, search, sort.")
GET = Method("rows.get", GetRow, dict[str, Any], Role.reader, "One row by id.")


class UpdateRow(msgspec.Struct, forbid_unknown_fields=True):
    """A change to a row, made against the ``version`` the caller read (rows.get)."""

    table: str
    id: Id
    fields: dict[str, Any]
    version: Int64
    reasoning: str = ""


class DeleteRow(msgspec.Struct, forbid_unknown_fields=True):
    table: str
    id: Id
    version: Int64 | None = None  # the version the caller read; default: the row as it is now
    reasoning: str = ""


UPDATE = Method(
    "rows.update",
    UpdateRow,
    Proposal,
    Role.agent,
    "Propose a change to a row (a proposal; the policy may let an operator's own edit apply).",
)
DELETE = Method("rows.delete", DeleteRow, Proposal, Role.agent, "Propose deleting a row (a proposal).")


class ExportRows(msgspec.Struct, forbid_unknown_fields=True):
    """Rows as CSV, JSON or JSON Lines, with the filters, search and sort of rows.list.

    ``stream``: send the file in chunks (rows.export_chunk notifications, then one
    rows.export_done) instead of in the reply; any number of rows. ``limit``: at most this
    many rows (default: 100,000 in one reply, at most 1,000,000; every row when streaming)."""

    table: str
    format: Literal["csv", "json", "jsonl"] = "csv"
    filters: dict[str, Any] = {}
    search: str | None = None
    sort: str = "id"
    descending: bool = False
    limit: Annotated[int, msgspec.Meta(ge=1, le=INT64_MAX)] | None = None
    stream: bool = False


class Export(msgspec.Struct):
    format: str
    rows: int  # in ``content``; 0 when streaming
    truncated: bool  # more rows matched than ``limit``
    content: str  # the whole file; empty when streaming
    stream: int | None = None  # the id the chunks carry, when streaming
    total: int | None = None  # rows the stream will send (for a progress bar)


# Notifications of a streaming export, on the caller's connection:
EXPORT_CHUNK = "rows.export_chunk"  # {stream, seq, rows, content}: the file's next piece
EXPORT_DONE = "rows.export_done"  # {stream, rows} or {stream, rows, error: {code, message}}: the end
NON_STREAM_LIMIT = 100_000  # rows in one reply by default
NON_STREAM_MAX = 1_000_000


EXPORT = Method("rows.export", ExportRows, Export, Role.reader, "A table's rows as CSV, JSON or JSON Lines.")
