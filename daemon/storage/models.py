"""Peewee models built at run time from the catalog (cf. playhouse/reflection.py)."""

from __future__ import annotations

from datetime import datetime, UTC
from collections.abc import Callable
from typing import Any

import msgspec
import peewee
from playhouse.sqlite_ext import AutoIncrementField

from ..catalog import TableSpec
from .links import TARGET, indexed_columns


def utcnow() -> datetime:
    """Naive UTC: what every DateTimeField stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def _json_dumps(value: Any) -> str:
    return msgspec.json.encode(value, enc_hook=str).decode()


def json_field(**kwargs: Any) -> peewee.Field:
    return peewee.JSONField(dumps=_json_dumps, loads=msgspec.json.decode, **kwargs)


FIELD_FACTORIES: dict[str, Callable[..., peewee.Field[Any]]] = {
    "string": peewee.TextField,
    "text": peewee.TextField,
    "integer": peewee.BigIntegerField,
    "float": peewee.DoubleField,
    "boolean": peewee.BooleanField,
    "datetime": peewee.DateTimeField,
    "json": json_field,
    "list": json_field,
}

# Python types that values of each catalog type are converted to (non-strict: "5" -> 5).
PY_TYPES: dict[str, Any] = {
    "string": str,
    "text": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "datetime": datetime,
    "json": Any,
    "list": list,
}

# The catalog types whose columns text search looks in.
TEXT_TYPES = ("string", "text")


class MemoryModel(peewee.Model):
    """Columns every memory table has."""

    id = peewee.BigAutoField()
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    source = peewee.TextField(null=True)
    trust_score = peewee.DoubleField(default=0.5)
    version = peewee.IntegerField(default=1)


def build_model(spec: TableSpec, db: peewee.Database) -> type[MemoryModel]:
    attrs: dict[str, Any] = {f.name: FIELD_FACTORIES[f.type](null=True) for f in spec.fields}
    # Required fields are enforced when proposals are validated, not by NOT NULL: a schema
    # change that makes a field required must not break the rows already there.
    if isinstance(db, peewee.SqliteDatabase):
        # AUTOINCREMENT: SQLite would otherwise hand a deleted last row's id to the next
        # insert, and an edit or undo aimed at the old row could land on the new one.
        attrs["id"] = AutoIncrementField()
    attrs["Meta"] = type("Meta", (), {"database": db, "table_name": spec.db_table})
    class_name = "".join(part.title() for part in spec.name.split("_"))
    model: type[MemoryModel] = type(class_name, (MemoryModel,), attrs)
    # The link columns (links.py) are indexed: agents' calls look rows up by them, and
    # query.related follows them. Created with the table, and at start for a table already
    # there (CREATE INDEX IF NOT EXISTS), so an upgraded database gets them too.
    types = {f.name: f.type for f in spec.fields}
    for column in indexed_columns({name: types.get(name, "string") for name in model._meta.fields}):
        model.add_index(model.index(getattr(model, column), name=f"{spec.db_table}_{column}_idx"))
    if all(c in types for c in TARGET):
        model.add_index(model.index(*(getattr(model, c) for c in TARGET), name=f"{spec.db_table}_target_idx"))
    return model


def build_models(catalog: dict[str, TableSpec], db: peewee.Database) -> dict[str, type[MemoryModel]]:
    return {name: build_model(spec, db) for name, spec in catalog.items()}
