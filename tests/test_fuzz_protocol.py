"""Fuzzing the protocol with hypothesis against one real daemon: framing, envelopes, and every
registered method's params (generated from its msgspec Struct, then mutated).

Whatever is sent, no answer may be -32603 (an internal error is a bug: bad input has its own
codes), and the daemon must still answer afterwards. The budget is bounded (a few hundred
examples in all, no deadline) so the module runs in well under 30 s; set CLARITY_FUZZ_SCALE=10
(and CLARITY_FUZZ_RANDOM=1 for fresh examples each run) to search harder.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from typing import Any

import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.protocol import METHODS, ErrorCode

from conftest import BACKENDS, DaemonProcess
from pg_schema import fresh_schema

SCALE = float(os.environ.get("CLARITY_FUZZ_SCALE", "1"))
FUZZ = settings(
    deadline=None,
    database=None,  # no .hypothesis folder in the working tree
    derandomize=not os.environ.get("CLARITY_FUZZ_RANDOM"),  # the suite sees the same examples each run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
INT64 = 2**63


def budget(n: int) -> settings:
    return settings(FUZZ, max_examples=max(1, int(n * SCALE)))


# -- one daemon and one connection for the module ----------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Every fuzz test runs against SQLite, then PostgreSQL (a schema of its own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzzdb')}/clarity.db"
        return
    with fresh_schema("fuzz_") as url:
        yield url


@pytest.fixture(scope="module")
def fuzz_daemon(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    home = tmp_path_factory.mktemp("fuzz")
    # Short message deadline: framing examples leave half-sent messages behind.
    config = {"limits": {"message_timeout_s": 2.0}, "ingest": {"settle_s": 0.1}}
    d = DaemonProcess(home, database=database, config=config).start()
    with d.client() as c:  # something for ids to find: a few proposals, one of them applied
        for i in range(3):
            c.proposals.create(table="documents", fields={"title": f"doc {i}"}, confidence=0.5)
        c.proposals.create(table="documents", fields={"title": "sure"}, confidence=0.99)
    try:
        yield d
        assert d.proc is not None and d.proc.poll() is None, "clarityd died:\n" + d.log()
    finally:
        log = d.log()
        rc = d.stop()
        d.cleanup()
        assert "internal error" not in log, log
        assert rc == 0, log


class Probe:
    """A raw connection that sends anything, then proves the daemon answers by a health call
    with a fresh id, and returns every reply that came before it."""

    def __init__(self, daemon: DaemonProcess) -> None:
        self.daemon = daemon
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.sentinel = 10**6

    def _connect(self) -> socket.socket:
        if self.sock is None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(15)
            self.sock.connect(self.daemon.socket)
            self.buffer = b""
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, data: bytes, expect: int | None = None) -> list[dict[str, Any]]:
        """Send ``data`` (a newline is added so it ends), then the sentinel; the replies before it,
        and the one with id ``expect`` if it comes after (calls on a connection run concurrently)."""
        self.sentinel += 1
        sentinel_seen = False
        health = b'{"jsonrpc": "2.0", "method": "system.health", "id": %d}\n' % self.sentinel
        sock = self._connect()
        # Closed after a run of bad messages: what it did answer is still readable.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data + b"\n" + health)
        replies = []
        while True:
            while b"\n" not in self.buffer:
                try:
                    chunk = sock.recv(1 << 20)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:  # the daemon closed this connection (too many bad messages, timeout)
                    self.close()
                    self._check_alive()
                    return replies
                self.buffer += chunk
            line, _, self.buffer = self.buffer.partition(b"\n")
            reply = json.loads(line)
            if isinstance(reply, list):  # a batch's answers
                replies.append(reply)
            elif reply.get("id") == self.sentinel:
                assert reply["result"]["status"] == "ok"
                sentinel_seen = True
            elif "id" in reply:  # notifications (an events.subscribe the fuzzer made) are not answers
                replies.append(reply)
            # An error with id null answers too: the daemon could not read the id (a parse error).
            if sentinel_seen and (expect is None or any(r.get("id") in (expect, None) for r in replies)):
                return replies

    def _check_alive(self) -> None:
        with self.daemon.client(timeout=30) as c:
            assert c.system.health().status == "ok"


@pytest.fixture(scope="module")
def probe(fuzz_daemon: DaemonProcess) -> Iterator[Probe]:
    p = Probe(fuzz_daemon)
    yield p
    p.close()


def no_internal_errors(replies: list[Any], sent: bytes) -> None:
    flat = [r for reply in replies for r in (reply if isinstance(reply, list) else [reply])]
    bad = [r for r in flat if isinstance(r, dict) and (r.get("error") or {}).get("code") == ErrorCode.INTERNAL_ERROR]
    assert not bad, f"internal error for {sent[:2000]!r}: {bad}"


# -- strategies ---------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from([0, -1, INT64 - 1, INT64, -INT64 - 1]),
    st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1e308, -1e308, 5e-324]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)

TABLES = [
    "documents",
    "datasets",
    "codebases",
    "media",
    "incidents",
    "sub_agents",
    "self_healing",
    "coding_agent",
    "nope",
    "",
    "memory_documents",
    "documents; DROP TABLE x",
]
COLUMNS = ["id", "title", "created_at", "version", "mime_type", "page_count", "nope", ""]
SQL = [
    "SELECT 1",
    "SELECT * FROM memory_documents",
    "SELECT ?",
    "select",
    "DELETE FROM memory_documents",
    "SELECT 1; SELECT 2",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "PRAGMA table_info(memory_documents)",
    "SELECT 9223372036854775807 + 1",
    "SELECT x'ff'",
    "SELECT zeroblob(10)",
    "EXPLAIN SELECT 1",
    "SELECT json('[1]')",
    "SELECT 1e999",
    "SELECT char(0)",
    "%",
    "SELECT '100%'",
    "",
]
NAMED: dict[str, st.SearchStrategy[Any]] = {
    "table": st.sampled_from(TABLES) | st.text(max_size=20),
    "sort": st.sampled_from(COLUMNS + ["-id", "title desc"]) | st.text(max_size=10),
    "column": st.sampled_from(COLUMNS) | st.text(max_size=10),
    "sql": st.sampled_from(SQL) | st.text(max_size=40),
    "id": st.integers(min_value=-2, max_value=6) | st.sampled_from([INT64 - 1, -INT64]),
    "cursor": st.none() | st.text(max_size=30) | st.sampled_from(["MQ==", "eyJpZCI6IDF9", "0", "-1"]),
    "path": st.sampled_from(["/nonexistent/x.txt", "relative.txt", "", "/", "/tmp/\x00x", "/tmp/\udcff"])
    | st.text(max_size=30),
    "method": st.sampled_from(sorted(METHODS)) | st.none() | st.text(max_size=20),
}


def _from_type(t: mi.Type, name: str = "") -> st.SearchStrategy[Any]:
    """Values that fit ``t`` (at its bounds too); named fields get values that reach real rows."""
    if name in NAMED and not isinstance(t, (mi.BoolType, mi.ListType, mi.DictType, mi.StructType)):
        return NAMED[name] | _plain(t)
    return _plain(t)


def _plain(t: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(t, mi.Metadata):
        return _plain(t.type)
    if isinstance(t, mi.IntType):
        lo = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else -INT64)
        hi = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else INT64 - 1)
        return st.integers(min_value=lo, max_value=hi) | st.sampled_from([lo, hi])
    if isinstance(t, mi.FloatType):
        lo = t.ge if t.ge is not None else t.gt
        hi = t.le if t.le is not None else t.lt
        return st.floats(
            min_value=lo,
            max_value=hi,
            allow_nan=False,
            allow_infinity=False,
            exclude_min=t.gt is not None,
            exclude_max=t.lt is not None,
        )
    if isinstance(t, mi.StrType):
        return st.text(min_size=t.min_length or 0, max_size=min(t.max_length or 40, 40))
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(list(t.values))
    if isinstance(t, mi.DateTimeType):
        return st.datetimes().map(lambda d: d.isoformat() + ("Z" if t.tz else ""))
    if isinstance(t, mi.ListType):
        return st.lists(_plain(t.item_type), max_size=4)
    if isinstance(t, mi.DictType):
        return st.dictionaries(st.sampled_from(COLUMNS) | st.text(max_size=10), _plain(t.value_type), max_size=4)
    if isinstance(t, mi.UnionType):
        return st.one_of([_plain(x) for x in t.types])
    if isinstance(t, mi.StructType):
        return struct_values(t)
    return json_values  # AnyType and anything new


def struct_values(t: mi.StructType) -> st.SearchStrategy[dict[str, Any]]:
    """An object with every required field and any of the optional ones."""
    required = {f.encode_name: _from_type(f.type, f.name) for f in t.fields if f.required}
    optional = {f.encode_name: _from_type(f.type, f.name) for f in t.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


def mutated(params: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Params as declared, or broken: a field dropped, a field of the wrong type, a field too many,
    or not an object at all."""

    def drop(d: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
        if d:
            d = dict(d)
            d.pop(data.draw(st.sampled_from(sorted(d))))
        return d

    def retype(d: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
        if d:
            d = dict(d)
            d[data.draw(st.sampled_from(sorted(d)))] = data.draw(json_values)
        return d

    return st.one_of(
        params,
        params,
        st.builds(drop, params, st.data()),
        st.builds(retype, params, st.data()),
        st.builds(lambda d, k, v: {**d, k: v}, params, st.text(max_size=8), json_values),
        json_values,
    )


PARAMS = {name: mutated(struct_values(mi.type_info(m.params))) for name, m in METHODS.items()}


# -- the tests ---------------------------------------------------------------------------------

JSON_BITS = [
    b"[",
    b"]",
    b"{",
    b"}",
    b'"',
    b"\\",
    b",",
    b":",
    b" ",
    b"1",
    b"-",
    b"1e999",
    b"null",
    b"true",
    b'"jsonrpc"',
    b'"2.0"',
    b'"method"',
    b'"system.health"',
    b'"id"',
    b'"params"',
    b"\n",
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\\u0000",
    b"\\ud800",
    b"9223372036854775808",
]
framing = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(JSON_BITS), max_size=80).map(b"".join),
    st.tuples(st.integers(0, 3000), st.sampled_from([b"[", b'{"a":', b'[{"x":'])).map(lambda t: t[1] * t[0]),
    st.tuples(st.integers(0, 3000), st.booleans()).map(lambda t: b"[" * t[0] + (b"]" * t[0] if t[1] else b"")),
    st.integers(1, 3 * 1024 * 1024).map(lambda n: b'{"jsonrpc": "2.0", "method": "x", "p": "' + b"a" * n),
)


@budget(120)
@given(data=framing)
def test_fuzz_framing(probe: Probe, data: bytes) -> None:
    no_internal_errors(probe.exchange(data), data)


envelope = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.just("2.0") | json_values,
        "method": NAMED["method"] | json_values,
        "id": st.integers(-(2**70), 2**70) | json_scalars,
        "params": json_values,
        "extra": json_values,
    },
)


@budget(120)
@given(message=envelope | st.lists(envelope, max_size=5) | json_values)
def test_fuzz_envelopes(probe: Probe, message: Any) -> None:
    data = json.dumps(message).encode()
    no_internal_errors(probe.exchange(data), data)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_fuzz_method_params(probe: Probe, method: str) -> None:
    @budget(10)
    @given(params=PARAMS[method], rid=st.integers(1, 10**5))
    def check(params: Any, rid: int) -> None:
        data = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": rid}).encode()
        replies = probe.exchange(data, expect=rid)
        no_internal_errors(replies, data)
        assert len(replies) == 1 and replies[0]["id"] in (rid, None), (data, replies)

    check()


def test_fuzz_leaves_the_daemon_serving(fuzz_daemon: DaemonProcess, probe: Probe) -> None:
    """Last in the module: after everything above, a fresh client is served as usual."""
    probe.close()
    with fuzz_daemon.client() as c:
        assert c.system.health().status == "ok"
        assert c.tables.list()
