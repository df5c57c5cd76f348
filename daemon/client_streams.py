"""Event subscriptions as the client library hands them out: iterate to get events.

``Client.subscribe_events(...)`` and ``await AsyncClient.subscribe_events(...)`` subscribe at
once and return one of these. Like :mod:`daemon.client`, this depends only on the protocol.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .protocol import ErrorCode, RpcError
from .protocol.events import DROPPED_NOTIFICATION

if TYPE_CHECKING:
    from .client import AsyncClient, Client


class SubscriptionDropped(RpcError):
    """The daemon dropped a subscription that fell behind; subscribe again with
    ``after_id=e.last_event_id`` to get what was missed."""

    def __init__(self, notice: dict[str, Any]) -> None:
        super().__init__(ErrorCode.UNAVAILABLE, f"event subscription dropped: {notice.get('reason')}", notice)
        self.subscription = notice.get("subscription")
        self.last_event_id: int | None = notice.get("last_event_id")


def belongs(params: Any, sid: int) -> bool:
    return isinstance(params, dict) and params.get("subscription") == sid


def _event(method: str, params: dict[str, Any]) -> dict[str, Any]:
    if method == DROPPED_NOTIFICATION:
        raise SubscriptionDropped(params)
    return params


class EventStream:
    """One subscription on a blocking :class:`Client`: ``for event in stream`` yields event dicts.

    ``timeout`` bounds the wait for each event (RpcError TIMEOUT); calls made on the same
    client meanwhile are fine. ``close()`` (or leaving a ``with`` block) unsubscribes."""

    def __init__(self, client: Client, subscription: int, timeout: float | None) -> None:
        self.client = client
        self.subscription = subscription
        self.timeout = timeout
        self.closed = False

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> dict[str, Any]:
        if self.closed:
            raise StopIteration
        pending = self.client.notifications  # arrived while a call waited for its answer
        for i, (method, params) in enumerate(pending):
            if belongs(params, self.subscription):
                del pending[i]
                return _event(method, params)
        while True:
            method, params = self.client.receive_notification(self.timeout)
            if belongs(params, self.subscription):
                return _event(method, params)
            pending.append((method, params))  # another subscription's: keep it for that one

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.client.call("events.unsubscribe", subscription=self.subscription)
        except RpcError:  # already dropped, or the connection is gone
            pass
        self.client.notifications[:] = [n for n in self.client.notifications if not belongs(n[1], self.subscription)]

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncEventStream:
    """One subscription on an :class:`AsyncClient`: ``async for event in stream``.

    Raises :class:`SubscriptionDropped` when the daemon drops it, ConnectionLost when the
    connection goes. ``await close()`` (or leaving ``async with``) unsubscribes."""

    def __init__(self, client: AsyncClient, subscription: int, queue: asyncio.Queue[tuple[str | None, Any]]) -> None:
        self.client = client
        self.subscription = subscription
        self.queue = queue
        self.closed = False

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self.closed:
            raise StopAsyncIteration
        method, params = await self.queue.get()
        if method is None:  # the connection went: params is the exception to raise
            raise params
        return _event(method, params)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.client._event_queues.pop(self.subscription, None)
        try:
            await self.client.call("events.unsubscribe", subscription=self.subscription)
        except RpcError:
            pass

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
