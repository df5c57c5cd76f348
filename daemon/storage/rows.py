"""Reading memory rows: filters, text search, sort and keyset pagination."""

from __future__ import annotations

import base64
import functools
import operator
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import msgspec
import peewee

from ..catalog import COMMON_FIELDS, TableSpec
from ..errors import InvalidParams, NotFound
from .models import PY_TYPES, TEXT_TYPES, MemoryModel

OPS = {
    "eq": lambda c, v: c == v,
    "ne": lambda c, v: c != v,
    "lt": lambda c, v: c < v,
    "le": lambda c, v: c <= v,
    "gt": lambda c, v: c > v,
    "ge": lambda c, v: c >= v,
}


def field_types(spec: TableSpec) -> dict[str, str]:
    """Every column of the table (common ones first) with its catalog type."""
    types: dict[str, str] = {name: t for name, (t, _) in COMMON_FIELDS.items()}
    types.update((f.name, f.type) for f in spec.fields)
    return types


def coerce(value: Any, ftype: str, column: str) -> Any:
    """Convert a JSON value to the column's Python type, or say why it cannot be."""
    if value is None:
        return None
    try:
        out = msgspec.convert(value, PY_TYPES[ftype], strict=False)
    except msgspec.ValidationError as e:
        raise InvalidParams(f"column {column!r} is {ftype}: {e}") from None
    if isinstance(out, datetime) and out.tzinfo is not None:
        out = out.astimezone(UTC).replace(tzinfo=None)
    return out


def dict_rows(query: peewee.BaseQuery) -> list[dict[str, Any]]:
    """``list(query.dicts())``, typed: Peewee's stubs have ``.dicts()`` still yield model instances."""
    return cast("list[dict[str, Any]]", list(query.dicts()))


def tuple_rows(query: peewee.BaseQuery) -> list[tuple[Any, ...]]:
    """``list(query.tuples())``, typed: Peewee's stubs have ``.tuples()`` still yield model instances."""
    return cast("list[tuple[Any, ...]]", list(query.tuples()))


def row_to_dict(row: peewee.Model | dict[str, Any]) -> dict[str, Any]:
    data = row if isinstance(row, dict) else row.__data__
    out = {}
    for key, value in data.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        out[key] = value
    return out


# Reading rows straight from the cursor: Peewee's .dicts() runs every value of every row
# through its field's python_value and its own row machinery, and row_to_dict then walked
# each dict again to mark times as UTC; together about half of a rows.list call.
_IDENTITY = (peewee.TextField, peewee.IntegerField, peewee.FloatField, peewee.AutoField)
_UTC = UTC


def _to_aware(field: peewee.Field) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return field.python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value

    return convert


def _converter(field: peewee.Field) -> Callable[[Any], Any] | None:
    """How a column's database value becomes its result value (None: as it comes)."""
    if isinstance(field, peewee.DateTimeField):
        return _to_aware(field)
    if isinstance(field, _IDENTITY):  # BigAutoField, AutoIncrementField, BigIntegerField... are subclasses
        return None
    return field.python_value


_ROW_READERS: weakref.WeakKeyDictionary[type, tuple[list[str], list[tuple[int, Callable[[Any], Any]]]]] = (
    weakref.WeakKeyDictionary()
)
_PLAIN_PAGES: weakref.WeakKeyDictionary[type, dict[tuple[str, bool, int], tuple[str, list[Any]]]] = (
    weakref.WeakKeyDictionary()
)


def fetch_dicts(
    query: peewee.Select, model: type[MemoryModel], sql: tuple[str, list[Any]] | None = None
) -> list[dict[str, Any]]:
    """The rows of ``query`` (every column of ``model``, as ``model.select()``) as result
    dicts: times aware (UTC), JSON decoded, booleans as booleans. ``sql``: the query's
    (SQL, params) when the caller already has them."""
    reader = _ROW_READERS.get(model)
    if reader is None:
        fields = model._meta.sorted_fields
        reader = ([f.name for f in fields], [(i, c) for i, f in enumerate(fields) if (c := _converter(f)) is not None])
        _ROW_READERS[model] = reader
    names, converters = reader
    text, params = sql if sql is not None else query.sql()
    out = []
    for raw in model._meta.database.execute_sql(text, params).fetchall():
        values = list(raw)
        for i, convert in converters:
            values[i] = convert(values[i])
        out.append(dict(zip(names, values, strict=True)))
    return out


def _column(model: type[MemoryModel], types: dict[str, str], name: str) -> peewee.Field:
    if name not in types:
        raise InvalidParams(f"unknown column {name!r}; tables.describe lists them")
    col: peewee.Field[Any] = getattr(model, name)
    return col


def _filter(model: type[MemoryModel], types: dict[str, str], name: str, cond: Any) -> peewee.ColumnBase:
    col = _column(model, types, name)
    ftype = types[name]
    if not isinstance(cond, dict):
        cond = {"eq": cond}
    exprs = []
    for op, value in cond.items():
        if op in OPS:
            if value is None and op in ("eq", "ne"):
                exprs.append(col.is_null(op == "eq"))
            else:
                exprs.append(OPS[op](col, coerce(value, ftype, name)))
        elif op == "in":
            if not isinstance(value, list):
                raise InvalidParams(f"filter {name}.in takes a list")
            exprs.append(col.in_([coerce(v, ftype, name) for v in value]))
        elif op == "like":
            exprs.append(peewee.fn.LOWER(col).contains(str(value).lower()))
        elif op == "is_null":
            exprs.append(col.is_null(bool(value)))
        else:
            raise InvalidParams(f"unknown filter op {op!r} on {name!r}; use eq ne lt le gt ge like in is_null")
    return functools.reduce(operator.and_, exprs) if exprs else peewee.SQL("1=1")


def encode_cursor(value: Any, row_id: int) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode([value, row_id], enc_hook=str)).decode()


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        value, row_id = msgspec.json.decode(base64.urlsafe_b64decode(cursor.encode()))
        return value, int(row_id)
    except Exception:
        raise InvalidParams("cursor is not one this daemon gave out") from None


def list_rows(
    model: type[MemoryModel],
    spec: TableSpec,
    *,
    filters: dict[str, Any],
    search: str | None,
    sort: str,
    descending: bool,
    limit: int,
    cursor: str | None,
    count: bool,
    search_match: peewee.Expression | None = None,
) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """One page, ordered by (sort, id) with NULLs last, continuing after ``cursor``.
    ``search_match`` (a full-text condition, :func:`fulltext.matching_ids`) replaces the
    substring scan of ``search``."""
    types = field_types(spec)
    sort_col = _column(model, types, sort)
    where: list[peewee.ColumnBase] = [_filter(model, types, k, v) for k, v in filters.items()]
    if search_match is not None:
        where.append(search_match)
    elif search:
        text_cols = [getattr(model, n) for n, t in types.items() if t in TEXT_TYPES]
        needle = search.lower()
        where.append(functools.reduce(operator.or_, [peewee.fn.LOWER(c).contains(needle) for c in text_cols]))
    base = where[:]

    if cursor:
        value, last_id = decode_cursor(cursor)
        value = coerce(value, types[sort], sort)
        after_id = model.id < last_id if descending else model.id > last_id
        if sort == "id":
            where.append(after_id)
        elif value is None:  # already in the NULL tail
            where.append(sort_col.is_null() & after_id)
        else:
            beyond = sort_col < value if descending else sort_col > value
            where.append(beyond | ((sort_col == value) & after_id) | sort_col.is_null())

    order = [sort_col.desc(nulls="LAST") if descending else sort_col.asc(nulls="LAST")]
    if sort != "id":
        order.append(model.id.desc() if descending else model.id.asc())
    query = model.select().order_by(*order).limit(limit + 1)
    sql = None
    if where:
        query = query.where(*where)
    else:  # the first page of a table, unfiltered (what a console opens with): its SQL once
        pages = _PLAIN_PAGES.setdefault(model, {})
        sql = pages.get((sort, descending, limit))
        if sql is None:
            sql = pages[(sort, descending, limit)] = query.sql()
    rows = fetch_dicts(query, model, sql)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last[sort], last["id"])
    total = None
    if count:
        q = model.select()
        total = (q.where(*base) if base else q).count()
    return rows, next_cursor, total


def get_row(model: type[MemoryModel], table: str, row_id: int) -> dict[str, Any]:
    rows = fetch_dicts(model.select().where(model.id == row_id).limit(1), model)
    if not rows:
        raise NotFound(f"{table} has no row {row_id}")
    return rows[0]
