"""events.*: paging, filters, live subscriptions (sync and async clients), replay, slow
subscribers, retention, and events across daemons sharing one PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import timedelta

import pytest

from daemon.client import AsyncClient, Client, ConnectionLost, SubscriptionDropped
from daemon.protocol import ErrorCode, RpcError


def register(c: Client, agent_id: str) -> None:
    c.sub_agents.register(agent_id=agent_id, agent_name=agent_id, agent_type="worker")


def test_list_pages_and_filters(daemon):
    with daemon.client() as c:
        for i in range(7):
            register(c, f"a{i}")
        c.coding_agent.work_order(work_order_id="w1", title="t")
        c.sub_agents.status(agent_id="a3", status="busy")

        everything = c.events.list(limit=1000).events
        assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)  # newest first
        pages, cursor = [], None
        while True:
            page = c.events.list(type="agent", order="asc", limit=3, cursor=cursor)
            pages.append([e.subject for e in page.events])
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert pages == [
            ["agent/a0", "agent/a1", "agent/a2"],
            ["agent/a3", "agent/a4", "agent/a5"],
            ["agent/a6", "agent/a3"],
        ]
        assert [e.type for e in c.events.list(type="agent.status").events] == ["agent.status"]
        assert [e.type for e in c.events.list(subject="work_order").events] == ["work_order.created"]
        assert len(c.events.list(type=["work_order", "agent.status"]).events) == 2
        assert c.events.list(type="agen").events == []  # dotted prefix, not a substring
        assert c.events.list(subject="agent/a").events == []  # slashed prefix, not a substring
        assert len(c.events.list(subject="agent/a3").events) == 2
        first = everything[-1].created_at
        assert len(c.events.list(since=first.isoformat(), limit=1000).events) == len(everything)
        assert c.events.list(since=(first + timedelta(hours=1)).isoformat()).events == []
        for params in [
            {"limit": 0},
            {"limit": "ten"},
            {"order": "sideways"},
            {"type": ""},
            {"cursor": "abc"},
            {"cursor": 10**20},
            {"since": "0001-01-01T00:00:00+05:00"},
        ]:
            with pytest.raises(RpcError) as e:
                c.call_raw("events.list", params)
            assert e.value.code == ErrorCode.INVALID_PARAMS, params


def test_subscribe_sync_with_filter_replay_and_unsubscribe(daemon):
    with daemon.client() as writer, daemon.client(timeout=10) as reader:
        register(writer, "before")
        seen = writer.events.list(limit=1).events[0].id
        stream = reader.subscribe_events(type="agent", subject="agent/live")
        register(writer, "other")  # filtered out by subject
        writer.coding_agent.work_order(work_order_id="w", title="t")  # filtered out by type
        register(writer, "live")
        writer.sub_agents.status(agent_id="live", status="busy", current_task="x")
        first, second = next(stream), next(stream)
        assert (first["type"], first["subject"]) == ("agent.registered", "agent/live")
        assert (second["type"], second["payload"]["to"]) == ("agent.status", "busy")
        assert second["id"] > first["id"] and isinstance(first["subscription"], int)
        stream.close()  # unsubscribes
        assert reader.system.health().status == "ok"

        # Replay from a known id, then live: nothing missed, nothing twice.
        replay = reader.subscribe_events(after_id=seen, timeout=10)
        got = [next(replay)["subject"] for _ in range(4)]
        assert got == ["agent/other", "work_order/w", "agent/live", "agent/live"]
        register(writer, "after")
        assert next(replay)["subject"] == "agent/after"
        replay.close()

        with pytest.raises(RpcError) as e:
            reader.events.unsubscribe(subscription=999)
        assert e.value.code == ErrorCode.NOT_FOUND


def test_subscribe_async_client(daemon):
    async def main() -> list[tuple[str, str]]:
        async with AsyncClient(daemon.socket) as listener, AsyncClient(daemon.socket) as agent:
            got: list[tuple[str, str]] = []

            stream = await listener.subscribe_events(type=["agent.registered", "playbook"])

            async def consume() -> None:
                async with stream:
                    async for event in stream:
                        got.append((event["type"], event["subject"]))
                        if len(got) == 3:
                            return

            task = asyncio.create_task(consume())
            await agent.sub_agents.register_agent(agent_id="async-1", agent_name="A", agent_type="shard")
            await agent.sub_agents.heartbeat(agent_id="async-1")  # no event
            await agent.sub_agents.task_completion(agent_id="async-1", success=True)  # not subscribed
            await agent.self_healing.log_playbook_execution(playbook_name="pb", success=True)
            await agent.sub_agents.register_agent(agent_id="async-2", agent_name="B", agent_type="worker")
            await asyncio.wait_for(task, 10)
            # The subscription is gone once the loop is left; the connection still works.
            assert (await listener.system.health()).status == "ok"
            return got

    assert asyncio.run(main()) == [
        ("agent.registered", "agent/async-1"),
        ("playbook.run", "playbook/pb"),
        ("agent.registered", "agent/async-2"),
    ]


def test_async_stream_raises_connection_lost_when_the_daemon_stops(make_daemon):
    d = make_daemon()

    async def main() -> None:
        async with AsyncClient(d.socket) as c:
            stream = await c.subscribe_events()
            await asyncio.get_running_loop().run_in_executor(None, d.stop)
            with pytest.raises(ConnectionLost):
                await asyncio.wait_for(stream.__anext__(), 10)

    asyncio.run(main())


def test_slow_subscriber_is_dropped_with_a_notice_and_the_daemon_keeps_going(make_daemon):
    d = make_daemon(config={"events": {"subscriber_queue": 5}})
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fill up quickly
    slow.settimeout(10)
    slow.connect(d.socket)
    slow.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "events.subscribe", "params": {"type": "playbook"}}\n')
    # ...and it now reads nothing while events pile up, each carrying a 4 KB error text.
    big = "x" * 4096
    sent = 0
    with d.client() as c:
        t0 = time.monotonic()
        while sent < 400:
            c.self_healing.log(playbook_name="noisy", success=False, error=big)
            sent += 1
        # Others are served meanwhile.
        assert c.system.health().status == "ok"
        assert c.self_healing.stats(playbook_name="noisy").runs == sent
        assert time.monotonic() - t0 < 60

    # Now read it all: some events, then the notice, and nothing after it.
    buffer = b""
    messages = []
    while True:
        chunk = slow.recv(65536)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        messages += [json.loads(line) for line in lines]
        if messages and messages[-1].get("method") == "events.dropped":
            break
    slow.close()
    assert messages[0]["result"]["subscription"] >= 1
    events = [m for m in messages if m.get("method") == "events.event"]
    notice = messages[-1]
    assert notice["method"] == "events.dropped"
    assert 0 < len(events) < sent
    assert notice["params"]["last_event_id"] == events[-1]["params"]["id"]


def test_retention_job_deletes_old_events(make_daemon):
    # 0.00003 days is about 2.6 s.
    d = make_daemon(config={"events": {"retention_days": 0.00003, "retention_check_s": 0.5}})
    with d.client() as c:
        register(c, "old")
        assert len(c.events.list().events) == 1
        deadline = time.monotonic() + 15
        while c.events.list().events and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.events.list().events == []
        assert c.sub_agents.stats(agent_id="old").agent.agent_id == "old"  # only the events go


def test_events_reach_subscribers_of_every_daemon_on_postgresql(make_daemon, pg_url):
    a = make_daemon(database=pg_url)
    b = make_daemon(database=pg_url)
    with a.client(timeout=10) as on_a, b.client() as on_b:
        stream = on_a.subscribe_events(type="agent")
        register(on_b, "from-b")
        register(on_a, "from-a")
        got = {next(stream)["subject"], next(stream)["subject"]}
        assert got == {"agent/from-b", "agent/from-a"}
        stream.close()

        # A group of writes NOTIFYs its events together: every one arrives, in order.
        stream = on_a.subscribe_events(type="agent.task_completed")

        async def complete() -> None:
            async with AsyncClient(b.socket) as c:
                calls = [c.sub_agents.task_completion(agent_id="from-b", success=True) for _ in range(20)]
                await asyncio.gather(*calls)

        asyncio.run(complete())
        ids = [next(stream)["id"] for _ in range(20)]
        assert ids == sorted(ids) and len(set(ids)) == 20
        stream.close()
        # Big events travel by id and are read from the table.
        stream = on_a.subscribe_events(type="playbook")
        on_b.self_healing.log(playbook_name="big", success=False, error="e" * 20000)
        event = next(stream)
        assert event["payload"]["error"] == "e" * 20000
        stream.close()


def test_a_subscription_outlives_the_idle_timeout(make_daemon):
    d = make_daemon(config={"limits": {"idle_timeout_s": 0.5}})
    with d.client(timeout=10) as listener, d.client() as agent:
        stream = listener.subscribe_events()
        time.sleep(1.5)
        register(agent, "late")
        assert next(stream)["subject"] == "agent/late"


def test_unsubscribe_is_per_connection(daemon):
    with daemon.client() as one, daemon.client() as two:
        sid = one.events.subscribe().subscription
        with pytest.raises(RpcError) as e:
            two.events.unsubscribe(subscription=sid)
        assert e.value.code == ErrorCode.NOT_FOUND
        assert one.events.unsubscribe(subscription=sid).subscription == sid


def test_subscription_dropped_is_raised_by_the_clients():
    notice = {"subscription": 3, "reason": "fell 5 events behind", "last_event_id": 41}
    e = SubscriptionDropped(notice)
    assert (e.code, e.subscription, e.last_event_id) == (ErrorCode.UNAVAILABLE, 3, 41)


def test_subscribe_refuses_an_after_id_out_of_range(daemon):
    with daemon.client() as c:
        with pytest.raises(RpcError) as e:
            c.events.subscribe(after_id=2**63)
        assert e.value.code == ErrorCode.INVALID_PARAMS
