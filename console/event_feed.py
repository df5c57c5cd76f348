"""The daemon's live event stream, shared by every screen that listens.

One long-lived worker (started by the app) runs :meth:`EventFeed.run`: it subscribes with
``events.subscribe`` and posts an :class:`EventReceived` message to each screen whose event
type prefixes match. When the connection goes or the daemon drops a subscriber that fell
behind, it subscribes again with ``after_id`` set to the last event it saw, so nothing is
missed, and tells the listeners with :class:`EventStreamChanged`. That message also says
whether the daemon can be reached at all (``reachable``): the screens show a banner while it
cannot, and ask again once it can.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.message_pump import MessagePump

# The module, not its names: the import contract allows daemon.client_streams, and daemon.client
# re-exports these two only implicitly (mypy strict will not see them there).
import daemon.client_streams as streams
from daemon.client import AsyncClient
from daemon.protocol import ErrorCode, RpcError

from .messages import EventReceived, EventStreamChanged


class EventFeed:
    def __init__(self, client: AsyncClient, retry_s: float = 2.0) -> None:
        self.client = client
        self.retry_s = retry_s
        self.listeners: dict[MessagePump, tuple[str, ...]] = {}
        self.last_id: int | None = None
        self.live = False
        self.reachable = True
        self.detail = "connecting…"
        self.received = 0

    def listen(self, node: MessagePump, prefixes: tuple[str, ...]) -> None:
        """Send ``node`` the events whose type starts with one of ``prefixes`` ("" for all)."""
        self.listeners[node] = prefixes
        node.post_message(EventStreamChanged(self.live, self.detail, self.reachable, self.retry_s))

    def unlisten(self, node: MessagePump) -> None:
        self.listeners.pop(node, None)

    async def run(self) -> None:
        """Follow the stream for as long as the console runs (cancelled when it exits)."""
        while True:
            try:
                if self.last_id is None:
                    # Start from the newest stored event, so that a reconnect can replay from
                    # there even if nothing arrived before the connection went.
                    newest = await self.client.events.list(limit=1)
                    self.last_id = newest.events[0].id if newest.events else 0
                stream = await self.client.subscribe_events(after_id=self.last_id)
            except RpcError as e:
                self._set_live(False, str(e), reachable=e.code != ErrorCode.UNAVAILABLE)
                await asyncio.sleep(self.retry_s)
                continue
            self._set_live(True, "following")
            try:
                await self._follow(stream)
            except streams.SubscriptionDropped as e:
                # The console fell behind: subscribe again at once, replaying what was missed.
                self.last_id = e.last_event_id if e.last_event_id is not None else self.last_id
                self._set_live(False, str(e))
                await stream.close()
            except RpcError as e:
                self._set_live(False, str(e), reachable=e.code != ErrorCode.UNAVAILABLE)
                await stream.close()
                await asyncio.sleep(self.retry_s)

    async def _follow(self, stream: streams.AsyncEventStream) -> None:
        async for event in stream:
            self.received += 1
            if isinstance(event.get("id"), int):
                self.last_id = event["id"]
            self._dispatch(event)

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = str(event.get("type", ""))
        for node, prefixes in list(self.listeners.items()):
            if any(kind.startswith(p) for p in prefixes):
                node.post_message(EventReceived(event))

    def _set_live(self, live: bool, detail: str, reachable: bool = True) -> None:
        if (live, detail, reachable) == (self.live, self.detail, self.reachable):
            return
        self.live, self.detail, self.reachable = live, detail, reachable
        for node in list(self.listeners):
            node.post_message(EventStreamChanged(live, detail, reachable, self.retry_s))
