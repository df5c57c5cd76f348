"""Events: every state change is a row in ``clarity_events``, published after it commits.

Call :meth:`EventBus.emit` inside ``Store.write``; subscribers hear of the event only once
the transaction that wrote it has committed, so nobody sees a change that was rolled back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

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
        store.register(Event)

    def emit(self, type: str, subject: str, payload: Any = None, actor: str | None = None) -> dict[str, Any]:
        """Record an event in the current write; listeners get it after commit, on the loop."""
        event = Event.create(type=type, subject=subject, payload=payload, actor=actor)
        data = row_to_dict(event)
        self.store.after_commit(lambda: self.loop.call_soon_threadsafe(self._publish, data))
        return data

    def _publish(self, data: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(data)
            except Exception:
                log.exception("event listener failed")
