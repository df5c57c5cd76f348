"""tables.* handlers."""

from __future__ import annotations

import msgspec

from ..catalog import COMMON_FIELDS
from ..protocol import tables as p
from ..protocol.registry import NoParams
from ..rpc.router import CallContext, handles


@handles(p.LIST)
async def list_tables(ctx: CallContext, params: NoParams) -> list[p.TableSummary]:
    """Every memory table in name order, with its database name, field count and row count."""
    store = ctx.daemon.store

    def count() -> list[p.TableSummary]:
        return [
            p.TableSummary(
                name=name,
                db_table=spec.db_table,
                description=spec.description,
                fields=len(spec.fields),
                row_count=store.models[name].select().count(),
            )
            for name, spec in list(store.catalog.items())  # a table may be created meanwhile
        ]

    return await store.read(count)


@handles(p.DESCRIBE)
async def describe(ctx: CallContext, params: p.TableRef) -> p.TableDescription:
    """One table: the common columns every table has, then its own fields with type,
    whether required, and description; the inference hints; the row count; its current
    ``schema_version`` and ``versions``, the history of approved schema changes (each with
    its diff and the DDL that ran)."""
    store = ctx.daemon.store
    spec = store.spec(params.table)
    fields = [
        p.FieldInfo(name=n, type=t, required=n == "id", description=d, common=True)
        for n, (t, d) in COMMON_FIELDS.items()
    ]
    fields += [
        p.FieldInfo(name=f.name, type=f.type, required=f.required, description=f.description, common=False)
        for f in spec.fields
    ]
    model = store.models[params.table]
    row_count = await store.read(lambda: model.select().count())
    history = await store.read(ctx.daemon.governance.schema_history, params.table)
    return p.TableDescription(
        name=spec.name,
        db_table=spec.db_table,
        description=spec.description,
        fields=fields,
        hints=msgspec.to_builtins(spec.hints),
        row_count=row_count,
        schema_version=history[-1]["version"] if history else 1,
        versions=msgspec.convert(history, list[p.SchemaVersion]),
    )
