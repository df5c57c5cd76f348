"""tables.*: the catalog of memory tables."""

from __future__ import annotations

from typing import Any

import msgspec

from .registry import Method, NoParams, Role


class TableRef(msgspec.Struct, forbid_unknown_fields=True):
    table: str


class TableSummary(msgspec.Struct):
    name: str
    db_table: str
    description: str
    fields: int
    row_count: int


class FieldInfo(msgspec.Struct):
    name: str
    type: str  # string, text, integer, float, boolean, datetime, json, list
    required: bool
    description: str
    common: bool  # one of the columns every table has (id, version, ...)


class TableDescription(msgspec.Struct):
    name: str
    db_table: str
    description: str
    fields: list[FieldInfo]
    hints: dict[str, Any]
    row_count: int


LIST = Method("tables.list", NoParams, list[TableSummary], Role.reader, "All memory tables with row counts.")
DESCRIBE = Method("tables.describe", TableRef, TableDescription, Role.reader, "One table's fields and hints.")
