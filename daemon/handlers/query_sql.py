"""query.sql: operator SQL (see daemon/storage/operator_sql.py for what it may do)."""

from __future__ import annotations

from ..protocol import query as p
from ..rpc.router import CallContext, handles


@handles(p.SQL)
async def sql(ctx: CallContext, params: p.Sql) -> p.SqlResult:
    """One read-only query (SELECT, WITH, VALUES or TABLE) over the memory tables
    (``memory_<name>``; tables.list gives each ``db_table``), with a 10-second limit; at
    most ``max_rows`` rows and ``max_bytes`` bytes of them, else ``truncated``. It runs on
    threads and connections of its own; on SQLite it may read the memory tables only, on
    PostgreSQL it runs as a role that may only read them. Paging: ``offset`` skips rows
    first, and a truncated reply gives ``next_offset``, where the next page starts (the
    statement runs again for each page: give it an ORDER BY for pages that line up). A
    refused or failing statement is INVALID_PARAMS; too many at once, or no read-only role
    on PostgreSQL, UNAVAILABLE."""
    page = await ctx.daemon.store.operator_sql.run(
        params.sql, params.params, params.max_rows, params.max_bytes, params.offset
    )
    return p.SqlResult(page.columns, page.rows, page.truncated, page.next_offset)
