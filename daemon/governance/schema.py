"""Schema changes: validate a change, plan the exact SQL, check for data loss, run it.

A change is a *diff*, stored in the proposal's payload and, once applied, in
``clarity_schema_versions``:

    {"action": "create_table", "table": t, "spec": {name, db_table, description, fields, hints}}
    {"action": "add_column",   "table": t, "field": {name, type, required, description}}
    {"action": "alter_column", "table": t, "field": {...new}, "old": {...}, "allow_data_loss": b}
    {"action": "drop_column",  "table": t, "column": c, "old": {...}, "allow_data_loss": b}

The SQL comes from Peewee's migrator; it is rendered once into statements, shown in the
proposal's preview and, on approval, those same statements are what runs. A type change
is add-new-column, convert each value in Python (the same conversion the API uses), drop
the old column, rename: portable across SQLite and PostgreSQL, and a value that cannot be
converted is seen before anything changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
import peewee
from playhouse.migrate import Operation, SchemaMigrator

from ..catalog import COMMON_FIELDS, FieldSpec, TableSpec
from ..errors import Conflict, InvalidParams, NotFound
from ..storage.models import FIELD_FACTORIES, MemoryModel, build_model
from ..storage.rows import coerce

EXAMPLES = 5  # row ids shown for data that would be lost


class DataLoss(Conflict):
    """The change would lose data and the proposal does not say it may."""


@dataclass
class Plan:
    """What a schema change will do: the statements, and the values a type change converts."""

    statements: list[tuple[str, list[Any]]] = field(default_factory=list)
    convert: tuple[str, str, str] | None = None  # (column, tmp column, new type) for a type change
    rows_in_table: int = 0
    rows_affected: int = 0
    lost_rows: list[int] = field(default_factory=list)  # ids whose value would be lost
    lost_count: int = 0
    notes: list[str] = field(default_factory=list)

    def preview(self, table: str) -> dict[str, Any]:
        ddl = [sql if not params else f"{sql} -- params {params!r}" for sql, params in self.statements]
        if self.convert:
            column, tmp, new_type = self.convert
            # Where the per-row conversion runs: after the new column is added.
            ddl.insert(
                1,
                f'UPDATE "{table}" SET "{tmp}" = <"{column}" as {new_type}> WHERE "id" = ?'
                f" -- once per row with a value ({self.rows_affected})",
            )
        return {
            "ddl": ddl,
            "rows_in_table": self.rows_in_table,
            "rows_affected": self.rows_affected,
            "data_loss": {"rows": self.lost_count, "examples": self.lost_rows} if self.lost_count else None,
            "notes": self.notes,
        }


# -- validating a requested change ------------------------------------------------------


def _check_name(name: str, what: str) -> None:
    if not name.isidentifier() or name != name.lower() or len(name) > 60:
        raise InvalidParams(f"{what} {name!r} is not a lowercase identifier (letters, digits, _)")


def _check_field(f: FieldSpec) -> None:
    _check_name(f.name, "column")
    if f.name in COMMON_FIELDS:
        raise InvalidParams(f"{f.name!r} is a common column every table has; it cannot be changed")
    if f.name.endswith("__new"):
        raise InvalidParams("column names ending in __new are reserved for type changes")


def field_dict(f: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(f)
    return out


def make_diff(
    action: str,
    table: str,
    catalog: dict[str, TableSpec],
    *,
    field_spec: FieldSpec | None,
    column: str | None,
    fields: list[FieldSpec],
    description: str,
    db_table: str | None,
    hints: dict[str, Any] | None,
    allow_data_loss: bool,
) -> dict[str, Any]:
    """Validate a requested change against the live catalog; return its diff."""
    if action == "create_table":
        _check_name(table, "table")
        if table in catalog or table == "policy":
            raise Conflict(f"table {table!r} already exists")
        db_name = db_table or f"memory_{table}"
        _check_name(db_name, "db_table")
        if any(s.db_table == db_name for s in catalog.values()):
            raise Conflict(f"db_table {db_name!r} is already used")
        if not fields:
            raise InvalidParams("create_table needs at least one field")
        seen: set[str] = set()
        for f in fields:
            _check_field(f)
            if f.name in seen:
                raise InvalidParams(f"field {f.name!r} appears twice")
            seen.add(f.name)
        try:
            spec = msgspec.convert(
                {
                    "name": table,
                    "db_table": db_name,
                    "description": description or table,
                    "fields": [field_dict(f) for f in fields],
                    "hints": hints or {},
                },
                TableSpec,
            )
        except msgspec.ValidationError as e:
            raise InvalidParams(f"invalid table definition: {e}") from None
        return {"action": action, "table": table, "spec": msgspec.to_builtins(spec)}

    if table not in catalog:
        raise NotFound(f"unknown table {table!r}; tables.list names them")
    spec = catalog[table]
    if action == "add_column":
        if field_spec is None:
            raise InvalidParams("add_column needs field: {name, type, required, description}")
        _check_field(field_spec)
        if spec.field(field_spec.name) is not None:
            raise Conflict(f"{table} already has a column {field_spec.name!r}")
        return {"action": action, "table": table, "field": field_dict(field_spec)}
    if action == "alter_column":
        if field_spec is None:
            raise InvalidParams("alter_column needs field: the column's new {name, type, required, description}")
        _check_field(field_spec)
        old = spec.field(field_spec.name)
        if old is None:
            raise InvalidParams(f"{table} has no column {field_spec.name!r}")
        if old == field_spec:
            raise InvalidParams(f"{table}.{field_spec.name} already is exactly that")
        return {
            "action": action,
            "table": table,
            "field": field_dict(field_spec),
            "old": field_dict(old),
            "allow_data_loss": allow_data_loss,
        }
    if action == "drop_column":
        name = column or (field_spec.name if field_spec else None)
        if not name:
            raise InvalidParams("drop_column needs column: the column's name")
        if name in COMMON_FIELDS:
            raise InvalidParams(f"{name!r} is a common column every table has; it cannot be dropped")
        old = spec.field(name)
        if old is None:
            raise InvalidParams(f"{table} has no column {name!r}")
        return {
            "action": action,
            "table": table,
            "column": name,
            "old": field_dict(old),
            "allow_data_loss": allow_data_loss,
        }
    raise InvalidParams(f"unknown schema action {action!r}")


def check_current(diff: dict[str, Any], catalog: dict[str, TableSpec]) -> None:
    """At approval: the table must still be as the proposal saw it (no silent overwrite)."""
    action, table = diff["action"], diff["table"]
    if action == "create_table":
        if table in catalog:
            raise Conflict(f"table {table!r} was created meanwhile")
        return
    if table not in catalog:
        raise Conflict(f"table {table!r} no longer exists")
    spec = catalog[table]
    name = diff.get("column") or diff["field"]["name"]
    current = spec.field(name)
    if action == "add_column":
        if current is not None:
            raise Conflict(f"{table} has a column {name!r} since this proposal was made")
    elif current is None or field_dict(current) != diff["old"]:
        raise Conflict(f"{table}.{name} changed since this proposal was made; propose again")


# -- planning ---------------------------------------------------------------------------


def _render(db: peewee.Database, result: Any, out: list[tuple[str, list[Any]]]) -> None:
    """Peewee's Operation.run, but collecting the statements instead of running them."""
    if isinstance(result, (peewee.Node, peewee.Context)):
        sql, params = db.get_sql_context().sql(result).query()
        out.append((sql, list(params)))
    elif isinstance(result, Operation):
        _render(db, result.fn(result.migrator, *result.args, **result.kwargs), out)
    elif isinstance(result, (list, tuple)):
        for item in result:
            _render(db, item, out)


def _table_exists(db: peewee.Database, name: str) -> bool:
    if isinstance(db, peewee.PostgresqlDatabase):
        # Peewee's table_exists() looks in "public"; the daemon's tables live on the search_path.
        return bool(db.execute_sql("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0])
    return db.table_exists(name)


def _drop_indexes(
    db: peewee.Database, migrator: SchemaMigrator, db_table: str, column: str, out: list[tuple[str, list[Any]]]
) -> None:
    """Drop the indexes on ``column`` before the column: SQLite refuses to drop an indexed one."""
    for index in db.get_indexes(db_table):
        if column in index.columns:
            _render(db, migrator.drop_index(db_table, index.name), out)


def _field(ftype: str) -> peewee.Field:
    return FIELD_FACTORIES[ftype](null=True)


def convert_value(value: Any, ftype: str) -> Any:
    """A stored value as the new type; raises InvalidParams when it cannot be one."""
    if ftype in ("string", "text") and not isinstance(value, str):
        if isinstance(value, datetime):
            return value.isoformat()
        return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)
    if ftype == "json":
        return value
    return coerce(value, ftype, "")


def _same_storage(old: str, new: str) -> bool:
    return FIELD_FACTORIES[old] is FIELD_FACTORIES[new]


def plan(
    db: peewee.Database, diff: dict[str, Any], catalog: dict[str, TableSpec], models: dict[str, type[MemoryModel]]
) -> Plan:
    """The statements ``diff`` runs and the rows it touches, from the database as it is now."""
    action, table = diff["action"], diff["table"]
    migrator = SchemaMigrator.from_database(db)
    p = Plan()
    if action == "create_table":
        spec = msgspec.convert(diff["spec"], TableSpec)
        if _table_exists(db, spec.db_table):
            raise Conflict(f"a database table {spec.db_table!r} already exists")
        model = build_model(spec, db)
        schema = model._schema  # type: ignore[attr-defined]  # Peewee's SchemaManager, not in its stubs
        _render(db, schema._create_table(safe=False), p.statements)
        for index in schema._create_indexes(safe=False):
            _render(db, index, p.statements)
        return p

    spec, model = catalog[table], models[table]
    db_table = spec.db_table
    p.rows_in_table = model.select().count()
    if action == "add_column":
        new = diff["field"]
        _render(db, migrator.add_column(db_table, new["name"], _field(new["type"])), p.statements)
        p.rows_affected = p.rows_in_table
        if p.rows_in_table:
            p.notes.append(f"each of the {p.rows_in_table} existing rows gets {new['name']} = NULL")
        return p

    name = diff.get("column") or diff["field"]["name"]
    column = getattr(model, name)
    with_value = model.select(model.id, column).where(column.is_null(False)).order_by(model.id)
    if action == "drop_column":
        _drop_indexes(db, migrator, db_table, name, p.statements)
        _render(db, migrator.drop_column(db_table, name), p.statements)
        p.rows_affected = p.rows_in_table
        p.lost_count = with_value.count()
        p.lost_rows = [r.id for r in with_value.limit(EXAMPLES)]
        return p

    old, new = diff["old"], diff["field"]
    if _same_storage(old["type"], new["type"]):
        p.notes.append("no database change: only the catalog (type name, required, description) changes")
        if new["required"] and not old["required"]:
            missing = p.rows_in_table - with_value.count()
            if missing:
                p.notes.append(f"{missing} existing row(s) have no {name}; they stay, new proposals must fill it")
        return p
    tmp = f"{name}__new"
    _render(db, migrator.add_column(db_table, tmp, _field(new["type"])), p.statements)  # first: see execute()
    _drop_indexes(db, migrator, db_table, name, p.statements)
    _render(db, migrator.drop_column(db_table, name), p.statements)
    _render(db, migrator.rename_column(db_table, tmp, name), p.statements)
    after = build_model(apply_diff(spec, diff), db)
    for index in after._meta.fields_to_index():  # the column's indexes, if its new type has any
        if any(getattr(e, "name", None) == name for e in index._expressions):
            _render(db, after._schema._create_index(index, safe=True), p.statements)  # type: ignore[attr-defined]
    p.convert = (name, tmp, new["type"])
    for row in with_value.iterator():
        p.rows_affected += 1
        try:
            convert_value(getattr(row, name), new["type"])
        except InvalidParams:
            p.lost_count += 1
            if len(p.lost_rows) < EXAMPLES:
                p.lost_rows.append(row.id)
    if p.lost_count:
        p.notes.append(f"{p.lost_count} value(s) cannot be read as {new['type']} and would become NULL")
    return p


def refuse_data_loss(diff: dict[str, Any], p: Plan) -> None:
    """Raise DataLoss when the plan loses values and the diff does not allow it."""
    if p.lost_count and not diff.get("allow_data_loss"):
        name = diff.get("column") or diff["field"]["name"]
        what = "dropping" if diff["action"] == "drop_column" else "changing the type of"
        raise DataLoss(
            f"{what} {diff['table']}.{name} would lose the values of {p.lost_count} row(s) "
            f"(e.g. ids {', '.join(map(str, p.lost_rows))}); set allow_data_loss to do it anyway",
            {"data_loss": {"rows": p.lost_count, "examples": p.lost_rows}},
        )


def execute(
    db: peewee.Database,
    diff: dict[str, Any],
    p: Plan,
    models: dict[str, type[MemoryModel]],
    catalog: dict[str, TableSpec],
) -> None:
    """Run the planned statements (inside the caller's transaction)."""
    if not p.convert:
        for sql, params in p.statements:
            db.execute_sql(sql, params)
        return
    column, tmp, new_type = p.convert
    db_table = catalog[diff["table"]].db_table
    old_model = models[diff["table"]]
    # A throwaway model that knows only id and the new column, to write converted values.
    target: type[peewee.Model] = type(
        "Convert",
        (peewee.Model,),
        {
            "id": peewee.BigAutoField(),
            tmp: _field(new_type),
            "Meta": type("Meta", (), {"database": db, "table_name": db_table}),
        },
    )
    add, rest = p.statements[0], p.statements[1:]
    db.execute_sql(*add)
    col = getattr(old_model, column)
    for row in old_model.select(old_model.id, col).where(col.is_null(False)).iterator():
        try:
            value = convert_value(getattr(row, column), new_type)
        except InvalidParams:
            value = None  # allowed: the plan was checked with refuse_data_loss
        if value is not None:
            target.update({getattr(target, tmp): value}).where(target._meta.fields["id"] == row.id).execute()
    for sql, params in rest:
        db.execute_sql(sql, params)


# -- the catalog after a change ----------------------------------------------------------


def apply_diff(spec: TableSpec | None, diff: dict[str, Any]) -> TableSpec:
    """The table's spec once ``diff`` is applied (also how versions are replayed at start)."""
    action = diff["action"]
    if action == "create_table":
        return msgspec.convert(diff["spec"], TableSpec)
    assert spec is not None
    fields = list(spec.fields)
    if action == "add_column":
        new = msgspec.convert(diff["field"], FieldSpec)
        fields = [f for f in fields if f.name != new.name] + [new]
    elif action == "alter_column":
        new = msgspec.convert(diff["field"], FieldSpec)
        fields = [new if f.name == new.name else f for f in fields]
    elif action == "drop_column":
        fields = [f for f in fields if f.name != diff["column"]]
    return msgspec.structs.replace(spec, fields=fields)


def inverse(diff: dict[str, Any]) -> dict[str, Any] | None:
    """The diff that undoes ``diff``, when there is one (a created table is not dropped)."""
    action = diff["action"]
    if action == "add_column":
        return {
            "action": "drop_column",
            "table": diff["table"],
            "column": diff["field"]["name"],
            "old": diff["field"],
            "allow_data_loss": False,
        }
    if action == "alter_column":
        return {
            "action": "alter_column",
            "table": diff["table"],
            "field": diff["old"],
            "old": diff["field"],
            "allow_data_loss": False,
        }
    if action == "drop_column":
        return {"action": "add_column", "table": diff["table"], "field": diff["old"]}
    return None
