"""query.* handlers."""

from __future__ import annotations

from datetime import datetime, UTC

import msgspec

from .. import saved_queries
from ..protocol import query as p
from ..protocol.registry import NoParams
from ..rpc.router import CallContext, handles
from ..storage.related import related_rows
from ..storage.search import search_tables


def _utc(when: datetime | None) -> datetime | None:
    """Naive UTC, as the tables store times."""
    return when.astimezone(UTC).replace(tzinfo=None) if when and when.tzinfo else when


@handles(p.SEARCH)
async def search(ctx: CallContext, params: p.Search) -> list[p.Hit]:
    """Rows of every memory table (or of ``tables``) holding every word of ``text`` (a word
    matches the words it starts; case ignored, accents too on SQLite), best first, through each table's
    full-text index (SQLite FTS5, PostgreSQL tsvector). ``since``/``until`` bound ``updated_at``.
    Each hit names its table, id, a title, the column matched, a snippet around the match (and
    the same with the words marked), and a score. A table whose index is still being built
    (system.health shows it) is scanned instead. An unknown table is NOT_FOUND."""
    store = ctx.daemon.store
    names = params.tables if params.tables is not None else sorted(store.catalog)
    tables = [(n, store.model(n), store.spec(n)) for n in names]
    hits = await store.read(
        search_tables,
        store.db,
        tables,
        params.text,
        params.limit,
        ctx.daemon.search_index.is_ready,
        _utc(params.since),
        _utc(params.until),
    )
    return msgspec.convert(hits, list[p.Hit])


@handles(p.SAVED)
async def saved(ctx: CallContext, params: NoParams) -> list[p.SavedQuery]:
    """The saved queries of the configuration (``queries:``), by name: what each answers, the
    parameters it takes and its SQL. Readers may run them with query.run."""
    return [
        p.SavedQuery(name=name, description=q.description, params=q.params, sql=q.sql)
        for name, q in sorted(ctx.daemon.config.queries.items())
    ]


@handles(p.RUN)
async def run(ctx: CallContext, params: p.RunSaved) -> p.SqlResult:
    """Run the saved query ``name`` with ``args`` (its parameters by name), with query.sql's
    guards (read-only, memory tables only, its own threads, row and byte caps) and paging
    (``offset``, ``next_offset``). An unknown name is NOT_FOUND; a missing or unknown
    parameter, INVALID_PARAMS."""
    store = ctx.daemon.store
    query = saved_queries.lookup(ctx.daemon.config.queries, params.name)
    text, values = saved_queries.bind(query, params.args, store.backend)
    page = await store.operator_sql.run(text, values, params.max_rows, params.max_bytes, params.offset)
    return p.SqlResult(page.columns, page.rows, page.truncated, page.next_offset)


@handles(p.RELATED)
async def related(ctx: CallContext, params: p.Related) -> list[p.RelatedRow]:
    """Rows of any memory table sharing something with row ``id`` of ``table``: the same file
    (``source``/``path``), content hash (``sha256``), agent (``agent_id``, ``assigned_agent``,
    ``executor``…), work order, component (``target_components``, ``systems``) or playbook;
    and audit or verification rows about the row itself (``via`` "target"). ``via`` says what
    is shared, ``column`` where the related row holds it. NOT_FOUND for an unknown table or row."""
    store = ctx.daemon.store
    store.spec(params.table)
    tables = [(n, store.models[n], spec) for n, spec in sorted(store.catalog.items())]
    found = await store.read(related_rows, store.db, tables, params.table, params.id, params.limit)
    return msgspec.convert(found, list[p.RelatedRow])
