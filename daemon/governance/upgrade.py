"""Upgrades: the schema files changed since the database last saw them.

At every start the daemon compares ``schemas/*.yaml`` with the baseline the database was
built from (``clarity_schema_files``: each table's spec as the files said at the last start)
and turns each difference into a schema proposal, through the same machinery as
``proposals.schema_tweak`` (diff, DDL preview, apply, version, audit):

- additive changes — a new table, a new optional field, a field whose new definition needs no
  database change (a description) — are approved by the daemon and applied at once; the audit
  entry names the file;
- anything else — a dropped field, a type change, a field becoming required — is left pending
  with its DDL preview for an operator (the daemon says so in its log and in system.health).

The live catalog keeps a field as the database has it until its change is applied. A database
from before this table existed is compared with the tables and columns it really has.
``clarityd --check`` runs :func:`plan_upgrade` without writing anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
import peewee

from ..catalog import TableSpec
from ..storage.models import FIELD_FACTORIES, json_field, utcnow
from . import schema
from .models import Proposal, SchemaVersion

if TYPE_CHECKING:
    from ..storage import Store

log = logging.getLogger(__name__)


class SchemaFile(peewee.Model):
    """A table as its schema file defined it when the database last started (the baseline that
    schema versions are replayed on)."""

    table = peewee.TextField(primary_key=True)
    spec = json_field()
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "clarity_schema_files"


@dataclass
class Change:
    """One difference between the files and the database, as a schema diff."""

    diff: dict[str, Any]
    auto: bool  # applied by the daemon (additive); else left pending for an operator
    why: str

    @property
    def source(self) -> str:
        return f"schemas/{self.diff['table']}.yaml"


def _fields(spec: TableSpec | None) -> dict[str, Any]:
    return {f.name: f for f in spec.fields} if spec else {}


def _with_files_words(old: TableSpec, new: TableSpec) -> TableSpec:
    """``old``'s fields with the description and hints ``new`` gives (they change no column)."""
    return msgspec.structs.replace(old, description=new.description, hints=new.hints)


def _dropped_by_versions() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in SchemaVersion.select(SchemaVersion.table, SchemaVersion.diff).where(
        SchemaVersion.action == "drop_column"
    ):
        out.setdefault(row.table, set()).add(row.diff["column"])
    return out


def _columns(db: peewee.Database, db_table: str) -> set[str]:
    cursor = db.execute_sql(f'SELECT * FROM "{db_table}" WHERE 1 = 0')
    return {d[0] for d in cursor.description}


def read_baseline(store: Store, files: dict[str, TableSpec]) -> tuple[dict[str, TableSpec | None], bool]:
    """The table specs the database was built from, by table (None: not in the database), and
    whether the database is new. Read only."""
    db = store.db
    stored: dict[str, TableSpec] = {}
    if schema._table_exists(db, SchemaFile._meta.table_name):
        stored = {r.table: msgspec.convert(r.spec, TableSpec) for r in SchemaFile.select()}
    unknown = {name: spec for name, spec in files.items() if name not in stored}
    existing = {name: spec for name, spec in unknown.items() if schema._table_exists(db, spec.db_table)}
    if not stored and not existing:
        return {name: None for name in files}, True
    # Tables the baseline does not know (a database from before clarity_schema_files): what
    # the database really has. A column an operator dropped through the API is not "new".
    dropped = _dropped_by_versions() if existing else {}
    baseline: dict[str, TableSpec | None] = {name: None for name in files}
    baseline.update(stored)
    for name, spec in existing.items():
        columns = _columns(db, spec.db_table) | dropped.get(name, set())
        baseline[name] = msgspec.structs.replace(spec, fields=[f for f in spec.fields if f.name in columns])
    return baseline, False


def plan_upgrade(
    files: dict[str, TableSpec], old: dict[str, TableSpec | None], live: dict[str, TableSpec]
) -> list[Change]:
    """The changes that bring ``live`` (the baseline with schema versions replayed) from the
    ``old`` files to the new ``files``. Only what the files changed is proposed: a column an
    operator added or dropped through the API stays as they left it."""
    changes: list[Change] = []
    for name, new in files.items():
        before = old.get(name)
        current = live.get(name)
        if before is None:
            if current is None:
                changes.append(
                    Change(
                        {"action": "create_table", "table": name, "spec": msgspec.to_builtins(new)}, True, "a new table"
                    )
                )
            continue
        if current is None:
            continue
        was, now, has = _fields(before), _fields(new), _fields(current)
        for fname, f in now.items():
            if was.get(fname) == f or has.get(fname) == f:
                continue  # unchanged in the file, or already as the file says
            if fname not in has:
                why = "a new required field: existing rows have no value" if f.required else "a new optional field"
                changes.append(
                    Change({"action": "add_column", "table": name, "field": schema.field_dict(f)}, not f.required, why)
                )
                continue
            cur = has[fname]
            same_storage = FIELD_FACTORIES[cur.type] is FIELD_FACTORIES[f.type]
            auto = same_storage and (cur.required or not f.required)
            why = (
                "the definition changed, the column does not"
                if auto
                else f"type {cur.type} -> {f.type}"
                if not same_storage
                else "the field becomes required"
            )
            changes.append(
                Change(
                    {
                        "action": "alter_column",
                        "table": name,
                        "field": schema.field_dict(f),
                        "old": schema.field_dict(cur),
                        "allow_data_loss": not auto,
                    },
                    auto,
                    why,
                )
            )
        for fname in was:
            if fname not in now and fname in has:
                changes.append(
                    Change(
                        {
                            "action": "drop_column",
                            "table": name,
                            "column": fname,
                            "old": schema.field_dict(has[fname]),
                            "allow_data_loss": True,
                        },
                        False,
                        "the field is no longer in the file",
                    )
                )
    return changes


def already_proposed(change: Change) -> Proposal | None:
    """The same change from the same file, pending or rejected: not proposed again (an
    operator's rejection stands until the file changes again)."""
    query = Proposal.select().where(
        Proposal.kind == change.diff["action"],
        Proposal.table == change.diff["table"],
        Proposal.source == change.source,
        Proposal.status.in_(("pending", "rejected")),
    )
    return next((p for p in query if p.payload == change.diff), None)


def save_baseline(files: dict[str, TableSpec], old: dict[str, TableSpec | None], applied: list[Change]) -> None:
    """Record what the database is now built from: the old specs with the files' words and the
    applied changes; a pending change stays out, so the next start still sees it."""
    rows = []
    for name, new in files.items():
        spec = old.get(name)
        spec = _with_files_words(spec, new) if spec is not None else None
        for change in applied:
            if change.diff["table"] == name:
                spec = schema.apply_diff(spec, change.diff)
        if spec is not None:
            rows.append({"table": name, "spec": msgspec.to_builtins(spec), "updated_at": utcnow()})
    for name, spec in old.items():  # a file that went away: its table stays as it was
        if name not in files and spec is not None:
            rows.append({"table": name, "spec": msgspec.to_builtins(spec), "updated_at": utcnow()})
    if {r.table: r.spec for r in SchemaFile.select()} == {r["table"]: r["spec"] for r in rows}:
        return  # nothing changed: a start writes nothing here
    SchemaFile.delete().execute()
    for start in range(0, len(rows), 100):
        SchemaFile.insert_many(rows[start : start + 100]).execute()


def check(store: Store) -> list[str]:
    """What the next start would change, in words (``clarityd --check``; writes nothing)."""
    from .catalog_sync import SchemaCatalog

    files = dict(store.catalog)
    old, fresh = read_baseline(store, files)
    if fresh:
        return [f"a new database: its {len(files)} tables will be created"]
    baseline = {n: _with_files_words(s, files[n]) if n in files else s for n, s in old.items() if s is not None}
    for name in files:
        if name not in baseline:
            store.drop_table_spec(name)
    for spec in baseline.values():
        store.put_table(spec)
    if schema._table_exists(store.db, SchemaVersion._meta.table_name):
        catalog = SchemaCatalog(store)
        catalog.baseline = baseline
        catalog.sync()  # in memory only
    lines = []
    for change in plan_upgrade(files, old, store.catalog):
        diff = change.diff
        what = diff.get("column") or (diff.get("field") or {}).get("name")
        target = f"{diff['table']}.{what}" if what else diff["table"]
        seen = already_proposed(change) if schema._table_exists(store.db, Proposal._meta.table_name) else None
        verdict = "applied at start" if change.auto else "left pending for an operator"
        if seen is not None:
            verdict = f"already proposed ({seen.status}: proposal {seen.id})"
        lines.append(f"{change.source}: {diff['action']} {target} ({change.why}): {verdict}")
    return lines
