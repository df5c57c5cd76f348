"""tables.*: the catalog of memory tables."""

from __future__ import annotations

from datetime import datetime
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


class SchemaVersion(msgspec.Struct):
    """One version of a table's schema. Version 1 of a table from schemas/*.yaml is its
    file ("baseline"); each approved schema change adds one, with its diff and the DDL run."""

    version: int
    action: str  # baseline, create_table, add_column, alter_column, drop_column
    diff: dict[str, Any]
    ddl: list[str]
    rows_touched: int
    proposal_id: int | None = None
    actor: str | None = None
    created_at: datetime | None = None


class TableDescription(msgspec.Struct):
    name: str
    db_table: str
    description: str
    fields: list[FieldInfo]
    hints: dict[str, Any]
    row_count: int
    schema_version: int = 1  # the current version (governance)
    versions: list[SchemaVersion] = []  # the version history, oldest first


LIST = Method("tables.list", NoParams, list[TableSummary], Role.reader, "All memory tables with row counts.")
DESCRIBE = Method("tables.describe", TableRef, TableDescription, Role.reader, "One table's fields and hints.")
