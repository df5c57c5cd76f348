"""rows.* handlers (reads; changes are proposals)."""

from __future__ import annotations

from typing import Any

import msgspec

from ..errors import InvalidParams
from ..export_stream import start_export
from ..governance import Draft
from ..governance.service import refuse_emptied
from ..protocol import rows as p
from ..protocol.proposals import Proposal
from ..protocol.registry import Role
from ..rpc.router import CallContext, handles
from ..storage import fulltext
from ..storage.export import iter_rows, render
from ..storage.rows import get_row, list_rows


def search_condition(ctx: CallContext, table: str, search: str | None) -> Any:
    """The full-text condition for ``search`` once the table's index is ready, else None."""
    if not search or not ctx.daemon.search_index.is_ready(table):
        return None
    return fulltext.matching_ids(ctx.daemon.store.db, ctx.daemon.store.spec(table), search)


@handles(p.LIST)
async def list_(ctx: CallContext, params: p.ListRows) -> p.RowPage:
    """A page of rows ordered by ``sort`` (then id), NULLs last. Pass the returned
    ``next_cursor`` as ``cursor`` for the next page; it is null on the last page.

    ``filters``: ``{"column": value}`` or ``{"column": {"op": value}}`` with op in eq, ne,
    lt, le, gt, ge, like (substring, any case), in (a list), is_null (true/false).
    ``search``: words looked for in every text column, as query.search finds them (each
    word matches the words it starts, any case), through the table's full-text index; while
    that index is being built, a substring looked for in any case.
    An unknown table is NOT_FOUND; an unknown column or a value of the wrong type is
    INVALID_PARAMS."""
    store = ctx.daemon.store
    model, spec = store.model(params.table), store.spec(params.table)
    await store.settle(params.table)  # e.g. agents' heartbeats waiting in memory
    match = search_condition(ctx, params.table, params.search)
    rows, cursor, total = await store.read(
        lambda: list_rows(
            model,
            spec,
            filters=params.filters,
            search=params.search,
            search_match=match,
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
    await store.settle(params.table)
    return await store.read(get_row, model, params.table, params.id)


async def _propose_edit(ctx: CallContext, draft: Draft) -> Proposal:
    draft.source = draft.actor = ctx.actor
    draft.by_operator = ctx.role == Role.operator
    gov = ctx.daemon.governance
    record = await ctx.daemon.store.write(gov.propose, draft)
    return msgspec.convert(record, Proposal)


@handles(p.UPDATE)
async def update(ctx: CallContext, params: p.UpdateRow) -> Proposal:
    """Propose changing ``fields`` of row ``id``, made against the row's ``version`` (from
    rows.get). Returns the proposal: "pending" until an operator approves it, or "applied"
    at once when the policy lets an operator's own edit through (auto_approve.self_approve;
    audited as self-approved). CONFLICT when the row is no longer at ``version``; approving
    later after someone else changed the row is a CONFLICT too, never an overwrite.
    INVALID_PARAMS when a required field is set to null or ""."""
    refuse_emptied(ctx.daemon.store.spec(params.table), params.fields)
    return await _propose_edit(
        ctx,
        Draft(
            kind="update",
            table=params.table,
            row_id=params.id,
            fields=params.fields,
            version=params.version,
            confidence=1.0,
            reasoning=params.reasoning,
        ),
    )


@handles(p.DELETE)
async def delete(ctx: CallContext, params: p.DeleteRow) -> Proposal:
    """Propose deleting row ``id`` (optionally as of ``version``). Deletes are never
    auto-approved; the policy may let an operator's own delete through (self_approve) and may
    require a second operator. Undo with proposals.revert."""
    return await _propose_edit(
        ctx,
        Draft(
            kind="delete",
            table=params.table,
            row_id=params.id,
            fields={},
            version=params.version,
            confidence=1.0,
            reasoning=params.reasoning,
        ),
    )


@handles(p.EXPORT)
async def export(ctx: CallContext, params: p.ExportRows) -> p.Export:
    """Every row that matches, in ``format``: csv (a header of every column; lists and objects
    as JSON text; times in UTC ISO 8601), json (an array of objects) or jsonl (one object per
    line). In one reply: up to ``limit`` rows (default 100,000, at most 1,000,000), and
    ``truncated`` says whether more matched. With ``stream: true``: the reply gives ``stream``
    and ``total`` (rows to come), then rows.export_chunk notifications ``{stream, seq, rows,
    content}`` carry the file in order and rows.export_done ``{stream, rows}`` ends it (with
    ``error: {code, message}`` if it failed); any number of rows, in flat memory."""
    store = ctx.daemon.store
    model, spec = store.model(params.table), store.spec(params.table)
    await store.settle(params.table)
    query = {
        "filters": params.filters,
        "search": params.search,
        "sort": params.sort,
        "descending": params.descending,
        "search_match": search_condition(ctx, params.table, params.search),
    }
    if params.stream:
        if ctx.connection is None:
            raise InvalidParams("a streaming export needs a connection to stream on")
        # Checks the filters and counts the rows before the reply; the chunks follow it.
        _, _, total = await store.read(lambda: list_rows(model, spec, limit=1, cursor=None, count=True, **query))
        total = min(total or 0, params.limit) if params.limit else total
        sid = start_export(ctx.connection, store, model, spec, params.format, query, params.limit)
        return p.Export(format=params.format, rows=0, truncated=False, content="", stream=sid, total=total)
    limit = params.limit or p.NON_STREAM_LIMIT
    if limit > p.NON_STREAM_MAX:
        raise InvalidParams(f"limit is at most {p.NON_STREAM_MAX} in one reply; stream a bigger export")

    def run() -> p.Export:
        rows, truncated = iter_rows(model, spec, limit, **query)
        return p.Export(
            format=params.format, rows=len(rows), truncated=truncated, content=render(rows, spec, params.format)
        )

    return await store.read(run)
