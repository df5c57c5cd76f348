"""Streaming exports (rows.export with stream) and `clarity export`, on both backends."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from daemon.client_export import ExportStream
from daemon.protocol import ErrorCode, RpcError

from conftest import ROOT
from test_client import seed_rows

N = 4_500  # more than two chunks


@pytest.fixture
def seeded(database_url, make_daemon):
    seed_rows(database_url, N)  # vendor_management: "Vendor 0000".."Vendor 4499"
    return make_daemon(database=database_url)


def clarity(daemon, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLARITY_SOCKET": daemon.socket}
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_stream_whole_table_in_chunks(seeded):
    with seeded.client() as c:
        for fmt in ("jsonl", "json", "csv"):
            export = ExportStream.start(c, table="vendor_management", format=fmt)
            pieces = list(export)
            assert export.total == N and export.rows == N and len(pieces) >= 3
            text = "".join(pieces)
            if fmt == "jsonl":
                rows = [json.loads(line) for line in text.splitlines()]
            elif fmt == "json":
                rows = json.loads(text)
            else:
                rows = list(csv.DictReader(io.StringIO(text)))
            assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows) and len(rows) == N
        # Filtered, limited and searched streams; the connection still answers calls afterwards.
        export = ExportStream.start(c, table="vendor_management", format="jsonl", search="vendor 001", limit=7)
        assert export.total == 7 and len("".join(export).splitlines()) == 7
        assert c.system.health().status == "ok"
        with pytest.raises(RpcError) as e:
            ExportStream.start(c, table="vendor_management", filters={"nope": 1})
        assert e.value.code == ErrorCode.INVALID_PARAMS
        # The one-reply export still answers for small tables, and refuses what it cannot hold.
        assert c.rows.export(table="vendor_management", format="jsonl", limit=10).rows == 10
        with pytest.raises(RpcError) as e:
            c.rows.export(table="vendor_management", limit=2_000_000)
        assert e.value.code == ErrorCode.INVALID_PARAMS


def test_reader_that_leaves_mid_stream(seeded):
    c = seeded.client()
    export = iter(ExportStream.start(c, table="vendor_management", format="csv"))
    assert next(export).startswith("id,")
    c.close()  # gone after the first chunk: the daemon ends the stream and carries on
    with seeded.client() as c2:
        assert c2.system.health().status == "ok"
        again = ExportStream.start(c2, table="vendor_management", format="jsonl")
        assert len("".join(again).splitlines()) == N


def test_clarity_export_command(seeded):
    r = clarity(seeded, "export", "vendor_management", "--format", "csv", "--where", "source=seed")
    assert r.returncode == 0, r.stderr
    assert len(list(csv.DictReader(io.StringIO(r.stdout)))) == N
    r = clarity(seeded, "export", "vendor_management", "--format", "jsonl", "--search", "vendor 0042")
    assert [json.loads(line)["vendor_name"] for line in r.stdout.splitlines()] == ["Vendor 0042"]
    # Every format ends with a newline, as a text file does; with no rows, JSON Lines is empty.
    for fmt, empty in (("csv", "id,"), ("jsonl", ""), ("json", "[]\n")):
        r = clarity(seeded, "export", "vendor_management", "--format", fmt, "--limit", "3")
        assert r.returncode == 0 and r.stdout.endswith("\n") and not r.stdout.endswith("\n\n"), (fmt, r.stdout[-20:])
        r = clarity(seeded, "export", "vendor_management", "--format", fmt, "--where", "source=nobody")
        assert r.returncode == 0 and r.stdout.startswith(empty) and (r.stdout == "" or r.stdout.endswith("\n"))
    r = clarity(seeded, "export", "nope")
    assert r.returncode == 1 and "NOT_FOUND" in r.stderr
    assert clarity(seeded, "export", "vendor_management", "--where", "oops").returncode == 2
