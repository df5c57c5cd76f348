"""Statements compiled once, for the writer's hot paths.

Peewee builds a query's SQL afresh on every execute: 50-200 µs of pure Python for an
INSERT of a dozen columns, ten times what SQLite takes to run it. The writer thread runs a
handful of statement shapes thousands of times (an event per state change, a proposal, a
journal update), and under the GIL that building is what limits ingestion. Here each
shape's SQL is built by Peewee once and kept; later calls only convert their values with
the fields' own ``db_value`` and bind them.

Safe by construction: the first time a shape is seen, the values bound here are compared
with the ones Peewee binds for the same query. A shape that would be bound differently
(an expression as a value, a converter that returns SQL we do not know) is never cached:
Peewee builds it every time, as before. So this can only be faster, never different.

``create``/``insert``/``update``/``get`` mirror ``Model.create``, ``Model.insert(...).execute()``,
``Model.update(...).where(a == x, b == y).execute()`` and ``Model.select().where(...).first()``.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, TypeVar, overload
from collections.abc import Callable

import peewee

log = logging.getLogger(__name__)

M = TypeVar("M", bound=peewee.Model)
MAX_SHAPES = 4096  # runtime tables come and go (schema changes): never grow without bound

_PLAIN, _JSON = 0, 1  # how a value is bound: as is, or wrapped in SQLite's json(?)
_SQLITE_JSON = getattr(peewee, "SqliteJSONMethods", None)  # how a JSONField binds on SQLite (not in the stubs)
_UNCACHEABLE = object()
_shapes: dict[tuple[Any, ...], Any] = {}  # shape -> (sql, tail params) or _UNCACHEABLE
_readers: dict[tuple[Any, ...], Any] = {}  # (db, model, as dicts) -> how its columns are named and converted
_inserts: dict[tuple[Any, ...], Any] = {}  # (model, columns given) -> see _columns
_plains: dict[tuple[Any, ...], bool] = {}  # (model, attribute names) -> see _plain


class _NotBindable(Exception):
    """A value whose SQL is not a plain parameter: let Peewee build the statement."""


def _bind(field: peewee.Field, value: Any, in_where: bool = False) -> tuple[int, Any]:
    """(how, parameter) of ``value`` for ``field``, as Peewee's Value(value, converter=db_value) binds it."""
    if isinstance(value, peewee.Node) or (in_where and isinstance(value, (list, tuple, set, frozenset))):
        raise _NotBindable  # an expression; or, in a WHERE, a list Peewee would unpack into (?, ?, ...)
    if value is not None and type(field) is peewee.JSONField and type(getattr(field, "_helper", None)) is _SQLITE_JSON:
        # What its db_value makes, fn.json(dumps(value)), without building the Function (most
        # of a JSON value's binding: every event, audit row and proposal has one or more).
        return _JSON, field._dumps(value)  # type: ignore[attr-defined]  # Peewee's, not in its stubs
    converted = field.db_value(value)
    if isinstance(converted, peewee.Node):
        # SQLite's JSONField stores json(?) so the value is JSON-typed.
        args = converted.arguments if isinstance(converted, peewee.Function) else None
        if (
            isinstance(converted, peewee.Function)
            and converted.name == "json"
            and args is not None
            and len(args) == 1
            and isinstance(args[0], str)
        ):
            return _JSON, args[0]
        raise _NotBindable
    if in_where and isinstance(converted, (list, tuple, set, frozenset)):
        raise _NotBindable
    return _PLAIN, converted


def _same(a: list[Any], b: list[Any]) -> bool:
    """Peewee's parameters equal ours (psycopg2's Json adapters compare by what they wrap)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if type(x) is not type(y):
            return False
        if x != y and getattr(x, "adapted", x) != getattr(y, "adapted", y):
            return False
    return True


def _compiled(
    key: tuple[Any, ...], params: list[Any], build: Callable[[], peewee.BaseQuery], tail_ok: bool = False
) -> tuple[str, list[Any]] | None:
    """The SQL of ``key`` and the constant parameters that follow ``params`` (a select's
    LIMIT); None when the shape is not cacheable. On a miss, Peewee builds the query and
    its parameters are checked against ours."""
    found = _shapes.get(key)
    if found is not None:
        return None if found is _UNCACHEABLE else found
    sql, theirs = build().sql()
    tail = list(theirs[len(params) :]) if tail_ok else []
    ok = _same(list(theirs), params + tail)
    if len(_shapes) >= MAX_SHAPES:
        _shapes.clear()
        _readers.clear()
    _shapes[key] = (sql, tail) if ok else _UNCACHEABLE
    if not ok:
        log.debug("statement not cached (parameters differ from Peewee's): %s", sql)
        return None
    return sql, tail


def _order(field: peewee.Field) -> Any:
    """Where Peewee puts a column in an INSERT or an UPDATE's SET: the model's field order."""
    return field._sort_key  # type: ignore[attr-defined]  # set by Peewee's ModelBase, not in its stubs


def cached(model: type[peewee.Model]) -> tuple[int, int]:
    """(shapes of ``model`` kept compiled, shapes found not cacheable), for tests and debugging."""
    found = [v for k, v in _shapes.items() if k[1] is model]
    bad = sum(1 for v in found if v is _UNCACHEABLE)
    return len(found) - bad, bad


def _plain(model: type[peewee.Model], names: Any) -> bool:
    """Whether setting these attributes of a ``model`` instance only puts them in its
    ``__data__`` (plain fields of a model with Peewee's own __init__): then an instance can
    take a dict of them as it is, without a descriptor call per column."""
    key = (model, tuple(names))
    found = _plains.get(key)
    if found is None:
        found = model.__init__ is peewee.Model.__init__ and all(
            type(vars(model).get(name)) is peewee.FieldAccessor for name in names
        )
        if len(_plains) >= MAX_SHAPES:
            _plains.clear()
        _plains[key] = found
    return found


def _db(model: type[peewee.Model]) -> peewee.Database:
    db: peewee.Database = model._meta.database
    return db


# -- INSERT ---------------------------------------------------------------------------------


def insert(
    model: type[peewee.Model],
    values: dict[str, Any],
    *,
    returning_id: bool = False,
    ignore_conflict: bool = False,
    conflict_target: tuple[str, ...] = (),
    preserve: tuple[str, ...] = (),
) -> Any:
    """``model.insert(values).execute()``, field defaults filled in as Peewee does. Returns
    the new primary key when ``returning_id``, else the number of rows inserted (0 when
    ``ignore_conflict`` met a conflict). ``conflict_target`` with ``preserve`` is an upsert
    that takes the preserved columns from the new row."""
    meta = model._meta
    fields, names, _ = _columns(model, values)
    row = _with_defaults(model, values)
    db = _db(model)
    want_id = returning_id and db.returning_clause and meta.primary_key is not False

    def build(returning: bool) -> peewee.Insert:
        q = model.insert({f: row[f.name] for f in fields})
        if ignore_conflict:
            q = q.on_conflict_ignore()
        elif conflict_target:
            q = q.on_conflict(
                conflict_target=[meta.fields[n] for n in conflict_target], preserve=[meta.fields[n] for n in preserve]
            )
        if returning:
            return q.returning(meta.primary_key)
        return q if returning_id else q.as_rowcount()

    try:
        bound = [_bind(f, row[f.name]) for f in fields]
    except _NotBindable:
        compiled = None
    else:
        conflict = ("ignore",) if ignore_conflict else (conflict_target, preserve) if conflict_target else None
        key = (db, model, "insert", names, tuple([how for how, _ in bound]), conflict, want_id)
        params = [p for _, p in bound]
        compiled = _compiled(key, params, lambda: build(want_id))
    if compiled is None:
        return build(False).execute()  # Peewee's own way: the new id, or the row count
    cursor = db.execute_sql(compiled[0], params)
    if want_id:
        first = cursor.fetchone()
        return first[0] if first else None
    return cursor.lastrowid if returning_id else cursor.rowcount


def _columns(
    model: type[peewee.Model], values: dict[str, Any]
) -> tuple[list[peewee.Field], tuple[str, ...], list[tuple[str, Any]]]:
    """An INSERT of ``values``' columns: its fields in Peewee's column order, their names,
    and the (name, default) of the fields with a default that ``values`` leaves out. Worked
    out once per model and set of columns (sorting them took a fifth of an insert)."""
    key = (model, tuple(values))
    found = _inserts.get(key)
    if found is None:
        meta = model._meta
        missing = [(f.name, default) for f, default in meta.defaults.items() if f.name not in values]
        fields = sorted([meta.fields[n] for n in values] + [meta.fields[n] for n, _ in missing], key=_order)
        if len(_inserts) >= MAX_SHAPES:
            _inserts.clear()
        found = _inserts[key] = (fields, tuple(f.name for f in fields), missing)
    return found


def _with_defaults(model: type[peewee.Model], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` and the defaults of the fields it leaves out, as Model(**values) has them."""
    row = dict(values)
    for name, default in _columns(model, values)[2]:
        row[name] = default() if callable(default) else default
    return row


MANY_CHUNK = 200  # rows per multi-row INSERT: far under SQLite's 32,766 parameters for any table here


def _values_span(sql: str) -> tuple[int, int]:
    """Where the row's ``(?, ?, json(?))`` is in a one-row INSERT's SQL."""
    start = sql.index(" VALUES (") + len(" VALUES ")
    depth = 0
    for i in range(start, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return start, i + 1
    raise ValueError(f"no VALUES row in {sql!r}")


def insert_many(
    model: type[peewee.Model],
    rows: list[dict[str, Any]],
    *,
    returning_id: bool = False,
    conflict_target: tuple[str, ...] = (),
    preserve: tuple[str, ...] = (),
) -> list[int] | None:
    """:func:`insert` of many rows of ``model`` (each with the same columns), in one statement
    per MANY_CHUNK rows: the one-row statement's SQL with its row repeated. Returns the new
    ids in the rows' order when ``returning_id``. A shape that is not cacheable, or rows of
    different columns, are inserted one by one."""
    meta = model._meta
    db = _db(model)
    want_id = returning_id and db.returning_clause and meta.primary_key is not False
    ids: list[int] = []
    for start in range(0, len(rows), MANY_CHUNK):
        chunk = [_with_defaults(model, row) for row in rows[start : start + MANY_CHUNK]]
        fields, names, _ = _columns(model, chunk[0])
        one = None
        params: list[Any] = []
        if all(row.keys() == chunk[0].keys() for row in chunk):
            try:
                bound = [[_bind(f, row[f.name]) for f in fields] for row in chunk]
            except _NotBindable:
                bound = []
            shapes = {tuple(how for how, _ in b) for b in bound}
            if len(shapes) == 1:
                conflict = (conflict_target, preserve) if conflict_target else None
                key = (db, model, "insert", names, tuple([how for how, _ in bound[0]]), conflict, want_id)
                first = [p for _, p in bound[0]]

                def build(row: dict[str, Any] = chunk[0], fields: list[peewee.Field] = fields) -> peewee.Insert:
                    q = model.insert({f: row[f.name] for f in fields})
                    if conflict_target:
                        q = q.on_conflict(
                            conflict_target=[meta.fields[n] for n in conflict_target],
                            preserve=[meta.fields[n] for n in preserve],
                        )
                    return q.returning(meta.primary_key) if want_id else q if returning_id else q.as_rowcount()

                one = _compiled(key, first, build)
                params = [p for b in bound for _, p in b]
        if one is None:
            for row in chunk:
                new_id = insert(
                    model, row, returning_id=returning_id, conflict_target=conflict_target, preserve=preserve
                )
                ids.append(new_id)
            continue
        sql = one[0]
        a, b = _values_span(sql)
        cursor = db.execute_sql(sql[:a] + ", ".join([sql[a:b]] * len(chunk)) + sql[b:], params)
        if want_id:
            # Ids come from one sequence in the rows' order; RETURNING need not list them so.
            ids += sorted(r[0] for r in cursor.fetchall())
        elif returning_id:
            # SQLite: one writer, so the rows of one statement take consecutive rowids.
            last = cursor.lastrowid
            ids += range(last - len(chunk) + 1, last + 1)
    return ids if returning_id else None


def create(model: type[M], **values: Any) -> M:
    """``model.create(**values)``: the instance, with its defaults and new primary key."""
    meta = model._meta
    if _plain(model, tuple(values)):
        # What Model(**values) makes, without setting each value through its descriptor.
        instance = model(__no_default__=1)
        instance.__data__ = _with_defaults(model, values)
    else:
        instance = model(**values)
    data = dict(instance.__data__)
    pk = meta.primary_key
    auto = meta.auto_increment and pk is not False
    pk_name = pk.name if pk is not False else ""
    if auto and data.get(pk_name) is None:
        data.pop(pk_name, None)
    new_id = insert(model, data, returning_id=auto)
    if auto and new_id is not None:
        instance.__data__[pk_name] = new_id
    instance._dirty.clear()  # type: ignore[attr-defined]  # Peewee's change set, not in its stubs
    return instance


# -- UPDATE ---------------------------------------------------------------------------------


def update(model: type[peewee.Model], values: dict[str, Any], **where: Any) -> int:
    """``model.update(**values).where(model.a == x, ...)`` for the ``where`` columns; the
    number of rows changed. A ``where`` value must not be None (that would be IS NULL)."""
    compiled = _update_sql(model, values, where)
    if compiled is None:
        changed: int = _update_query(model, values, where).execute()
        return changed
    changed = _db(model).execute_sql(*compiled).rowcount
    return changed


def update_many(model: type[peewee.Model], rows: list[tuple[dict[str, Any], Any]]) -> None:
    """:func:`update` of each ``(values, id)`` of ``rows``: the rows of one shape in one call
    (``executemany`` on SQLite, one round trip of ``execute_batch`` on PostgreSQL)."""
    db = _db(model)
    batches: dict[str, list[list[Any]]] = {}
    for values, row_id in rows:
        compiled = _update_sql(model, values, {"id": row_id})
        if compiled is None:
            _update_query(model, values, {"id": row_id}).execute()
        else:
            batches.setdefault(compiled[0], []).append(compiled[1])
    for sql, params in batches.items():
        if len(params) == 1:
            db.execute_sql(sql, params[0])
        elif isinstance(db, peewee.PostgresqlDatabase):
            from psycopg2.extras import execute_batch

            execute_batch(db.cursor(), sql, params, page_size=len(params))
        else:
            db.cursor().executemany(sql, params)


def _update_query(model: type[peewee.Model], values: dict[str, Any], where: dict[str, Any]) -> peewee.Update:
    fields = model._meta.fields
    return model.update({fields[n]: v for n, v in values.items()}).where(*[fields[n] == v for n, v in where.items()])


def _update_sql(
    model: type[peewee.Model], values: dict[str, Any], where: dict[str, Any]
) -> tuple[str, list[Any]] | None:
    """The compiled UPDATE and its parameters, or None when Peewee must build it."""
    meta = model._meta
    names = tuple(sorted(values, key=lambda n: _order(meta.fields[n])))  # Peewee's SET order
    conds = tuple(where)
    try:
        bound = [_bind(meta.fields[n], values[n]) for n in names]
        bound_where = [_bind(meta.fields[n], where[n], True) for n in conds if where[n] is not None]
        if len(bound_where) != len(conds):
            return None
    except _NotBindable:
        return None
    key = (_db(model), model, "update", tuple((n, how) for n, (how, _) in zip(names, bound, strict=True)), conds)
    params = [p for _, p in bound] + [p for _, p in bound_where]
    compiled = _compiled(key, params, lambda: _update_query(model, {n: values[n] for n in names}, where))
    return None if compiled is None else (compiled[0], params)


# -- SELECT ---------------------------------------------------------------------------------


@overload
def get(model: type[M], *, for_update: bool = False, as_dict: Literal[False] = False, **where: Any) -> M | None: ...


@overload
def get(model: type[M], *, for_update: bool = False, as_dict: Literal[True], **where: Any) -> dict[str, Any] | None: ...


def get(model: type[M], *, for_update: bool = False, as_dict: bool = False, **where: Any) -> Any:
    """``model.select().where(model.a == x, ...).first()`` (``.for_update()``, ``.dicts()``
    as asked): the first matching row as an instance (or dict), or None."""
    meta = model._meta
    conds = tuple(where)

    def build() -> peewee.ModelSelect[M]:
        query = model.select().where(*[meta.fields[n] == where[n] for n in conds]).limit(1)
        return query.for_update() if for_update else query

    try:
        bound = [_bind(meta.fields[n], where[n], True) for n in conds if where[n] is not None]
        if len(bound) != len(conds):
            raise _NotBindable
    except _NotBindable:
        compiled = None
    else:
        key = (_db(model), model, "select", conds, for_update)
        params = [p for _, p in bound]
        compiled = _compiled(key, params, build, tail_ok=True)
    if compiled is None:
        query = build()
        return (query.dicts() if as_dict else query).first()
    cursor = _db(model).execute_sql(compiled[0], params + compiled[1])
    row = cursor.fetchone()
    if row is None:
        return None
    return _build(model, _reader(model, cursor, as_dict), row, as_dict)


def instances(model: type[M], cursor: Any) -> list[M]:
    """The rows of ``cursor``, a query of ``model.select()``'s columns, as instances built as
    Peewee's cursor wrapper builds them (for queries whose SQL is kept elsewhere)."""
    reader = _reader(model, cursor, False)
    out: list[M] = [_build(model, reader, row, False) for row in cursor.fetchall()]
    return out


def _reader(model: type[peewee.Model], cursor: Any, as_dict: bool) -> tuple[Any, ...]:
    """How Peewee's cursor wrapper names and converts the columns of ``model.select()``,
    worked out once per model (the wrapper does it per query: most of a lookup's time)."""
    key = (_db(model), model, as_dict)
    reader = _readers.get(key)
    if reader is None:
        columns = model._meta.sorted_fields
        wrapper = (
            peewee.ModelDictCursorWrapper(cursor, model, columns)
            if as_dict
            else peewee.ModelObjectCursorWrapper(cursor, model, columns, model)
        )
        wrapper.initialize()
        reader = _readers[key] = (
            wrapper.unique_columns,
            wrapper.converters,
            wrapper.no_convert,
            wrapper.convert,
            _plain(model, wrapper.unique_columns),
        )
    return reader


def _build(model: type[M], reader: tuple[Any, ...], row: tuple[Any, ...], as_dict: bool) -> Any:
    names, converters, no_convert, convert, plain = reader
    data = {names[i]: row[i] for i in no_convert}  # as the wrapper's process_row does
    for i in convert:
        data[names[i]] = converters[i](row[i])
    if as_dict:
        return data
    if plain:
        instance = model(__no_default__=1)
        instance.__data__ = data
        return instance
    instance = model(__no_default__=1, **data)
    instance._dirty.clear()  # type: ignore[attr-defined]  # Peewee's change set, not in its stubs
    return instance


# -- any query --------------------------------------------------------------------------------


def rows(
    model: type[peewee.Model], shape: Any, params: list[Any], build: Callable[[], peewee.SelectQuery]
) -> list[tuple[Any, ...]]:
    """The rows, as tuples, of the query ``build()`` makes, for queries the helpers above do
    not cover. ``params`` are its parameters in the order Peewee binds them and ``shape``
    names everything else about it (two queries of one shape differ only in ``params``).
    Checked like the rest: parameters Peewee would bind differently mean no caching."""
    key = (_db(model), model, "rows", shape)
    if any(p is None or isinstance(p, (peewee.Node, list, tuple, set, frozenset)) for p in params):
        compiled = None  # "x == None" is IS NULL, with no parameter: another shape
    else:
        compiled = _compiled(key, list(params), build)
    if compiled is None:
        found: list[tuple[Any, ...]] = list(build().tuples())
        return found
    found = _db(model).execute_sql(compiled[0], list(params)).fetchall()
    return found
