"""Events: every state change is a row in ``clarity_events``, published after it commits.

Call :meth:`EventBus.emit` inside ``Store.write``; subscribers hear of the event only once
the transaction that wrote it has committed, so nobody sees a change that was rolled back.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import operator
import uuid
from datetime import datetime, UTC
from typing import Any
from collections.abc import Callable

import msgspec
import peewee

from .storage.models import json_field, utcnow
from .storage.rows import row_to_dict
from .storage.store import Store

log = logging.getLogger(__name__)


class Event(peewee.Model):
    id = peewee.BigAutoField()
    type = peewee.TextField(index=True)  # dotted: row.inserted, proposal.approved, agent.offline...
    subject = peewee.TextField(index=True)  # what it is about: "documents/12", "proposal/7", "agent/a1"
    payload = json_field(null=True)
    actor = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "clarity_events"


Listener = Callable[[dict[str, Any]], None]


class EventBus:
    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop
        self.listeners: set[Listener] = set()
        # Multi-host (PostgreSQL): the channel events are also NOTIFY'd on, set by the relay,
        # and this daemon's id, so it does not publish its own events twice.
        self.notify_channel: str | None = None
        self.origin = uuid.uuid4().hex[:16]
        store.register(Event)

    def emit(self, type: str, subject: str, payload: Any = None, actor: str | None = None) -> dict[str, Any]:
        """Record an event in the current write; listeners get it after commit, on the loop."""
        # Inserted with the write's other events in one statement (Store.insert_later):
        # a state change is an event, several per file ingested, on the one writer thread.
        created_at = utcnow()
        data = {
            "created_at": created_at.replace(tzinfo=UTC),
            "type": type,
            "subject": subject,
            "payload": payload,
            "actor": actor,
            "id": None,
        }

        def inserted(event_id: int) -> None:
            data["id"] = event_id
            if self.notify_channel:
                # Delivered by PostgreSQL at commit, to every daemon listening: consoles of all
                # hosts see it. The write's events are NOTIFY'd together, in one statement.
                payloads = self.store.memo().setdefault((EventBus, "notify"), [])
                if not payloads:
                    self.store.before_commit(functools.partial(self._notify, self.notify_channel, payloads))
                payloads.append(relay_payload(self.origin, data))

        self.store.insert_later(
            Event,
            {"created_at": created_at, "type": type, "subject": subject, "payload": payload, "actor": actor},
            on_id=inserted,
        )

        def publish() -> None:
            try:
                on_loop = asyncio.get_running_loop() is self.loop
            except RuntimeError:
                on_loop = False
            # Store.write runs this on the loop: no need to wake it through its self-pipe
            # (a write to a socket per event, several per file ingested).
            (self.loop.call_soon if on_loop else self.loop.call_soon_threadsafe)(self._publish, data)

        self.store.after_commit(publish)
        return data

    def _notify(self, channel: str, payloads: list[str]) -> None:
        self.store.db.execute_sql(
            "SELECT count(pg_notify(%s, p)) FROM "
            "(SELECT p FROM unnest(%s::text[]) WITH ORDINALITY AS u(p, i) ORDER BY i) AS ordered",
            (channel, payloads),
        )

    def publish(self, data: dict[str, Any]) -> None:
        """Hand a committed event to the listeners (on the loop); the relay calls this for
        events other daemons wrote."""
        self._publish(data)

    def _publish(self, data: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(data)
            except Exception:
                log.exception("event listener failed")


# -- the NOTIFY payload --------------------------------------------------------------------

NOTIFY_LIMIT = 7900  # PostgreSQL refuses payloads of 8000 bytes or more


def relay_payload(origin: str, data: dict[str, Any]) -> str:
    """The whole event when it fits in a NOTIFY, else only its id (receivers read the row)."""
    text = msgspec.json.encode({"origin": origin, "event": data}, enc_hook=str).decode()
    if len(text.encode()) < NOTIFY_LIMIT:
        return text
    return msgspec.json.encode({"origin": origin, "id": data["id"]}).decode()


# -- filters -------------------------------------------------------------------------------


def prefix_matches(value: str, prefix: str, sep: str) -> bool:
    """``prefix`` is ``value`` or a leading part of it ending at ``sep`` ("agent" ~ "agent.offline")."""
    if prefix.endswith(sep):
        return value.startswith(prefix)
    return value == prefix or value.startswith(prefix + sep)


def prefix_clause(column: peewee.Field, prefix: str, sep: str) -> peewee.Expression:
    """:func:`prefix_matches` in SQL, the same on SQLite and PostgreSQL (no LIKE wildcards to escape)."""
    head = prefix if prefix.endswith(sep) else prefix + sep
    starts = peewee.fn.SUBSTR(column, 1, len(head)) == head
    return starts if prefix.endswith(sep) else (column == prefix) | starts


def event_filter(types: str | list[str] | None, subject: str | None) -> Callable[[dict[str, Any]], bool]:
    """A predicate over event dicts: any of ``types`` (dotted prefixes) and ``subject`` (slashed)."""
    wanted = [types] if isinstance(types, str) else list(types or [])

    def matches(event: dict[str, Any]) -> bool:
        if wanted and not any(prefix_matches(event["type"], t, ".") for t in wanted):
            return False
        return subject is None or prefix_matches(event["subject"], subject, "/")

    return matches


# -- reading and pruning -------------------------------------------------------------------


def list_events(
    *,
    types: str | list[str] | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    order: str = "desc",
    cursor: int | None = None,
    limit: int = 100,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of events by id (keyset pagination), and the cursor of the next page."""
    where: list[peewee.Expression] = []
    wanted = [types] if isinstance(types, str) else list(types or [])
    if wanted:
        where.append(functools.reduce(operator.or_, [prefix_clause(Event.type, t, ".") for t in wanted]))
    if subject is not None:
        where.append(prefix_clause(Event.subject, subject, "/"))
    if since is not None:
        where.append(Event.created_at >= since)
    descending = order == "desc"
    if cursor is not None:
        where.append(Event.id < cursor if descending else Event.id > cursor)
    query = Event.select().order_by(Event.id.desc() if descending else Event.id.asc()).limit(limit + 1)
    if where:
        query = query.where(*where)
    rows = [row_to_dict(r) for r in query.dicts()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = rows[-1]["id"]
    return rows, next_cursor
