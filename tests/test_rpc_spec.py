"""The JSON-RPC 2.0 specification's own examples (section 7), over the real socket."""

from __future__ import annotations

import pytest

from wire import RawConnection


@pytest.fixture
def conn(daemon):
    with RawConnection(daemon.socket) as c:
        yield c


def test_call_with_named_params(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": "tables.describe", "params": {"table": "documents"}, "id": 3}')
    assert r["jsonrpc"] == "2.0" and r["id"] == 3
    assert r["result"]["db_table"] == "memory_documents"
    assert "error" not in r


def test_call_without_params_and_string_id(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": "system.health", "id": "abc"}')
    assert r["id"] == "abc" and r["result"]["status"] == "ok"


def test_null_id_is_a_call_not_a_notification(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": "system.health", "id": null}')
    assert r["id"] is None and r["result"]["status"] == "ok"


def test_notification_gets_no_reply(conn):
    conn.send('{"jsonrpc": "2.0", "method": "system.health"}\n')
    conn.send('{"jsonrpc": "2.0", "method": "no.such"}\n')  # even a failing one
    r = conn.call('{"jsonrpc": "2.0", "method": "system.health", "id": 9}')
    assert r["id"] == 9  # the first reply on the wire is the call's


def test_method_not_found(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')
    assert r == {"jsonrpc": "2.0", "id": "1", "error": {"code": -32601, "message": r["error"]["message"]}}


def test_invalid_json_is_parse_error(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
    assert r["error"]["code"] == -32700 and r["id"] is None


def test_invalid_request_object(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')
    assert r["error"]["code"] == -32600 and r["id"] is None


def test_wrong_version_is_invalid_request(conn):
    r = conn.call('{"jsonrpc": "1.0", "method": "system.health", "id": 1}')
    assert r["error"]["code"] == -32600


def test_batch_invalid_json(conn):
    r = conn.call('[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method"]')
    assert isinstance(r, dict) and r["error"]["code"] == -32700


def test_empty_batch(conn):
    r = conn.call("[]")
    assert isinstance(r, dict) and r["error"]["code"] == -32600


def test_invalid_batch_of_one(conn):
    r = conn.call("[1]")
    assert [e["error"]["code"] for e in r] == [-32600]


def test_invalid_batch(conn):
    r = conn.call("[1,2,3]")
    assert [e["error"]["code"] for e in r] == [-32600] * 3
    assert all(e["id"] is None for e in r)


def test_mixed_batch(conn):
    r = conn.call(
        '[{"jsonrpc": "2.0", "method": "system.health", "id": "1"},'
        ' {"jsonrpc": "2.0", "method": "system.health"},'
        ' {"jsonrpc": "2.0", "method": "tables.describe", "params": {"table": "media"}, "id": "2"},'
        ' {"foo": "boo"},'
        ' {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},'
        ' {"jsonrpc": "2.0", "method": "rows.get", "params": {"table": "media", "id": 1}, "id": "9"}]'
    )
    by_id = {e["id"]: e for e in r if e["id"] is not None}
    assert len(r) == 5  # the notification gets nothing
    assert by_id["1"]["result"]["status"] == "ok"
    assert by_id["2"]["result"]["name"] == "media"
    assert by_id["5"]["error"]["code"] == -32601
    assert by_id["9"]["error"]["code"] == -32001  # NOT_FOUND: no such row
    assert [e["error"]["code"] for e in r if e["id"] is None] == [-32600]


def test_batch_of_notifications_returns_nothing(conn):
    conn.send('[{"jsonrpc": "2.0", "method": "system.health"}, {"jsonrpc": "2.0", "method": "system.info"}]\n')
    assert conn.nothing_within(0.5)


@pytest.mark.parametrize(
    "params",
    [
        '{"table": "documents", "limit": "ten"}',  # wrong type
        '{"table": "documents", "limit": 0}',  # out of range
        '{"table": "documents", "bogus": 1}',  # unknown field
        '{"limit": 5}',  # missing required
        '["documents"]',  # by position
        '"documents"',  # neither object nor array
    ],
)
def test_invalid_params(conn, params):
    r = conn.call(f'{{"jsonrpc": "2.0", "method": "rows.list", "params": {params}, "id": 7}}')
    assert r["id"] == 7 and r["error"]["code"] == -32602


def test_invalid_params_names_the_path(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": "rows.list", "params": {"table": "documents", "limit": "x"}, "id": 1}')
    assert "$.limit" in r["error"]["message"]


def test_unknown_table_is_not_found(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": "rows.list", "params": {"table": "nope"}, "id": 1}')
    assert r["error"]["code"] == -32001


def test_empty_params_array_means_none(conn):
    r = conn.call('{"jsonrpc": "2.0", "method": "system.health", "params": [], "id": 1}')
    assert r["result"]["status"] == "ok"


def test_pipelined_requests_all_answered(conn):
    conn.send("".join(f'{{"jsonrpc": "2.0", "method": "system.health", "id": {i}}}\n' for i in range(200)))
    ids = {conn.recv()["id"] for _ in range(200)}
    assert ids == set(range(200))


@pytest.mark.parametrize("line", ["7garbage", "-1x", "[1, 2", '{"jsonrpc": "2.0", "method": 1} trailing', "true!"])
def test_invalid_json_after_a_wrong_type_is_still_a_parse_error(conn, line):
    assert conn.call(line)["error"]["code"] == -32700
