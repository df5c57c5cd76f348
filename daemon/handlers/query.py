"""query.* handlers."""

from __future__ import annotations

import msgspec

from ..protocol import query as p
from ..rpc.router import CallContext, handles
from ..storage.search import search_tables


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

