"""The baseline every RPC benchmark prints beside its figures: a bare asyncio Unix-socket
server with the same newline framing and msgspec, which decodes each request and answers
``{"jsonrpc":"2.0","id":…,"result":"ok"}`` and does nothing else."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from typing import Any
from collections.abc import Awaitable, Callable

import msgspec


class _Req(msgspec.Struct):
    jsonrpc: str
    method: str
    id: int | str | None = None
    params: msgspec.Raw | None = None


class _Resp(msgspec.Struct):
    jsonrpc: str
    id: int | str | None
    result: Any


_dec = msgspec.json.Decoder(_Req)
_enc = msgspec.json.Encoder()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while line := await reader.readline():
            req = _dec.decode(line)
            writer.write(_enc.encode(_Resp("2.0", req.id, "ok")) + b"\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


# -- a measuring client shared by the benchmarks ------------------------------------------


async def sequential(path: str, line: bytes, n: int) -> list[float]:
    """n round trips one after another on one connection; latencies in seconds."""
    reader, writer = await asyncio.open_unix_connection(path, limit=2**24)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        writer.write(line)
        await writer.drain()
        await reader.readline()
        out.append(time.perf_counter() - t)
    writer.close()
    return out


async def concurrent(path: str, line: bytes, clients: int, per_client: int) -> tuple[float, list[float]]:
    """``clients`` connections each doing sequential round trips; (calls/s, latencies)."""
    t = time.perf_counter()
    results = await asyncio.gather(*(sequential(path, line, per_client) for _ in range(clients)))
    elapsed = time.perf_counter() - t
    lat = [x for r in results for x in r]
    return len(lat) / elapsed, lat


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def row(label: str, rate: float, lat: list[float]) -> str:
    return f"{label:<44} {rate:>10,.0f}/s   p50 {pct(lat, 50) * 1e6:>8.0f} µs   p99 {pct(lat, 99) * 1e6:>8.0f} µs"


async def measure(
    label: str, path: str, line: bytes, n_seq: int, clients: int, per_client: int, print_: Callable[[str], None] = print
) -> dict[str, float]:
    await sequential(path, line, 50)  # warm up
    seq = await sequential(path, line, n_seq)
    seq_rate = len(seq) / sum(seq)
    print_(row(f"{label} sequential", seq_rate, seq))
    rate, lat = await concurrent(path, line, clients, per_client)
    print_(row(f"{label} {clients} clients", rate, lat))
    return {
        "seq_rate": seq_rate,
        "seq_p50": pct(seq, 50),
        "seq_p99": pct(seq, 99),
        "conc_rate": rate,
        "conc_p50": pct(lat, 50),
        "conc_p99": pct(lat, 99),
    }


async def with_echo(fn: Callable[..., Awaitable[Any]], with_pid: bool = False) -> Any:
    """Run ``fn(path)`` against the echo server in a process of its own, as clarityd is
    (``fn(path, pid)``: ``with_pid``, to measure the server's CPU)."""
    import subprocess
    import sys

    path = os.path.join(tempfile.mkdtemp(prefix="echo-", dir="/tmp"), "echo.sock")
    proc = subprocess.Popen([sys.executable, __file__, path])
    try:
        for _ in range(500):  # the path appears at bind(), before listen(): wait for a connection
            try:
                _, writer = await asyncio.open_unix_connection(path)
                writer.close()
                break
            except (FileNotFoundError, ConnectionRefusedError):
                await asyncio.sleep(0.02)
        return await (fn(path, proc.pid) if with_pid else fn(path))
    finally:
        proc.terminate()
        proc.wait()


async def _serve_forever(path: str) -> None:
    server = await asyncio.start_unix_server(_echo, path=path, limit=2**20, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import sys

    asyncio.run(_serve_forever(sys.argv[1]))
