"""Applying an approved proposal to the memory tables (inside the caller's transaction).

Row changes check the row's version, so an approval made against an old version is a
conflict, never a silent overwrite. Errors raise; the caller runs this in a savepoint, so
a failure leaves the table untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import peewee

from ..errors import Conflict
from ..storage import compiled, fulltext
from ..storage.models import MemoryModel, utcnow
from ..storage.rows import coerce, field_types, row_to_dict
from . import schema
from .models import Proposal, SchemaVersion

if TYPE_CHECKING:
    from ..storage import Store

# Columns a proposal may never set: the store owns them.
RESERVED = ("id", "created_at", "updated_at", "version")
SCHEMA_LOCK = 0x436C6172  # pg_advisory_xact_lock key: one schema change at a time across daemons


class StaleRow(Conflict):
    """The row changed (or vanished) since the proposal was made."""


def plain(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row as JSON-ready builtins (datetimes as ISO text), for snapshots and audit rows."""
    return None if row is None else msgspec.to_builtins(row_to_dict(row))


def locked_row(store: Store, model: type[MemoryModel], row_id: int | None) -> dict[str, Any] | None:
    """The row, locked against other daemons until this transaction ends (PostgreSQL)."""
    query = model.select().where(model.id == row_id)
    if store.backend == "postgresql":
        query = query.for_update()
    row: dict[str, Any] | None = query.dicts().first()
    return row


def _values(store: Store, table: str, fields: dict[str, Any]) -> dict[str, Any]:
    types = field_types(store.spec(table))
    gone = sorted(set(fields) - set(types))
    if gone:  # dropped by a schema change approved after this proposal was made
        raise Conflict(
            f"{table} has no column(s) {', '.join(gone)} any more: the table changed since this "
            f"proposal was made; propose again",
            {"columns": gone},
        )
    return {k: coerce(v, types[k], k) for k, v in fields.items()}


def apply_insert(store: Store, p: Proposal) -> dict[str, Any]:
    """Insert the row; a restore (undo of a delete) brings back its old id and created_at."""
    model = store.model(p.table)
    values = _values(store, p.table, p.payload)
    values.setdefault("source", p.source)
    values.setdefault("trust_score", p.confidence)
    if p.row_id is not None:
        values["id"] = p.row_id
    row = compiled.create(model, **values)  # model.create, its SQL built once (a row per ingested file)
    return plain(compiled.get(model, as_dict=True, id=row.id))  # type: ignore[return-value]


def _check_version(p: Proposal, before: dict[str, Any] | None) -> dict[str, Any]:
    if before is None:
        raise StaleRow(f"{p.table} row {p.row_id} no longer exists", {"current_version": None})
    if p.expected_version is not None and before["version"] != p.expected_version:
        raise StaleRow(
            f"{p.table} row {p.row_id} changed since this proposal was made "
            f"(it was made against version {p.expected_version}, the row is now at version {before['version']})",
            {"current_version": before["version"], "expected_version": p.expected_version},
        )
    return before


def apply_update(store: Store, p: Proposal) -> tuple[dict[str, Any], dict[str, Any]]:
    model = store.model(p.table)
    before = _check_version(p, locked_row(store, model, p.row_id))
    values = _values(store, p.table, p.payload)
    # Conditional on the version too: a writer we could not lock out still cannot slip in.
    changed = (
        model.update(**values, version=model.version + 1, updated_at=utcnow())
        .where(model.id == p.row_id, model.version == before["version"])
        .execute()
    )
    if changed != 1:
        raise StaleRow(f"{p.table} row {p.row_id} changed while this proposal was being applied")
    after = model.select().where(model.id == p.row_id).dicts().first()
    return plain(before), plain(after)  # type: ignore[return-value]


def apply_delete(store: Store, p: Proposal) -> dict[str, Any]:
    model = store.model(p.table)
    before = _check_version(p, locked_row(store, model, p.row_id))
    deleted = model.delete().where(model.id == p.row_id, model.version == before["version"]).execute()
    if deleted != 1:
        raise StaleRow(f"{p.table} row {p.row_id} changed while this proposal was being applied")
    return plain(before)  # type: ignore[return-value]


def lock_schema(store: Store) -> None:
    """Serialize schema changes across daemons sharing one PostgreSQL (held until commit)."""
    if store.backend == "postgresql":
        store.db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))


def apply_schema(store: Store, p: Proposal, actor: str) -> tuple[dict[str, Any], SchemaVersion]:
    """Alter the database as ``p.payload`` says, record the new version and update the live
    catalog. The caller has taken the schema lock and brought the catalog up to date."""
    diff = p.payload
    table = diff["table"]
    schema.check_current(diff, store.catalog)
    plan = schema.plan(store.db, diff, store.catalog, store.models)
    schema.refuse_data_loss(diff, plan)
    db_table = diff["spec"]["db_table"] if diff["action"] == "create_table" else store.catalog[table].db_table
    preview = plan.preview(db_table)
    if diff["action"] != "create_table":  # its triggers name the columns (SQLite); rebuilt by the indexer
        fulltext.detach(store.db, db_table)
    schema.execute(store.db, diff, plan, store.models, store.catalog)
    if diff["action"] == "create_table":
        number = 1
    else:  # version 1 is the table as schemas/*.yaml defines it
        last = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).where(SchemaVersion.table == table).scalar()
        number = (last or 1) + 1
    version = SchemaVersion.create(
        table=table,
        version=number,
        action=diff["action"],
        diff=diff,
        ddl=preview["ddl"],
        rows_touched=plan.rows_affected,
        proposal_id=p.id,
        actor=actor,
        created_at=utcnow(),
    )
    store.put_table(schema.apply_diff(store.catalog.get(table), diff))
    return preview, version
