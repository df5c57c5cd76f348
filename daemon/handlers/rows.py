"""rows.* handlers (reads; changes are proposals)."""

from __future__ import annotations

from typing import Any

from ..protocol import rows as p
from ..rpc.router import CallContext, handles
from ..storage.rows import get_row, list_rows


@handles(p.LIST)
async def list_(ctx: CallContext, params: p.ListRows) -> p.RowPage:
    """A page of rows ordered by ``sort`` (then id), NULLs last. Pass the returned
    ``next_cursor`` as ``cursor`` for the next page; it is null on the last page.

    ``filters``: ``{"column": value}`` or ``{"column": {"op": value}}`` with op in eq, ne,
    lt, le, gt, ge, like (substring, any case), in (a list), is_null (true/false).
    ``search``: a substring looked for, in any case, in every text column.
    An unknown table is NOT_FOUND; an unknown column or a value of the wrong type is
    INVALID_PARAMS."""
    store = ctx.daemon.store
    model, spec = store.model(params.table), store.spec(params.table)
    rows, cursor, total = await store.read(
        lambda: list_rows(
            model,
            spec,
            filters=params.filters,
            search=params.search,
            sort=params.sort,
            descending=params.descending,
            limit=params.limit,
            cursor=params.cursor,
            count=params.count,
        )
    )
    return p.RowPage(rows=rows, next_cursor=cursor, total=total)


@handles(p.GET)
async def get(ctx: CallContext, params: p.GetRow) -> dict[str, Any]:
    """One row of ``table`` by ``id``, with every column."""
    store = ctx.daemon.store
    model = store.model(params.table)
    return await store.read(get_row, model, params.table, params.id)
