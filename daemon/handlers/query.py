"""query.* handlers."""

from __future__ import annotations

import msgspec

from ..protocol import query as p
from ..rpc.router import CallContext, handles
from ..storage.search import run_readonly_sql, search_tables


@handles(p.SEARCH)
async def search(ctx: CallContext, params: p.Search) -> list[p.Hit]:
    """Rows of every memory table (or of ``tables``) with ``text`` in a text column, any case.
    Each hit names its table, id, a title, the column matched and a snippet around the match.
    An unknown table is NOT_FOUND."""
    store = ctx.daemon.store
    names = params.tables if params.tables is not None else sorted(store.catalog)
    tables = [(n, store.model(n), store.spec(n)) for n in names]
    hits = await store.read(search_tables, tables, params.text, params.limit)
    return msgspec.convert(hits, list[p.Hit])


@handles(p.SQL)
async def sql(ctx: CallContext, params: p.Sql) -> p.SqlResult:
    """One SQL statement in a read-only transaction (the database refuses any write), with a
    10-second limit; at most ``max_rows`` rows. Memory tables are ``memory_<name>``
    (tables.list gives each ``db_table``). A refused or failing statement is INVALID_PARAMS."""
    store = ctx.daemon.store
    columns, rows, truncated = await store.read(run_readonly_sql, store.db, params.sql, params.params, params.max_rows)
    return p.SqlResult(columns=columns, rows=rows, truncated=truncated)
