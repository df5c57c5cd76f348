"""JSON-RPC 2.0 over a Unix stream socket: newline framing, limits, dispatch, drain.

Only this module turns exceptions into error responses: DaemonError subclasses carry
their code; msgspec validation errors of params become -32602 with msgspec's path text;
anything else is logged with its traceback and answered -32603 without it.
"""

from __future__ import annotations

import asyncio
import grp
import logging
import os
import socket
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import UNSET, UnsetType

from ..auth import identify
from ..errors import DaemonError, Forbidden, InvalidParams, MethodNotFound
from ..protocol.envelope import (
    MAX_NESTING,
    ErrorObject,
    Request,
    Response,
    encode_message,
    encoder,
    has_nul,
    message_decoder,
    nesting_depth_exceeds,
    out_of_range_integer,
    request_decoder,
)
from ..protocol.errors import ErrorCode
from ..protocol.paths import UnsafeSocketPath, socket_path_problem
from ..protocol.registry import METHODS, Method, Role
from ..protocol.system import Identity
from .connection import Connection
from .eager import start_eagerly
from .router import HANDLERS, CallContext

if TYPE_CHECKING:
    from ..config import Limits
    from ..service import Daemon

log = logging.getLogger("clarityd.rpc")

MAX_ERRORS_IN_A_ROW = 20  # a peer that only sends garbage is cut off after this many
READ_CHUNK = 64 * 1024


def error_response(code: ErrorCode, message: str, id: Any = None, data: Any = UNSET) -> Response:
    return Response(id=id, error=ErrorObject(code=int(code), message=message, data=data))


class SocketInUse(Exception):
    pass


class RpcServer:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.connections: set[Connection] = set()
        self._server: asyncio.AbstractServer | None = None
        self._serving: set[asyncio.Task[Any]] = set()
        self._readers: dict[Connection, asyncio.Task[Any]] = {}
        self._per_uid: dict[int, int] = {}  # open connections of each non-operator uid
        self._param_decoders: dict[str, msgspec.json.Decoder[Any]] = {
            name: msgspec.json.Decoder(m.params) for name, m in METHODS.items()
        }

    @property
    def limits(self) -> Limits:  # read at use: SIGHUP may change them
        return self.daemon.config.limits

    # -- lifecycle --------------------------------------------------------------------

    async def start(self, path: str, group: str = "") -> None:
        """Listen at ``path``; UnsafeSocketPath if another user could replace the socket there."""
        self._check_folder(path)  # before creating anything inside a folder that is not ours
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        self._check_folder(path)
        if os.path.exists(path):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
                raise SocketInUse(f"{path}: another clarityd is listening there")
            except (ConnectionRefusedError, FileNotFoundError):
                os.unlink(path)  # stale, from a daemon that died
            finally:
                probe.close()
        old = os.umask(0o117)  # the socket is born 0660: no moment with wider access
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=path, limit=READ_CHUNK, backlog=1024)
        finally:
            os.umask(old)
        os.chmod(path, 0o660)
        if group:
            os.chown(path, -1, grp.getgrnam(group).gr_gid)

    @staticmethod
    def _check_folder(path: str) -> None:
        problem = socket_path_problem(path, {0, os.geteuid()})
        if problem is not None:
            raise UnsafeSocketPath(f"refusing to listen at {path}: {problem}")

    async def drain(self, timeout: float) -> None:
        """Stop accepting and reading; let in-flight calls finish (up to ``timeout``); close."""
        if self._server is not None:
            self._server.close()
        for task in self._readers.values():
            task.cancel()
        if self._serving:
            done, pending = await asyncio.wait(self._serving, timeout=timeout)
            if pending:
                log.warning("%d connection(s) still busy after %.0fs; closing them", len(pending), timeout)
                for task in pending:
                    task.cancel()
        for conn in list(self.connections):
            conn.close()

    def refresh_identities(self) -> None:
        """After a reload: roles may have changed for connected callers."""
        for conn in self.connections:
            sock = conn.writer.get_extra_info("socket")
            if sock is not None:
                conn.identity = identify(sock, self.daemon.config.roles)

    # -- one connection ---------------------------------------------------------------

    def _refusal(self, identity: Identity) -> str | None:
        """Why a new connection from ``identity`` is refused now, or None to let it in.

        Operators may use every slot; everyone else shares those left after the operators'
        reserve, at most ``max_connections_per_uid`` each, so one user cannot fill the table."""
        limits = self.limits
        if self.daemon.stopping:
            return "shutting down"
        if len(self.connections) >= limits.max_connections:
            return "too many connections"
        if identity.role == Role.operator.name:
            return None
        reserved = min(limits.reserved_for_operators, limits.max_connections // 2)
        others = len(self.connections) - sum(c.identity.role == Role.operator.name for c in self.connections)
        if others >= limits.max_connections - reserved:
            return "too many connections (the rest are kept for operators)"
        if self._per_uid.get(identity.uid, 0) >= limits.max_connections_per_uid:
            return f"too many connections from uid {identity.uid}"
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        conn: Connection | None = None
        try:
            try:
                identity = identify(writer.get_extra_info("socket"), self.daemon.config.roles)
            except OSError as e:
                log.warning("cannot read peer credentials: %s", e)
                writer.close()
                return
            why = self._refusal(identity)
            if why is not None:
                writer.write(encoder.encode(error_response(ErrorCode.UNAVAILABLE, f"server busy: {why}")) + b"\n")
                await asyncio.wait_for(writer.drain(), 1.0)
                writer.close()
                return
            conn = self._open(writer, identity)
            read_task = asyncio.create_task(self._read_loop(reader, conn))
            self._readers[conn] = read_task
            try:
                await read_task
            except asyncio.CancelledError:
                if not read_task.cancelled():
                    raise
            except Exception:  # a bug in reading must cost this connection, never its slot
                log.exception("error reading from %s (uid %d); closing", conn.identity.user, conn.identity.uid)
            finally:
                self._readers.pop(conn, None)
            if conn.tasks:
                await asyncio.gather(*conn.tasks, return_exceptions=True)
        except (TimeoutError, ConnectionError):
            writer.close()
        finally:
            if conn is not None:
                self._close(conn)
            self._serving.discard(task)

    def _open(self, writer: asyncio.StreamWriter, identity: Identity) -> Connection:
        conn = Connection(writer, identity, self.limits.max_inflight_per_connection, self.limits.idle_timeout_s)
        conn.counted_uid = None if identity.role == Role.operator.name else identity.uid
        self.connections.add(conn)
        if conn.counted_uid is not None:
            self._per_uid[conn.counted_uid] = self._per_uid.get(conn.counted_uid, 0) + 1
        return conn

    def _close(self, conn: Connection) -> None:
        """Free the connection's slot: every way out of ``_serve`` comes here."""
        if conn in self.connections:
            self.connections.discard(conn)
            uid = conn.counted_uid  # as counted at open, whatever a reload made of its role since
            if uid is not None:
                self._per_uid[uid] -= 1
                if not self._per_uid[uid]:
                    del self._per_uid[uid]
        conn.close()

    async def _read_loop(self, reader: asyncio.StreamReader, conn: Connection) -> None:
        limits = self.limits
        loop = asyncio.get_running_loop()
        buffer = bytearray()
        discarding = False  # skipping the rest of an oversized message
        errors_in_a_row = 0
        # When the message now arriving must be complete: set at its first byte, never moved by
        # later bytes, so trickling a byte at a time does not hold a connection open.
        deadline: float | None = None
        idle = IdleWatch(reader, conn, limits.idle_timeout_s)
        try:
            while not conn.closed:
                idle.partial = partial = bool(buffer) or discarding
                try:
                    if partial and deadline is not None:
                        async with asyncio.timeout_at(deadline):  # not wait_for: that makes a task per read
                            chunk = await reader.read(READ_CHUNK)
                    else:
                        chunk = await reader.read(READ_CHUNK)  # the IdleWatch ends it if nothing comes
                except TimeoutError:
                    await self._reply(conn, error_response(ErrorCode.TIMEOUT, "message not finished in time; closing"))
                    return
                except ConnectionError:
                    return
                if not chunk:
                    return  # EOF, or idle too long; in-flight calls still get their answers
                idle.last = loop.time()
                completed = False  # did a message end in this chunk (so what follows is a new one)?
                if discarding:
                    cut = chunk.find(b"\n")
                    if cut < 0:
                        chunk = b""
                    else:
                        chunk, discarding, completed = chunk[cut + 1 :], False, True
                buffer += chunk
                while (cut := buffer.find(b"\n")) >= 0:
                    completed = True
                    line = bytes(buffer[:cut])
                    del buffer[: cut + 1]
                    if len(line) > limits.max_message_bytes:
                        await self._too_large(conn)
                        errors_in_a_row += 1
                    elif line.strip():
                        errors_in_a_row = 0 if await self._accept(conn, line) else errors_in_a_row + 1
                    if errors_in_a_row >= MAX_ERRORS_IN_A_ROW:
                        log.warning(
                            "closing connection of %s after %d bad messages", conn.identity.user, errors_in_a_row
                        )
                        return
                if len(buffer) > limits.max_message_bytes:
                    buffer.clear()
                    discarding = True
                    await self._too_large(conn)
                if not buffer and not discarding:
                    deadline = None
                elif completed or deadline is None:
                    # Measured after handling what came before it: time spent waiting for this
                    # connection's own calls (backpressure) is not charged to the next message.
                    deadline = loop.time() + limits.message_timeout_s
        finally:
            idle.stop()

    async def _too_large(self, conn: Connection) -> None:
        limit = self.limits.max_message_bytes
        await self._reply(conn, error_response(ErrorCode.TOO_LARGE, f"message over the {limit}-byte limit; skipped"))

    async def _accept(self, conn: Connection, line: bytes) -> bool:
        """Start handling one message; False when it is not even valid JSON-RPC framing."""
        if nesting_depth_exceeds(line, MAX_NESTING + 1):  # +1: a batch's own array
            await self._reply(
                conn,
                error_response(ErrorCode.INVALID_REQUEST, f"Invalid Request: nested deeper than {MAX_NESTING} levels"),
            )
            return False
        try:
            message = message_decoder.decode(line)
        except RecursionError:  # the check above makes this unlikely; the stack is still the stack
            await self._reply(conn, error_response(ErrorCode.INVALID_REQUEST, "Invalid Request: nested too deeply"))
            return False
        except msgspec.ValidationError:
            # msgspec stops at the first value of the wrong type, before reading the rest: make
            # sure the line is JSON at all, or "7garbage" would be an invalid request, not a parse error.
            if _is_json(line):
                await self._reply(conn, error_response(ErrorCode.INVALID_REQUEST, "Invalid Request"))
            else:
                await self._reply(conn, error_response(ErrorCode.PARSE_ERROR, "Parse error"))
            return False
        except (msgspec.DecodeError, UnicodeDecodeError):
            await self._reply(conn, error_response(ErrorCode.PARSE_ERROR, "Parse error"))
            return False
        if isinstance(message, list) and not message:
            await self._reply(conn, error_response(ErrorCode.INVALID_REQUEST, "Invalid Request: empty batch"))
            return False
        await conn.inflight.acquire()  # backpressure: stop reading while too much is in flight
        try:
            task = start_eagerly(self._handle_message(conn, message))
        except Exception:  # a bug: this message is lost, never the connection
            log.exception("internal error handling a message from %s", conn.identity.user)
            task = None
        if task is None:  # answered already, on this turn of the loop
            conn.inflight.release()
            return True
        conn.tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            conn.tasks.discard(t)
            conn.inflight.release()

        task.add_done_callback(done)
        return True

    async def _handle_message(self, conn: Connection, message: Request | list[msgspec.Raw]) -> None:
        if isinstance(message, Request):
            response = await self.call(conn, message)
            if response is not None:
                await self._reply(conn, response)
            return
        responses = []
        for raw in message:  # a batch: each element on its own
            try:
                request = request_decoder.decode(raw)
            except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                responses.append(error_response(ErrorCode.INVALID_REQUEST, "Invalid Request"))
                continue
            response = await self.call(conn, request)
            if response is not None:
                responses.append(response)
        if responses:  # a batch of notifications gets nothing back
            await conn.send(encode_message(responses))

    async def _reply(self, conn: Connection, response: Response) -> None:
        await conn.send(encode_message(response))

    # -- one call ---------------------------------------------------------------------

    async def call(self, conn: Connection | None, request: Request, identity: Any = None) -> Response | None:
        """Run one request; None for a notification (whose errors are only logged)."""
        rid = None if isinstance(request.id, UnsetType) else request.id  # UNSET: a notification
        try:
            result = await self._invoke(conn, request, identity or conn.identity)  # type: ignore[union-attr]
            response = Response(id=rid, result=result)
        except DaemonError as e:
            response = error_response(e.code, e.message, rid, e.data if e.data is not None else UNSET)
        except msgspec.ValidationError as e:
            response = error_response(ErrorCode.INVALID_PARAMS, f"Invalid params: {e}", rid)
        except Exception:
            log.exception("internal error in %s", request.method)
            response = error_response(ErrorCode.INTERNAL_ERROR, "Internal error (see the daemon's log)", rid)
        if request.is_notification:
            if response.error is not UNSET:
                log.info("notification %s failed: %s", request.method, response.error.message)
            return None
        return response

    async def _invoke(self, conn: Connection | None, request: Request, identity: Any) -> Any:
        method: Method[Any, Any] | None = METHODS.get(request.method)
        handler = HANDLERS.get(request.method)
        if method is None or handler is None:
            raise MethodNotFound(f"Method not found: {request.method}")
        ctx = CallContext(identity=identity, daemon=self.daemon, connection=conn)
        role = ctx.role
        if role is None or role < method.role:
            raise Forbidden(
                f"{request.method} needs the {method.role.name} role; "
                f"{identity.user} (uid {identity.uid}) has {identity.role}"
            )
        params = self._decode_params(request)
        return await handler(ctx, params)

    def _decode_params(self, request: Request) -> Any:
        """The request's params as its method's Struct; InvalidParams (or msgspec's
        ValidationError, also -32602) for anything else, never an internal error."""
        raw = request.params
        if raw is UNSET:
            return self._param_decoders[request.method].decode(b"{}")
        body = bytes(raw)
        if body.lstrip().startswith(b"["):  # by position: only an empty list is accepted
            if body.translate(None, b" \t\r\n") != b"[]":
                raise InvalidParams("Invalid params: pass params by name (a JSON object)")
            body = b"{}"
        if (number := out_of_range_integer(body)) is not None:
            raise InvalidParams(f"Invalid params: {number.decode()} does not fit a 64-bit integer")
        if has_nul(body):
            raise InvalidParams("Invalid params: a string holds a NUL character (\\u0000)")
        try:
            return self._param_decoders[request.method].decode(body)
        except msgspec.ValidationError:
            raise  # -32602 with msgspec's own words, in call()
        except (msgspec.DecodeError, UnicodeDecodeError) as e:
            # The envelope parsed (msgspec does not look inside Raw params), the params did not:
            # most often a string that is not valid UTF-8.
            raise InvalidParams(f"Invalid params: not valid JSON: {e}") from None
        except RecursionError:
            raise InvalidParams("Invalid params: nested too deeply") from None


class IdleWatch:
    """Ends a connection's reading once nothing has come for ``idle_s`` (unless it streams or a
    message is half-read: the message deadline covers that). One timer per connection, moved
    on only when it fires, instead of one armed and cancelled around every read."""

    def __init__(self, reader: asyncio.StreamReader, conn: Connection, idle_s: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.reader, self.conn, self.idle_s = reader, conn, idle_s
        self.last = self.loop.time()  # when something last came
        self.partial = False
        self._timer = self.loop.call_at(self.last + idle_s, self._check)

    def _check(self) -> None:
        now = self.loop.time()
        if self.conn.streams or self.partial:
            self._timer = self.loop.call_at(now + self.idle_s, self._check)
        elif now - self.last < self.idle_s:
            self._timer = self.loop.call_at(self.last + self.idle_s, self._check)
        else:
            # The read loop sees the end, as if the peer had closed; reading stops first, since a
            # reader may not be fed after its end (calls still in flight keep their answers).
            transport = self.conn.writer.transport
            if isinstance(transport, asyncio.ReadTransport):
                transport.pause_reading()
            self.reader.feed_eof()

    def stop(self) -> None:
        self._timer.cancel()


def _is_json(data: bytes) -> bool:
    try:
        msgspec.json.decode(data)
        return True
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False
