"""The Clarity client library: what a local agent author imports.

Depends only on :mod:`daemon.protocol` (msgspec and the standard library), never on the
daemon's internals. Two clients with the same surface::

    from daemon.client import Client, AsyncClient

    with Client() as c:                          # socket: $CLARITY_SOCKET, $CLARITY_CONFIG's, or the default
        print(c.system.health().status)
        page = c.rows.list(table="documents", search="invoice", limit=20)

    async with AsyncClient() as c:
        tables = await c.tables.list()

``client.<noun>.<verb>(**params)`` calls method ``noun.verb`` (or a declared alias) and
returns its typed result (the methods and their signatures are generated from the protocol into
:mod:`daemon.client_methods`, so editors and mypy know them); errors raise :class:`RpcError` with a
code from :class:`ErrorCode`.
A dropped connection is re-opened on the next call.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from typing import Any, TypeVar
from collections.abc import Callable

import msgspec
from msgspec import UNSET

from .protocol import METHODS, ErrorCode, Method, RpcError
from .protocol.envelope import ClientRequest, IncomingResponse, encoder, incoming_decoder
from .protocol.paths import client_socket_path, daemon_uids, socket_path_problem
from .client_methods import AsyncClientMethods, ClientMethods
from .client_streams import AsyncEventStream as AsyncEventStream  # re-exported for the console and agents
from .client_streams import EventStream as EventStream
from .client_streams import SubscriptionDropped as SubscriptionDropped
from .client_streams import belongs as belongs

R = TypeVar("R")
NotificationHandler = Callable[[str, Any], None]


class ConnectionLost(RpcError):
    """The daemon went away before answering; the call may or may not have happened."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.UNAVAILABLE, message)


class UnsafeSocket(ConnectionLost):
    """Not connected: another user could have put their own socket there (a fake daemon).
    See :func:`daemon.protocol.paths.socket_path_problem`; $CLARITY_DAEMON_USER names the
    daemon's user when it is not root, you, or ``clarity``."""


def _check_socket(path: str) -> None:
    problem = socket_path_problem(path, daemon_uids(), check_socket=True)
    if problem is not None:
        raise UnsafeSocket(f"not connecting to {path}: {problem}")


def resolve(name: str) -> Method[Any, Any]:
    """A method by ``noun.verb`` or by one of its client aliases (``noun.alias``)."""
    if name in METHODS:
        return METHODS[name]
    noun, _, verb = name.partition(".")
    for m in METHODS.values():
        if m.noun == noun and verb in m.aliases:
            return m
    raise AttributeError(f"no RPC method {name!r}")


def _params(method: Method[Any, Any], params: Any, kwargs: dict[str, Any]) -> Any:
    if params is None:
        try:  # checked here too, so a wrong keyword fails the same way as on the daemon
            params = msgspec.convert(kwargs, method.params) if kwargs else {}
        except msgspec.ValidationError as e:
            raise RpcError(ErrorCode.INVALID_PARAMS, f"Invalid params: {e}") from None
    elif kwargs:
        raise TypeError("pass params either as an object or as keywords, not both")
    return params


def _result(method: Method[Any, Any] | None, reply: IncomingResponse) -> Any:
    if reply.error is not UNSET:
        e = reply.error
        raise RpcError(e.code, e.message, None if e.data is UNSET else e.data)
    raw = reply.result
    if raw is UNSET:
        return None
    return msgspec.json.decode(raw, type=method.result) if method else msgspec.json.decode(raw)


class _Base:
    def __init__(self, path: str | None = None, timeout: float | None = 30.0) -> None:
        self.path = path or client_socket_path()
        self.timeout = timeout
        self._ids = itertools.count(1)

    def _frame(self, method: str, params: Any, notify: bool = False) -> tuple[int | None, bytes]:
        rid = None if notify else next(self._ids)
        req = ClientRequest(method=method, params=params, id=UNSET if rid is None else rid)
        return rid, encoder.encode(req) + b"\n"


class Client(ClientMethods, _Base):
    """A blocking client; one call at a time. Notifications that arrive while waiting
    (from ``events.subscribe``) go to ``on_notification`` or pile up in ``notifications``."""

    def __init__(
        self, path: str | None = None, timeout: float | None = 30.0, on_notification: NotificationHandler | None = None
    ) -> None:
        super().__init__(path, timeout)
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self.on_notification = on_notification
        self.notifications: list[tuple[str, Any]] = []

    def __enter__(self) -> Client:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        if self._sock is None:
            _check_socket(self.path)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout)
            try:
                s.connect(self.path)
            except OSError as e:
                s.close()
                raise ConnectionLost(f"cannot connect to clarityd at {self.path}: {e.strerror or e}") from e
            self._sock, self._buffer = s, bytearray()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _call_method(self, method: Method[Any, Any], params: Any, kwargs: dict[str, Any]) -> Any:
        return self.call(method, params, **kwargs)

    def call(self, method: Method[Any, R] | str, params: Any = None, /, **kwargs: Any) -> R:
        """Call ``method`` (a protocol Method or its name) and return its typed result."""
        m = resolve(method) if isinstance(method, str) else method
        rid, data = self._frame(m.name, _params(m, params, kwargs))
        self._send(data)
        result: R = _result(m, self._read_reply(rid))
        return result

    def call_raw(self, method: str, params: Any = None) -> Any:
        """Call any method by name with plain JSON params; returns plain JSON."""
        rid, data = self._frame(method, params if params is not None else {})
        self._send(data)
        return _result(None, self._read_reply(rid))

    def _send(self, data: bytes) -> None:
        for attempt in (1, 2):
            self.connect()
            try:
                self._sock.sendall(data)  # type: ignore[union-attr]
                return
            except (BrokenPipeError, ConnectionResetError) as e:
                self.close()  # the daemon restarted since the last call: dial again once
                if attempt == 2:
                    raise ConnectionLost(f"clarityd at {self.path} closed the connection") from e

    def read_message(self) -> IncomingResponse:
        """The next message from the daemon (blocking, up to ``timeout``)."""
        assert self._sock is not None
        while (cut := self._buffer.find(b"\n")) < 0:
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise RpcError(ErrorCode.TIMEOUT, f"no answer from clarityd within {self.timeout}s") from None
            except OSError:
                chunk = b""
            if not chunk:
                self.close()
                raise ConnectionLost("clarityd closed the connection before answering")
            self._buffer += chunk
        line = bytes(self._buffer[:cut])
        del self._buffer[: cut + 1]
        return incoming_decoder.decode(line)

    def next_notification(self, timeout: float | None = None) -> tuple[str, Any]:
        """The next notification as (method, params): one that arrived during a call, else the
        next to come, waiting up to ``timeout`` seconds (the client's timeout when None)."""
        if self.notifications:
            return self.notifications.pop(0)
        return self.receive_notification(timeout)

    def receive_notification(self, timeout: float | None = None) -> tuple[str, Any]:
        """Read the socket until a notification comes (those already kept are not looked at)."""
        self.connect()
        assert self._sock is not None
        if timeout is not None:
            self._sock.settimeout(timeout)
        try:
            while True:
                msg = self.read_message()
                if msg.method is not UNSET and msg.id is UNSET:
                    return msg.method, msgspec.json.decode(msg.params) if msg.params is not UNSET else None
        finally:
            if timeout is not None and self._sock is not None:
                self._sock.settimeout(self.timeout)

    def subscribe_events(
        self,
        type: str | list[str] | None = None,
        subject: str | None = None,
        after_id: int | None = None,
        timeout: float | None = None,
    ) -> EventStream:
        """Subscribe now (see events.subscribe); iterate the returned stream for event dicts::

            with client.subscribe_events(type="agent") as stream:
                for event in stream:
                    print(event["type"], event["subject"])

        ``timeout`` bounds each wait (RpcError TIMEOUT); :class:`SubscriptionDropped` is raised
        if the daemon drops a subscriber that fell behind."""
        sub = self.events.subscribe(type=type, subject=subject, after_id=after_id)
        return EventStream(self, sub.subscription, timeout)

    def _read_reply(self, rid: int | None) -> IncomingResponse:
        while True:
            msg = self.read_message()
            if msg.method is not UNSET and msg.id is UNSET:
                params = msgspec.json.decode(msg.params) if msg.params is not UNSET else None
                if self.on_notification:
                    self.on_notification(msg.method, params)
                else:
                    self.notifications.append((msg.method, params))
                continue
            if msg.id == rid or msg.id is None:  # None: an error the daemon could not tie to a call
                return msg


class AsyncClient(AsyncClientMethods, _Base):
    """An asyncio client; calls may run concurrently on one connection (pipelined)."""

    def __init__(
        self, path: str | None = None, timeout: float | None = 30.0, on_notification: NotificationHandler | None = None
    ) -> None:
        super().__init__(path, timeout)
        self.on_notification = on_notification
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[IncomingResponse]] = {}
        self._read_task: asyncio.Task[None] | None = None
        self._connecting = asyncio.Lock()
        # subscribe_events: each subscription's queue, and notices that came before its reply was seen.
        self._event_queues: dict[int, asyncio.Queue[tuple[str | None, Any]]] = {}
        self._subscribing = 0
        self._unclaimed: list[tuple[str, Any]] = []

    async def __aenter__(self) -> AsyncClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        async with self._connecting:
            if self._writer is not None and not self._writer.is_closing():
                return
            _check_socket(self.path)
            try:
                self._reader, self._writer = await asyncio.open_unix_connection(self.path, limit=16 * 1024 * 1024)
            except OSError as e:
                raise ConnectionLost(f"cannot connect to clarityd at {self.path}: {e.strerror or e}") from e
            self._read_task = asyncio.create_task(self._read_loop())

    async def close(self) -> None:
        if self._read_task:
            self._read_task.cancel()
            self._read_task = None
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (ConnectionError, BrokenPipeError):
                pass
            self._writer = None
        self._fail_pending("client closed")

    def _call_method(self, method: Method[Any, Any], params: Any, kwargs: dict[str, Any]) -> Any:
        return self.call(method, params, **kwargs)  # a coroutine: the typed async methods await it

    async def call(self, method: Method[Any, R] | str, params: Any = None, /, **kwargs: Any) -> R:
        """Call ``method`` (a protocol Method or its name) and return its typed result."""
        m = resolve(method) if isinstance(method, str) else method
        result: R = _result(m, await self._roundtrip(m.name, _params(m, params, kwargs)))
        return result

    async def call_raw(self, method: str, params: Any = None) -> Any:
        return _result(None, await self._roundtrip(method, params if params is not None else {}))

    async def _roundtrip(self, method: str, params: Any) -> IncomingResponse:
        await self.connect()
        rid, data = self._frame(method, params)
        assert rid is not None
        future: asyncio.Future[IncomingResponse] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            self._writer.write(data)  # type: ignore[union-attr]
            await self._writer.drain()  # type: ignore[union-attr]
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise RpcError(ErrorCode.TIMEOUT, f"no answer from clarityd within {self.timeout}s") from None
        except (ConnectionError, BrokenPipeError) as e:
            raise ConnectionLost(f"clarityd connection lost: {e}") from e
        finally:
            self._pending.pop(rid, None)

    async def _read_loop(self) -> None:
        assert self._reader is not None
        try:
            while line := await self._reader.readline():
                msg = incoming_decoder.decode(line)
                if msg.id is UNSET and msg.method is not UNSET:
                    params = msgspec.json.decode(msg.params) if msg.params is not UNSET else None
                    self._route(msg.method, params)
                    if self.on_notification:
                        self.on_notification(msg.method, params)
                    continue
                future = self._pending.get(msg.id) if isinstance(msg.id, int) else None
                if future is not None and not future.done():
                    future.set_result(msg)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self._fail_pending("clarityd closed the connection before answering")

    def _fail_pending(self, why: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost(why))
        self._pending.clear()
        for queue in self._event_queues.values():
            queue.put_nowait((None, ConnectionLost(why)))

    def _route(self, method: str, params: Any) -> None:
        sid = params.get("subscription") if isinstance(params, dict) else None
        queue = self._event_queues.get(sid) if isinstance(sid, int) else None
        if queue is not None:
            queue.put_nowait((method, params))
        elif self._subscribing and method in ("events.event", "events.dropped"):
            self._unclaimed.append((method, params))

    async def subscribe_events(
        self, type: str | list[str] | None = None, subject: str | None = None, after_id: int | None = None
    ) -> AsyncEventStream:
        """Subscribe now (see events.subscribe); iterate the returned stream for event dicts::

        async with await client.subscribe_events(type="agent") as stream:
            async for event in stream:
                print(event["type"], event["subject"])
        """
        queue: asyncio.Queue[tuple[str | None, Any]] = asyncio.Queue()
        self._subscribing += 1
        try:
            sub = await self.events.subscribe(type=type, subject=subject, after_id=after_id)
            self._event_queues[sub.subscription] = queue
            for method, params in self._unclaimed:  # read before this task saw the reply
                if belongs(params, sub.subscription):
                    queue.put_nowait((method, params))
        finally:
            self._subscribing -= 1
            if not self._subscribing:
                self._unclaimed.clear()
        return AsyncEventStream(self, sub.subscription, queue)
