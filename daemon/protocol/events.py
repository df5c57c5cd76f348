"""events.*: the record of every change, paged or streamed live.

Filters: ``type`` is a dotted prefix ("agent" matches "agent" and "agent.offline", never
"agents.x"); ``subject`` a slashed prefix ("documents" matches "documents/12"). Either may be
the exact value too.

A subscription streams server-to-client notifications on the caller's connection::

    {"jsonrpc": "2.0", "method": "events.event", "params": {<EventRecord fields>, "subscription": 1}}

and, when the subscriber fell too far behind and was dropped (it should subscribe again with
``after_id`` set to the last id it saw)::

    {"jsonrpc": "2.0", "method": "events.dropped", "params": {"subscription": 1, "reason": "...",
     "last_event_id": 41}}
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from .envelope import Int64
from .registry import Method, Role

EVENT_NOTIFICATION = "events.event"
DROPPED_NOTIFICATION = "events.dropped"

Prefix = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
EventId = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]  # what the BIGINT id column can hold


class EventRecord(msgspec.Struct):
    id: int
    type: str  # dotted: agent.offline, work_order.deployed, proposal.approved, row.inserted...
    subject: str  # what it is about: agent/a1, work_order/wo-3, proposal/7, documents/12
    payload: Any
    actor: str | None
    created_at: datetime


class ListEvents(msgspec.Struct, forbid_unknown_fields=True):
    """A page of events, newest first unless ``order`` is "asc" (oldest first, to tail)."""

    type: Prefix | list[Prefix] | None = None  # one prefix or any of several
    subject: Prefix | None = None
    since: datetime | None = None
    order: Literal["desc", "asc"] = "desc"
    cursor: EventId | None = None  # next_cursor of the previous page (an event id)
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100


class EventPage(msgspec.Struct):
    events: list[EventRecord]
    next_cursor: int | None  # null on the last page


class Subscribe(msgspec.Struct, forbid_unknown_fields=True):
    type: Prefix | list[Prefix] | None = None
    subject: Prefix | None = None
    # Replay stored events with a greater id first, then go live: no gap after a reconnect.
    after_id: EventId | None = None


class Subscribed(msgspec.Struct):
    subscription: int
    queue_size: int  # events it may lag behind before it is dropped


class Unsubscribe(msgspec.Struct, forbid_unknown_fields=True):
    subscription: Int64


class Unsubscribed(msgspec.Struct):
    subscription: int
    delivered: int  # events sent to it


LIST = Method("events.list", ListEvents, EventPage, Role.reader, "A page of events, filtered by type and subject.")
SUBSCRIBE = Method(
    "events.subscribe",
    Subscribe,
    Subscribed,
    Role.reader,
    "Stream events to this connection as events.event notifications.",
)
UNSUBSCRIBE = Method(
    "events.unsubscribe", Unsubscribe, Unsubscribed, Role.reader, "Stop one of this connection's subscriptions."
)
