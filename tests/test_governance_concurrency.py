"""Exactly once: operators deciding the same proposal at the same moment, on one daemon
(SQLite and PostgreSQL) and on two daemons sharing one PostgreSQL. Real threads, real
sockets, repeated 20 times."""

from __future__ import annotations

import threading
import time
from typing import Any
from collections.abc import Callable

from daemon.protocol import ErrorCode, RpcError

from gov_helpers import audit_rows

ROUNDS = 20


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same moment, one thread each; each result or RpcError."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except RpcError as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except RpcError:
            pass
        assert time.monotonic() < deadline, "never became true"
        time.sleep(0.02)


def _check_exactly_once(clients: list[Any], rounds: int = ROUNDS) -> None:
    """Each round: one pending insert, decided by every client at once (some approving,
    one rejecting in odd rounds). Exactly one wins; the others get CONFLICT."""
    c0 = clients[0]
    applied = 0
    for i in range(rounds):
        p = c0.proposals.create(table="documents", fields={"title": f"race {i}"}, confidence=0.5)
        calls: list[Callable[[], Any]] = [(lambda c=c, p=p: c.proposals.approve(id=p.id, note="mine")) for c in clients]
        if i % 2:
            calls[-1] = lambda c=clients[-1], p=p: c.proposals.reject(id=p.id, reason="no, mine")
        results = _race(calls)
        wins = [r for r in results if not isinstance(r, RpcError)]
        losses = [r for r in results if isinstance(r, RpcError)]
        assert len(wins) == 1, results
        assert all(e.code == ErrorCode.CONFLICT for e in losses), losses
        final = c0.proposals.get(id=p.id)
        assert final.status == wins[0].status and final.status in ("applied", "rejected")
        applied += final.status == "applied"
        assert len(audit_rows(c0, p.id)) == 1  # one decision, one audit row
        assert c0.rows.list(table="documents", count=True).total == applied


def test_two_operators_one_daemon(daemon_on):
    clients = [daemon_on.client(), daemon_on.client()]
    try:
        _check_exactly_once(clients)
    finally:
        for c in clients:
            c.close()


def test_two_daemons_one_postgresql(make_daemon, pg_url):
    a, b = make_daemon(database=pg_url), make_daemon(database=pg_url)
    clients = [a.client(), b.client(), a.client(), b.client()]
    try:
        _check_exactly_once(clients)
        # A schema change applied on one daemon is usable on the other at once.
        ca, cb = clients[0], clients[1]
        t = ca.proposals.schema_tweak(
            action="create_table", table="contracts", fields=[{"name": "party", "type": "string"}]
        )
        results = _race([lambda: ca.proposals.approve(id=t.id), lambda: cb.proposals.approve(id=t.id)])
        assert sum(not isinstance(r, RpcError) for r in results) == 1
        # Writes on either daemon catch up first: usable at once, whichever daemon applied it.
        rows = [
            c.proposals.create(table="contracts", fields={"party": f"P{i}"}, confidence=0.99)
            for i, c in enumerate((ca, cb))
        ]
        assert [r.status for r in rows] == ["applied", "applied"]
        # Reads catch up when the other daemon's table.created event arrives (or the periodic sync).
        for c in (ca, cb):
            _eventually(lambda c=c: c.rows.list(table="contracts", count=True).total == 2)
            assert [v.action for v in c.tables.describe(table="contracts").versions] == ["create_table"]
    finally:
        for c in clients:
            c.close()
