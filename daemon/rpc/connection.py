"""One client connection: its identity, its in-flight calls and its serialized writes."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from collections.abc import Callable

from ..protocol.envelope import Notification, encode_message
from ..protocol.system import Identity


class Connection:
    def __init__(self, writer: asyncio.StreamWriter, identity: Identity, max_inflight: int) -> None:
        self.writer = writer
        self.identity = identity
        self.inflight = asyncio.Semaphore(max_inflight)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closed = False
        # Long-lived streams (events.subscribe) keep a connection open past the idle timeout.
        self.streams: int = 0
        self.on_close: list[Callable[[], None]] = []
        # The uid this connection counts against in the per-uid cap (None: an operator's, not counted).
        self.counted_uid: int | None = None
        self._write_lock = asyncio.Lock()

    async def send(self, data: bytes) -> None:
        """Write one framed message; waits while the peer's receive buffer is full."""
        if self.closed:
            return
        async with self._write_lock:
            try:
                self.writer.write(data + b"\n")
                await self.writer.drain()
            except (ConnectionError, RuntimeError):
                self.closed = True

    async def notify(self, method: str, params: Any) -> None:
        """Send a server-to-client notification (no id)."""
        await self.send(encode_message(Notification(method=method, params=params)))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
        for hook in self.on_close:
            hook()
        self.on_close.clear()
        with contextlib.suppress(RuntimeError):  # loop already closing
            self.writer.close()
