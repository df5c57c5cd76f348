"""Live event subscriptions: each one streams matching events to its connection.

Publishing never waits on a subscriber. Each subscription has a bounded queue that the bus
fills with ``put_nowait`` and one task (the pump) empties onto the socket; when a peer reads
too slowly the queue fills and the subscription is dropped with an ``events.dropped`` notice,
so a slow console costs the daemon at most ``subscriber_queue`` events of memory.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from .events import event_filter, list_events
from .protocol.envelope import Notification, encode_message
from .protocol.events import DROPPED_NOTIFICATION, EVENT_NOTIFICATION

if TYPE_CHECKING:
    from .events import EventBus
    from .rpc.connection import Connection
    from .storage import Store

log = logging.getLogger(__name__)

BACKLOG_PAGE = 500
SEND_BATCH = 256  # queued events sent in one write at most


class _Dropped:
    """The last item a dropped subscription's pump sees."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class Subscription:
    def __init__(
        self,
        sid: int,
        conn: Connection,
        matches: Callable[[dict[str, Any]], bool],
        queue_size: int,
        after_id: int | None,
    ) -> None:
        self.id = sid
        self.conn = conn
        self.matches = matches
        self.queue: asyncio.Queue[dict[str, Any] | _Dropped] = asyncio.Queue(queue_size)
        self.after_id = after_id
        self.last_id: int | None = after_id  # the last event sent
        # The highest id replayed from the database: live events up to it were already sent.
        # (Only live events are compared, so ids committed out of order by another host pass.)
        self.replayed_upto: int | None = None
        self.delivered = 0
        self.active = True
        self.task: asyncio.Task[None] | None = None

    def offer(self, event: dict[str, Any]) -> bool:
        """Queue the event if it matches; False when the queue is full (the caller drops us)."""
        if not self.active or not self.matches(event):
            return True
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    async def _send(self, events: list[dict[str, Any]], live: bool = True) -> None:
        """Send ``events`` in one write: a group transaction publishes its events together."""
        if live and self.replayed_upto is not None:
            events = [e for e in events if e["id"] > self.replayed_upto]  # the others were replayed
        if not events:
            return
        await self.conn.send(
            b"\n".join(
                encode_message(Notification(method=EVENT_NOTIFICATION, params={**e, "subscription": self.id}))
                for e in events
            )
        )
        self.last_id = events[-1]["id"]
        self.delivered += len(events)


class EventStreams:
    """Every subscription of every connection, fed by the event bus."""

    def __init__(self, bus: EventBus, store: Store, queue_size: Callable[[], int]) -> None:
        self.bus = bus
        self.store = store
        self.queue_size = queue_size  # read at subscribe time: SIGHUP may change it
        self.subscriptions: dict[int, Subscription] = {}
        self._ids = itertools.count(1)
        bus.listeners.add(self._on_event)

    def subscribe(
        self, conn: Connection, types: str | list[str] | None, subject: str | None, after_id: int | None
    ) -> Subscription:
        """Start streaming to ``conn``. Call from the handler, which must not await after it:
        the reply is then written before the first notification."""
        sub = Subscription(next(self._ids), conn, event_filter(types, subject), self.queue_size(), after_id)
        self.subscriptions[sub.id] = sub
        conn.streams += 1  # no idle timeout while it streams
        conn.on_close.append(lambda: self._end(sub))
        sub.task = asyncio.create_task(self._pump(sub, types, subject))
        return sub

    def unsubscribe(self, conn: Connection, sid: int) -> Subscription | None:
        sub = self.subscriptions.get(sid)
        if sub is None or sub.conn is not conn:
            return None
        self._end(sub)
        return sub

    def close(self) -> None:
        self.bus.listeners.discard(self._on_event)
        for sub in list(self.subscriptions.values()):
            self._end(sub)

    # -- internals ------------------------------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> None:
        for sub in list(self.subscriptions.values()):
            if not sub.offer(event):
                self._drop(sub, f"fell {sub.queue.maxsize} events behind")

    def _drop(self, sub: Subscription, reason: str) -> None:
        log.info("dropping event subscription %d of %s: %s", sub.id, sub.conn.identity.user, reason)
        self._detach(sub)
        while not sub.queue.empty():  # free the memory now; the notice goes out when the peer reads again
            sub.queue.get_nowait()
        sub.queue.put_nowait(_Dropped(reason))

    def _end(self, sub: Subscription) -> None:
        self._detach(sub)
        if sub.task is not None and not sub.task.done():
            sub.task.cancel()

    def _detach(self, sub: Subscription) -> None:
        if sub.active:
            sub.active = False
            sub.conn.streams = max(0, sub.conn.streams - 1)
        self.subscriptions.pop(sub.id, None)

    async def _pump(self, sub: Subscription, types: str | list[str] | None, subject: str | None) -> None:
        try:
            if sub.after_id is not None:
                await self._replay(sub, types, subject)
            while True:
                item = await sub.queue.get()
                events: list[dict[str, Any]] = []
                while not isinstance(item, _Dropped):
                    events.append(item)
                    if sub.queue.empty() or len(events) >= SEND_BATCH:
                        break
                    item = sub.queue.get_nowait()
                if events:
                    await sub._send(events)
                    if sub.conn.closed:
                        self._end(sub)
                        return
                if isinstance(item, _Dropped):
                    await sub.conn.notify(
                        DROPPED_NOTIFICATION,
                        {
                            "subscription": sub.id,
                            "reason": item.reason,
                            "last_event_id": sub.last_id,
                        },
                    )
                    return
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("event subscription %d failed", sub.id)
            self._detach(sub)

    async def _replay(self, sub: Subscription, types: str | list[str] | None, subject: str | None) -> None:
        """Send stored events after ``after_id``; live ones queue meanwhile and duplicates are skipped."""
        cursor = sub.after_id
        while sub.active:
            page, _ = await self.store.read(
                lambda c=cursor: list_events(types=types, subject=subject, order="asc", cursor=c, limit=BACKLOG_PAGE)
            )
            if page:
                await sub._send(page, live=False)
                sub.replayed_upto = page[-1]["id"]
            if len(page) < BACKLOG_PAGE:
                return
            cursor = page[-1]["id"]
