"""rows.*: reading memory rows (changes go through proposals)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

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
    id: int


LIST = Method("rows.list", ListRows, RowPage, Role.reader, "A page of a table's rows: filter, search, sort.")
GET = Method("rows.get", GetRow, dict[str, Any], Role.reader, "One row by id.")
