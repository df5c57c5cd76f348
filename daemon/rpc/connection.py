"""One client connection: its identity, its in-flight calls and its serialized writes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from ..protocol.envelope import Notification, encode_message
from ..protocol.system import Identity

log = logging.getLogger("clarityd.rpc")


class Connection:
    def __init__(
        self, writer: asyncio.StreamWriter, identity: Identity, max_inflight: int, write_timeout: float | None = None
    ) -> None:
        self.writer = writer
        # A peer that reads nothing for this long while answers wait is dropped: it would
        # otherwise hold its slot (and its calls) forever.
        self.write_timeout = write_timeout
        self.identity = identity
        self.inflight = asyncio.Semaphore(max_inflight)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closed = False
        # Long-lived streams (events.subscribe) keep a connection open past the idle timeout.
        self.streams: int = 0
        self.on_close: list[Callable[[], object]] = []
        # The uid this connection counts against in the per-uid cap (None: an operator's, not counted).
        self.counted_uid: int | None = None
        self._write_lock = asyncio.Lock()

    async def send(self, data: bytes) -> None:
        """Write one framed message; waits while the peer's receive buffer is full."""
        if self.closed:
            return
        transport = self.writer.transport
        if not self._write_lock.locked() and not transport.get_write_buffer_size():
            # The peer keeps up (the common case): the message goes to the socket whole, with
            # no lock to take and nothing to wait for.
            try:
                self.writer.write(data + b"\n")
            except (ConnectionError, RuntimeError):
                self.closed = True
                return
            if not transport.get_write_buffer_size():
                return
            data = b""  # written: only the wait is left
        async with self._write_lock:  # one waits for the peer at a time, the others queue in order
            try:
                if data:
                    self.writer.write(data + b"\n")
                # wait_for, not asyncio.timeout: this may run before the call's first wait, on
                # the read loop's task (rpc/eager.py), which a timeout would cancel instead.
                await asyncio.wait_for(self.writer.drain(), self.write_timeout)
            except (ConnectionError, RuntimeError):
                self.closed = True
            except TimeoutError:
                log.warning(
                    "%s (uid %d) read no answers for %.0f s; closing its connection",
                    self.identity.user,
                    self.identity.uid,
                    self.write_timeout,
                )
                self.closed = True
                self.writer.transport.abort()  # unsent answers are dropped; the reader sees the end

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
