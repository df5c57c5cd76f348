"""Related rows: what else, in any memory table, points at the same thing as a given row.

The links are in :mod:`.links`; each is looked for in every table of the live catalog. Rows
that point at the given row itself (governance and verification: ``target_table`` +
``target_row``) are related as ``target``.
"""

from __future__ import annotations

from typing import Any

import msgspec
import peewee

from ..catalog import TableSpec
from .links import LINKS, LIST_TYPES, TARGET
from .models import MemoryModel
from .rows import dict_rows, field_types, get_row

TITLE_SKIP = ("source", "path", "sha256")


def _values(row: dict[str, Any], column: str) -> list[str]:
    value = row.get(column)
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int)) and str(v)]
    return [value] if isinstance(value, str) and value else []


def _title(row: dict[str, Any], spec: TableSpec) -> str:
    types = field_types(spec)
    for name, ftype in types.items():
        if ftype in ("string", "text") and name not in TITLE_SKIP and row.get(name):
            return str(row[name])[:200]
    return f"#{row['id']}"


def related_rows(
    db: peewee.Database, tables: list[tuple[str, type[MemoryModel], TableSpec]], table: str, row_id: int, limit: int
) -> list[dict[str, Any]]:
    """Rows sharing a link value with row ``row_id`` of ``table`` (itself left out), at most
    ``limit``, grouped by link kind in the order of LINKS, then by table and id."""
    by_name = {name: (model, spec) for name, model, spec in tables}
    model, spec = by_name[table]
    row = get_row(model, table, row_id)
    wanted: list[tuple[str, str]] = []  # (kind, value)
    for kind, columns in LINKS.items():
        for column in columns:
            for value in _values(row, column):
                if kind == "source" and not value.startswith("/"):
                    continue  # a source that is not a file (an operator, an agent) is shared by too much
                if (kind, value) not in wanted:
                    wanted.append((kind, value))
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = {(table, row_id)}

    def add(kind: str, name: str, column: str, value: str, found: dict[str, Any]) -> None:
        key = (name, found["id"])
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append(
                {
                    "table": name,
                    "id": found["id"],
                    "title": _title(found, by_name[name][1]),
                    "via": kind,
                    "column": column,
                    "value": value,
                }
            )

    for kind, value in wanted:
        for name, other, other_spec in tables:
            types = field_types(other_spec)
            for column in LINKS[kind]:
                if column not in types or len(out) >= limit:
                    continue
                col = getattr(other, column)
                cond = _list_has(db, col, value) if types[column] in LIST_TYPES else col == value
                for found in dict_rows(other.select().where(cond).order_by(other.id).limit(limit)):
                    add(kind, name, column, value, found)
    for name, other, other_spec in tables:  # audit and verification rows about this row
        types = field_types(other_spec)
        if all(c in types for c in TARGET) and len(out) < limit:
            target_table, target_row = (other._meta.fields[c] for c in TARGET)
            for found in dict_rows(
                other.select().where((target_table == table) & (target_row == row_id)).order_by(other.id).limit(limit)
            ):
                add("target", name, "target_row", str(row_id), found)
    return out


def _list_has(db: peewee.Database, col: peewee.Field[Any], value: str) -> peewee.ColumnBase:
    """A JSON list column holds ``value`` (SQLite: json_each; PostgreSQL: jsonb containment)."""
    if isinstance(db, peewee.PostgresqlDatabase):
        return peewee.NodeList(
            (
                peewee.Cast(col, "jsonb"),
                peewee.SQL("@>"),
                peewee.Cast(peewee.Value(msgspec.json.encode([value]).decode()), "jsonb"),
            )
        )
    return peewee.fn.EXISTS(
        peewee.NodeList(
            (
                peewee.SQL("SELECT 1 FROM json_each("),
                col,
                peewee.SQL(") WHERE json_each.value = "),
                peewee.Value(value),
            ),
            glue="",
        )
    )
