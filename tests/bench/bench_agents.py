"""200 simulated agents over the socket, against a real clarityd, beside the bare echo baseline.

    .venv/bin/python tests/bench/bench_agents.py [--agents 200] [--seconds 10] \\
        [--database sqlite --database postgresql]   # both backends, beside one echo baseline

Each agent has its own connection (opened and registered before the clock starts) and makes one
call at a time, as an agent does: heartbeats (phase 1), then heartbeats with a task completion
every fifth call while a console-like subscriber streams every event (phase 2). Prints sustained calls/s and p50/p99
latency beside the echo server (same framing, msgspec, 200 connections) measured in this run, and the CPU each call cost
clarityd and the benchmark's own client, with the rate that cost allows on this machine.
Not a test: it asserts nothing. A bare heartbeat is answered from memory and written with the
others a second later; a task completion is durable before its reply: the completions that queue
up while the writer is busy share one transaction (the agents' rows in one statement, their task
rows and events in one each).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(Path(__file__).parent)]

from harness import CpuMeter, start_daemon  # noqa: E402

from echo_baseline import row, with_echo  # noqa: E402
from pg_schema import fresh_schema  # noqa: E402

from daemon.client import Client  # noqa: E402
from daemon.storage.database import mask_url  # noqa: E402


def line(method: str, params: dict, rid: int = 1) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": rid}).encode() + b"\n"


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect_all(path: str, n: int) -> list[Conn]:
    """One connection per agent, each registering before the next connects (untimed): 200
    connects at once overflow clarityd's listen backlog (asyncio's default, 100), and on a Unix
    socket a non-blocking connect into a full backlog fails late, as a reset."""
    conns = []
    for i in range(n):
        reader, writer = await asyncio.open_unix_connection(path, limit=2**24)
        agent_id = f"bench-{i:04d}"
        writer.write(
            line(
                "sub_agents.register",
                {"agent_id": agent_id, "agent_name": agent_id, "agent_type": "worker", "heartbeat_interval_s": 30},
            )
        )
        await writer.drain()
        await reader.readline()
        conns.append((reader, writer))
    return conns


async def echo_fleet(path: str, clients: int, seconds: float) -> tuple[float, list[float]]:
    """The baseline, driven exactly as the agents are: connections opened first (one round trip
    each), then each makes one call at a time for ``seconds``."""
    health = b'{"jsonrpc":"2.0","method":"system.health","id":1}\n'
    conns = []
    for _ in range(clients):
        reader, writer = await asyncio.open_unix_connection(path, limit=2**24)
        writer.write(health)
        await writer.drain()
        await reader.readline()
        conns.append((reader, writer))
    lat: list[float] = []

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        calls, end = 0, time.perf_counter() + seconds
        while (t := time.perf_counter()) < end:
            writer.write(health)
            await writer.drain()
            await reader.readline()
            lat.append(time.perf_counter() - t)
            calls += 1
        writer.close()
        return calls

    t = time.perf_counter()
    calls = await asyncio.gather(*(one(r, w) for r, w in conns))
    return sum(calls) / (time.perf_counter() - t), lat


async def agent(
    conn: Conn, n: int, seconds: float, tasks: bool, lat: list[float], done_lat: list[float], errors: list[str]
) -> int:
    """One registered agent: call until ``seconds`` pass; returns calls made."""
    agent_id = f"bench-{n:04d}"
    reader, writer = conn
    beat = line("sub_agents.heartbeat", {"agent_id": agent_id})
    done_ok = line("sub_agents.task_completion", {"agent_id": agent_id, "success": True, "duration_ms": 12.5})
    done_bad = line("sub_agents.task_completion", {"agent_id": agent_id, "success": False, "error": "boom"})
    calls = 0
    end = time.perf_counter() + seconds
    while (t := time.perf_counter()) < end:
        if tasks and calls % 5 == 4:  # noqa: SIM108  (clearer as a branch)
            data = done_bad if calls % 35 == 34 else done_ok
        else:
            data = beat
        writer.write(data)
        await writer.drain()
        reply = await reader.readline()
        lat.append(time.perf_counter() - t)
        if data is not beat:
            done_lat.append(lat[-1])
        if b'"error"' in reply and len(errors) < 5:
            errors.append(reply.decode()[:200])
        calls += 1
    return calls


async def subscriber(path: str, counter: list[int], stop: asyncio.Event) -> None:
    """A console: subscribe to everything and read the stream as fast as it comes."""
    reader, writer = await asyncio.open_unix_connection(path, limit=2**24)
    writer.write(line("events.subscribe", {}))
    await writer.drain()
    while not stop.is_set():
        try:
            msg = await asyncio.wait_for(reader.readline(), 0.5)
        except TimeoutError:
            continue
        if not msg:
            break
        if b'"events.event"' in msg:
            counter[0] += 1
        elif b'"events.dropped"' in msg:
            counter[1] += 1
    writer.close()


async def fleet(path: str, agents: int, seconds: float, tasks: bool, watch: bool) -> tuple[float, list[float], list]:
    lat: list[float] = []
    done_lat: list[float] = []  # of the task completions alone
    errors: list[str] = []
    counter = [0, 0]
    stop = asyncio.Event()
    sub = asyncio.create_task(subscriber(path, counter, stop)) if watch else None
    conns = await connect_all(path, agents)
    t = time.perf_counter()
    calls = await asyncio.gather(*(agent(c, i, seconds, tasks, lat, done_lat, errors) for i, c in enumerate(conns)))
    elapsed = time.perf_counter() - t
    for _, writer in conns:
        writer.close()
    if sub:
        await asyncio.sleep(0.5)
        stop.set()
        await sub
    return sum(calls) / elapsed, lat, [counter, errors, done_lat]


async def main(args: argparse.Namespace) -> None:
    databases = args.database or ["sqlite"]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {args.agents} agents, "
        f"{args.seconds:g} s per phase; databases: {', '.join(mask_url(d) for d in databases)}"
    )
    baseline: list[float] = []

    async def echo(path: str, pid: int) -> None:
        cpu = CpuMeter(pid, client=True)
        cpu.start()
        rate, lat = await echo_fleet(path, args.agents, args.seconds)
        cpu.stop()
        baseline.append(rate)
        print(row(f"echo baseline, {args.agents} connections", rate, lat))
        print(f"{'':<44} {cpu.per(round(rate * args.seconds), 'call', 'the echo server')}")

    await with_echo(echo, with_pid=True)
    for database in databases:
        if database == "sqlite":
            await backend(args, None, baseline[0])
        elif database == "postgresql":  # a schema of its own on the project's server, dropped after
            with fresh_schema("bench_") as url:
                await backend(args, url, baseline[0])
        else:
            await backend(args, database, baseline[0])


async def backend(args: argparse.Namespace, database: str | None, echo_rate: float) -> None:
    """Both phases against a daemon on ``database`` (None: SQLite in its state folder)."""
    name = "postgresql" if database else "sqlite"
    tmp = tempfile.mkdtemp(prefix="bench-agents-", dir="/tmp")
    proc, sock = start_daemon(tmp, database)
    try:
        rate, lat, _ = await fleet(sock, args.agents, 1.0, False, False)  # warm up, and register
        cpu = CpuMeter(proc.pid, client=True)
        cpu.start()
        rate, lat, (_, errors, _) = await fleet(sock, args.agents, args.seconds, False, False)
        cpu.stop()
        print(row(f"{name}: heartbeats", rate, lat), f"  {rate / echo_rate:.0%} of echo")
        print(f"{'':<44} {cpu.per(round(rate * args.seconds), 'call')}")
        cpu.start()
        rate, lat, (counter, errors2, done_lat) = await fleet(sock, args.agents, args.seconds, True, True)
        cpu.stop()
        print(row(f"{name}: heartbeats + 20% task completions", rate, lat), f"  {rate / echo_rate:.0%} of echo")
        print(row("    of which the task completions", len(done_lat) / args.seconds, done_lat))
        print(f"{'':<44} {cpu.per(round(rate * args.seconds), 'call')}")
        print(f"{'':<44} live subscriber got {counter[0]:,} events, dropped {counter[1]} time(s)")
        for e in errors + errors2:
            print("error:", e)
        with Client(sock) as c:
            f = c.sub_agents.fleet_stats()
            print(
                f"{'':<44} fleet: {f.total} agents, {f.online} online, {f.tasks_last_hour:,} tasks in the "
                f"last hour, mean trust {f.mean_trust:.3f}"
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--database",
        action="append",
        help="'sqlite' (the default), 'postgresql' (a fresh schema on $TEST_DATABASE_URL, else the local "
        "server's test database) or a PostgreSQL URL; repeat it to measure several in one run",
    )
    asyncio.run(main(parser.parse_args()))
