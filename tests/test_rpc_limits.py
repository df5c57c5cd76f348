"""Oversized, garbage, stalled and flooding peers: each gets an error or is closed, and the
daemon keeps serving everyone else."""

from __future__ import annotations

import json
import os
import socket
import time

from daemon.protocol import ErrorCode

from wire import RawConnection

HEALTH = '{"jsonrpc": "2.0", "method": "system.health", "id": 1}\n'


def still_serving(daemon) -> bool:
    with daemon.client() as c:
        return c.system.health().status == "ok"


def test_oversized_message_is_refused_and_the_connection_goes_on(daemon):
    with RawConnection(daemon.socket) as conn:
        big = (
            '{"jsonrpc": "2.0", "method": "system.health", "params": {"x": "'
            + "a" * (2 * 1024 * 1024)
            + '"}, "id": 1}\n'
        )
        conn.send(big)
        assert conn.recv()["error"]["code"] == ErrorCode.TOO_LARGE
        # The rest of the oversized message was skipped; the next message is served.
        assert conn.call(HEALTH.strip())["result"]["status"] == "ok"
    assert still_serving(daemon)


def test_oversized_message_without_newline(daemon):
    with RawConnection(daemon.socket) as conn:
        conn.send(b"x" * (1024 * 1024 + 10))
        assert conn.recv()["error"]["code"] == ErrorCode.TOO_LARGE
        conn.send(b"yyyy\n" + HEALTH.encode())  # the tail of the big one, then a good one
        assert conn.recv()["result"]["status"] == "ok"


def test_garbage_gets_parse_errors_then_the_connection_is_closed(daemon):
    with RawConnection(daemon.socket) as conn:
        conn.send(os.urandom(64).replace(b"\n", b"") + b"\n")
        assert conn.recv()["error"]["code"] == ErrorCode.PARSE_ERROR
        conn.send(b"not json\n" * 50)
        codes = []
        while (line := conn.line()) is not None:
            codes.append(line)
        assert 0 < len(codes) < 50  # cut off after a run of bad messages
    assert still_serving(daemon)


def test_binary_garbage_with_invalid_utf8(daemon):
    with RawConnection(daemon.socket) as conn:
        r = conn.call('{"jsonrpc": "2.0", "method": "\xff\xfe", "id": 1}'.encode("latin-1").decode("latin-1"))
        assert r["error"]["code"] in (ErrorCode.PARSE_ERROR, ErrorCode.METHOD_NOT_FOUND)
        conn.send(b'{"jsonrpc": "2.0", "method": "sys\xff", "id": 2}\n')
        assert conn.recv()["error"]["code"] == ErrorCode.PARSE_ERROR


def test_stalled_message_times_out_and_others_are_served(make_daemon):
    daemon = make_daemon(config={"limits": {"message_timeout_s": 0.5}})
    with RawConnection(daemon.socket) as stalled:
        stalled.send('{"jsonrpc": "2.0", "method": "system.he')
        assert still_serving(daemon)  # served while the other one stalls
        assert stalled.recv()["error"]["code"] == ErrorCode.TIMEOUT
        assert stalled.closed_by_peer()


def test_idle_connection_is_closed(make_daemon):
    daemon = make_daemon(config={"limits": {"idle_timeout_s": 0.5}})
    with RawConnection(daemon.socket) as idle:
        time.sleep(1.0)
        assert idle.closed_by_peer()
    assert still_serving(daemon)


def test_a_call_in_flight_when_the_idle_timeout_ends_reading_is_still_answered(make_daemon):
    """Reading ends at the idle timeout, but a slow call still answers; what the peer sends
    after that is not read (and must not break the connection's answer)."""
    daemon = make_daemon(config={"limits": {"idle_timeout_s": 0.2}})
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c"
    with RawConnection(daemon.socket) as conn:
        conn.send(json.dumps({"jsonrpc": "2.0", "method": "query.sql", "params": {"sql": slow}, "id": 1}) + "\n")
        time.sleep(0.5)  # past the idle timeout while the query runs
        conn.send(HEALTH)
        assert conn.recv()["result"]["rows"] == [[3000000]]
    assert still_serving(daemon)
    assert "feed_data after feed_eof" not in daemon.log() and "Fatal error" not in daemon.log()


def test_connection_flood(make_daemon):
    daemon = make_daemon(config={"limits": {"max_connections": 20}})
    held = []
    try:
        for _ in range(20):
            c = RawConnection(daemon.socket)
            assert c.call(HEALTH.strip())["result"]["status"] == "ok"
            held.append(c)
        refused = []
        for _ in range(30):  # beyond the limit: an error and a closed connection each
            with RawConnection(daemon.socket) as extra:
                refused.append(extra.recv()["error"]["code"])
                assert extra.closed_by_peer()
        assert set(refused) == {ErrorCode.UNAVAILABLE}
        assert held[0].call(HEALTH.strip())["result"]["status"] == "ok"  # the others go on
    finally:
        for c in held:
            c.close()
    time.sleep(0.2)
    assert still_serving(daemon)


def test_peer_vanishing_mid_request(daemon):
    for _ in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(daemon.socket)
        s.sendall(HEALTH.encode() * 50)
        s.close()  # gone before reading any answer
    assert still_serving(daemon)
    assert "Traceback" not in daemon.log()
