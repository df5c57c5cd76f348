"""Hostile local callers (issue 9): no lock-out by nesting or trickling, fair shares of the
connection table with slots kept for operators, and bad values answered -32602, never -32603."""

from __future__ import annotations

import contextlib
import json
import socket
import time
import typing

import msgspec
import pytest

from daemon.protocol import METHODS, ErrorCode, RpcError

from peers import NOBODY, connect_as, open_to
from wire import RawConnection

HEALTH = b'{"jsonrpc": "2.0", "method": "system.health", "id": 1}\n'


def connections_settle_at(daemon, count: int) -> bool:
    """Wait (ten seconds at most) until the daemon counts ``count`` connections besides ours."""
    for _ in range(200):
        try:
            with daemon.client(timeout=10) as c:
                if c.system.health().connections == count + 1:
                    return True
        except RpcError as e:
            assert e.code == ErrorCode.UNAVAILABLE
        time.sleep(0.05)
    return False


def health_ok(daemon) -> bool:
    with daemon.client(timeout=10) as c:
        return c.system.health().status == "ok"


def read_json(sock: socket.socket) -> dict | None:
    """The next message on a raw socket, or None at EOF."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return json.loads(data.split(b"\n")[0])


def test_deeply_nested_messages_do_not_lock_anyone_out(daemon):
    """The reproduction from the issue: 256 connections each send 1,000 nested brackets."""
    deep = b"[" * 1000 + b"]" * 1000 + b"\n"
    with RawConnection(daemon.socket) as conn:
        conn.send(deep)
        assert conn.recv()["error"]["code"] == ErrorCode.INVALID_REQUEST
        assert conn.call(HEALTH.decode().strip())["result"]["status"] == "ok"  # the connection goes on
    for _ in range(256):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(daemon.socket)
        s.sendall(deep)
        s.close()
    # Those 256 fill the table for a moment, until the daemon has read and closed each one;
    # before the fix their slots were never freed.
    assert connections_settle_at(daemon, 0)


def test_deep_params_and_batches_are_invalid_requests(daemon):
    with RawConnection(daemon.socket) as conn:
        deep_params = (
            '{"jsonrpc": "2.0", "method": "rows.list", "id": 7, "params": {"table": "documents", '
            '"filters": {"title": ' + "[" * 500 + "]" * 500 + "}}}"
        )
        assert conn.call(deep_params)["error"]["code"] == ErrorCode.INVALID_REQUEST
        deep_batch = "[" + ",".join(["[" * 300 + "]" * 300] * 3) + "]"
        assert conn.call(deep_batch)["error"]["code"] == ErrorCode.INVALID_REQUEST
        # Brackets inside strings are text, not nesting.
        in_string = (
            '{"jsonrpc": "2.0", "method": "rows.list", "id": 8, "params": {"table": "documents", '
            '"search": "' + "[" * 500 + '"}}'
        )
        assert "result" in conn.call(in_string)
    assert health_ok(daemon)


@pytest.mark.parametrize(
    "params",
    [
        {"table": "documents", "id": 2**63},
        {"table": "documents", "id": -(2**63) - 1},
        {"table": "documents", "id": 10**40},
    ],
)
def test_ids_beyond_64_bits_are_invalid_params(daemon, params):
    with RawConnection(daemon.socket) as conn:
        for method, p in (("rows.get", params), ("proposals.get", {"id": params["id"]})):
            reply = conn.call(json.dumps({"jsonrpc": "2.0", "method": method, "params": p, "id": 3}))
            assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS, (method, reply)
            assert reply["id"] == 3
        # The largest id that fits is simply not there.
        reply = conn.call(
            json.dumps(
                {"jsonrpc": "2.0", "method": "rows.get", "id": 4, "params": {"table": "documents", "id": 2**63 - 1}}
            )
        )
        assert reply["error"]["code"] == ErrorCode.NOT_FOUND


def test_integers_beyond_64_bits_anywhere_in_params_are_invalid_params(daemon_on):
    daemon = daemon_on
    calls = [
        ("rows.list", {"table": "documents", "filters": {"id": 2**64}}),
        ("rows.list", {"table": "documents", "filters": {"id": {"in": [1, -(2**70)]}}}),
        ("proposals.create", {"table": "documents", "fields": {"title": "x", "page_count": 2**63}, "confidence": 0.5}),
        ("query.sql", {"sql": "SELECT ?", "params": [2**63]}),
    ]
    with RawConnection(daemon.socket) as conn:
        for method, params in calls:
            reply = conn.call(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 5}))
            assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS, (method, reply)
        # Big numbers inside strings, and floats of any size, are fine.
        reply = conn.call(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "rows.list",
                    "id": 6,
                    "params": {"table": "documents", "search": str(2**70)},
                }
            )
        )
        assert "result" in reply
    assert "Traceback" not in daemon.log()


def test_nul_in_a_string_is_invalid_params_on_every_backend(daemon_on):
    """PostgreSQL cannot hold NUL in text or jsonb: found by the fuzzer as -32603 there."""
    with RawConnection(daemon_on.socket) as conn:
        for method, params in (
            ("query.search", {"text": "a\u0000b"}),
            ("proposals.create", {"table": "documents", "fields": {"title": "\u0000"}, "confidence": 0.5}),
        ):
            reply = conn.call(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 2}))
            assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS, (method, reply)
        # A backslash and "u0000" as text is not a NUL.
        reply = conn.call(
            json.dumps({"jsonrpc": "2.0", "method": "query.search", "id": 3, "params": {"text": "\\u0000"}})
        )
        assert "result" in reply, reply


def test_sql_with_a_stray_percent_is_invalid_params(daemon_on):
    """Found by the fuzzer: psycopg2 reads % as a placeholder, and failed with IndexError (-32603)."""
    with daemon_on.client() as c:
        for sql, params in (("%", []), ("SELECT 1 WHERE 1 = %s", []), ("SELECT 1 WHERE 1 = %d", [1])):
            with pytest.raises(RpcError) as e:
                c.call_raw("query.sql", {"sql": sql, "params": params})
            assert e.value.code == ErrorCode.INVALID_PARAMS, (sql, e.value)


def test_invalid_utf8_inside_params_is_invalid_params(daemon):
    with RawConnection(daemon.socket) as conn:
        conn.send(b'{"jsonrpc": "2.0", "method": "rows.get", "id": 9, "params": {"table": "doc\xff\xfe", "id": 1}}\n')
        reply = conn.recv()
        assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS and reply["id"] == 9
        conn.send(
            b'{"jsonrpc": "2.0", "method": "proposals.create", "id": 10, "params": {"table": "documents", '
            b'"fields": {"title": "\xc3("}, "confidence": 0.5}}\n'
        )
        reply = conn.recv()
        assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS and reply["id"] == 10
    assert health_ok(daemon)


# -- slowloris, per-uid caps, operators' reserve ----------------------------------------------

LIMITS = {"max_connections": 12, "reserved_for_operators": 4, "max_connections_per_uid": 5, "message_timeout_s": 1.0}


def limited_daemon(make_daemon, **limits):
    """A daemon with small limits, its socket reachable by other uids (group nogroup)."""
    d = make_daemon(config={"limits": {**LIMITS, **limits}, "socket_group": "nogroup"})
    open_to(d.socket)
    return d


@pytest.fixture
def limited(make_daemon):
    return limited_daemon(make_daemon)


def accepted(sock: socket.socket) -> bool:
    """Send a health call; True if it was answered, False if the daemon had refused the connection."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # refused: its error is still there
        sock.sendall(HEALTH)
    reply = read_json(sock)
    if reply is not None and "error" in reply:
        assert reply["error"]["code"] == ErrorCode.UNAVAILABLE
        return False
    return reply is not None


def test_trickling_a_byte_at_a_time_does_not_hold_a_connection(make_daemon):
    """The deadline runs from a message's first byte: new bytes do not push it back."""
    daemon = make_daemon(config={"limits": {"message_timeout_s": 1.0}})
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(daemon.socket)
    s.settimeout(0.3)
    reply = None
    partial = b'{"jsonrpc": "2.0", "method": "system.health", "id": 1' + b" " * 200
    for byte in partial:  # 0.3 s apart: with a per-byte timeout of 1 s this never ends
        try:
            s.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            reply = read_json(s)
            break
        except TimeoutError:
            continue
    assert reply is not None and reply["error"]["code"] == ErrorCode.TIMEOUT
    s.close()
    assert health_ok(daemon)


def test_one_uid_cannot_take_every_slot(limited):
    socks = connect_as(limited.socket, NOBODY, count=8)
    try:
        outcome = [accepted(s) for s in socks]
        assert outcome.count(True) == LIMITS["max_connections_per_uid"]
        # Another (unprivileged) uid still gets in.
        other = connect_as(limited.socket, 61001)[0]
        assert accepted(other)
        other.close()
    finally:
        for s in socks:
            s.close()


def test_slots_are_kept_for_operators(make_daemon):
    """Half-sent messages from several uids fill the shared slots; an operator still gets in,
    and the half-sent messages all time out, freeing the slots."""
    daemon = limited_daemon(make_daemon, message_timeout_s=4.0)
    held = []
    try:
        for uid in (61001, 61002, 61003):
            for s in connect_as(daemon.socket, uid, count=4):
                held.append(s)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a refused one
                    s.sendall(b'{"jsonrpc": "2.0", ')  # a message begun, never finished
        assert connections_settle_at(daemon, 8)  # root, an operator, got in on the reserve
        late = connect_as(daemon.socket, 61004)[0]
        assert not accepted(late)  # the 12 - 4 shared slots are taken
        late.close()
        replies = [read_json(s) for s in held]
        codes = sorted(r["error"]["code"] for r in replies if r is not None)
        assert codes == sorted([ErrorCode.TIMEOUT] * 8 + [ErrorCode.UNAVAILABLE] * 4)
    finally:
        for s in held:
            s.close()
    assert connections_settle_at(daemon, 0)


def _unbounded_ints(tp: object, where: str, seen: set[type]) -> list[str]:
    """Paths of int fields under ``tp`` with no upper and lower bound (msgspec Meta)."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        if tp in seen:
            return []
        seen.add(tp)
        return [p for f in msgspec.structs.fields(tp) for p in _unbounded_ints(f.type, f"{where}.{f.name}", seen)]
    if typing.get_origin(tp) is typing.Annotated:
        base, *metas = typing.get_args(tp)
        if base is int:
            bounds = [m for m in metas if isinstance(m, msgspec.Meta)]
            lower = any(m.ge is not None or m.gt is not None for m in bounds)
            upper = any(m.le is not None or m.lt is not None for m in bounds)
            return [] if lower and upper else [where]
        return _unbounded_ints(base, where, seen)
    if tp is int:
        return [where]
    return [p for arg in typing.get_args(tp) for p in _unbounded_ints(arg, where, seen)]


def test_every_integer_param_is_bounded():
    """Each integer a method takes declares its range (Id, Int64 or its own Meta), so a value
    the database cannot hold is -32602 from the decoder, before any handler runs."""
    missing = [p for m in METHODS.values() for p in _unbounded_ints(m.params, m.name, set())]
    assert missing == []


def test_answers_carrying_undecodable_file_names_are_still_sent():
    """A file name that is not UTF-8 reaches Python as lone surrogates (os.fsdecode), which no
    UTF-8 JSON can carry; the answer escapes them instead of never being sent."""
    from daemon.protocol.envelope import Response, encode_message

    wire = encode_message(Response(id=1, result={"path": "/in/bad\udcff.txt", "n": [1, "\ud800"]}))
    assert json.loads(wire)["result"] == {"path": "/in/bad\\xff.txt", "n": [1, "\\xed\\xa0\\x80"]}


def test_a_caller_that_never_reads_answers_loses_its_connection(make_daemon):
    """Calls sent, answers never read: once the socket's buffers are full the daemon waits on
    the writes; after idle_timeout_s it drops the connection and frees the slot."""
    daemon = make_daemon(config={"limits": {"idle_timeout_s": 1.0}})
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(daemon.socket)
    call = b'{"jsonrpc": "2.0", "method": "system.info", "id": 1}\n'
    s.settimeout(0.5)
    try:
        for _ in range(2000):  # 2,000 answers of over 1 KB: far more than the socket buffers hold
            s.sendall(call)
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass  # the daemon stopped reading (backpressure) or already hung up
    assert connections_settle_at(daemon, 0)
    s.close()
    assert "read no answers" in daemon.log()
