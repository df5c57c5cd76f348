"""events.* handlers: the stored record of changes, and live subscriptions."""

from __future__ import annotations

from ..errors import InvalidParams, NotFound
from ..events import list_events
from ..protocol import events as p
from ..rpc.router import CallContext, handles
from ..subsystems.records import naive_utc


@handles(p.LIST)
async def list_(ctx: CallContext, params: p.ListEvents) -> p.EventPage:
    """A page of events, newest first (``order`` "asc" for oldest first). ``type`` is a dotted
    prefix or a list of them ("agent" matches agent.offline, agent.online…), ``subject`` a
    slashed prefix ("documents" matches documents/12), ``since`` a time. Pass ``next_cursor``
    back as ``cursor`` for the next page; it is null on the last one. Events are kept for
    ``events.retention_days`` (configuration, default 30)."""
    rows, cursor = await ctx.daemon.store.read(
        lambda: list_events(
            types=params.type,
            subject=params.subject,
            since=naive_utc(params.since),
            order=params.order,
            cursor=params.cursor,
            limit=params.limit,
        )
    )
    return p.EventPage(events=[p.EventRecord(**r) for r in rows], next_cursor=cursor)


@handles(p.SUBSCRIBE)
async def subscribe(ctx: CallContext, params: p.Subscribe) -> p.Subscribed:
    """Streams events matching ``type`` and ``subject`` (as in events.list) to this connection
    as notifications ``{"method": "events.event", "params": {id, type, subject, payload, actor,
    created_at, subscription}}``, from now on, or first every stored event after ``after_id``
    (to resume after a reconnect without a gap). The connection stays open while it streams.

    A subscriber that falls more than ``queue_size`` events behind (it does not read its socket
    fast enough) is dropped with an ``events.dropped`` notification {subscription, reason,
    last_event_id}; subscribe again with ``after_id`` = last_event_id to catch up. Ends with
    events.unsubscribe or when the connection closes."""
    conn = ctx.connection
    if conn is None:
        raise InvalidParams("events.subscribe needs a connection to stream on")
    # No await between here and the return: the reply is written before the first event.
    sub = ctx.daemon.subsystems.streams.subscribe(conn, params.type, params.subject, params.after_id)
    return p.Subscribed(subscription=sub.id, queue_size=sub.queue.maxsize)


@handles(p.UNSUBSCRIBE)
async def unsubscribe(ctx: CallContext, params: p.Unsubscribe) -> p.Unsubscribed:
    """Ends one of this connection's subscriptions; NOT_FOUND for one it does not have."""
    conn = ctx.connection
    sub = ctx.daemon.subsystems.streams.unsubscribe(conn, params.subscription) if conn else None
    if sub is None:
        raise NotFound(f"this connection has no subscription {params.subscription}")
    return p.Unsubscribed(subscription=sub.id, delivered=sub.delivered)
