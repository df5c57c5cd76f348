"""`clarity ingest`: thousands of files in a few calls, every one accounted for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from daemon.protocol import ErrorCode, RpcError
from daemon.protocol import ingest_batch as p

from conftest import ROOT

N = 2000


def clarity(daemon, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLARITY_SOCKET": daemon.socket}
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_two_thousand_files(daemon, tmp_path):
    folder = tmp_path / "drop"
    for i in range(N):
        sub = folder / f"d{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"note-{i:04d}.md").write_text(f"# Note {i}\n\nMeeting notes number {i} about budget item {i * 7}.\n")
    (folder / "d0" / "skip.bin").write_bytes(b"\0" * 10)  # not matched by --pattern
    (folder / "d1" / "copy.md").write_text("# Note 5\n\nMeeting notes number 5 about budget item 35.\n")
    r = clarity(daemon, "ingest", str(folder), "--pattern", "*.md", "--json")
    assert r.returncode == 0, r.stderr
    status = json.loads(r.stdout)
    assert status["total"] == N + 1 and status["done"] == N + 1 and status["finished"]
    assert status["proposed"] + status["applied"] + status["duplicate"] + status["failed"] == N + 1
    assert status["duplicate"] >= 1 and status["failed"] == 0
    with daemon.client() as c:
        counts = c.ingest.status().counts
        assert sum(counts[s] for s in ("proposed", "applied", "duplicate")) == N + 1


def test_refused_paths_count_as_failed(daemon, tmp_path):
    good = tmp_path / "a.md"
    good.write_text("# A\n\nsome text\n")
    with daemon.client() as c:
        first = c.call(p.BATCH, p.IngestBatch(paths=[str(good)]))
        more = c.call(p.BATCH, p.IngestBatch(paths=[str(tmp_path / "missing.md"), "relative.md"], batch=first.batch))
        assert more.batch == first.batch and more.total == 3
        for _ in range(200):
            status = c.call(p.BATCH_STATUS, p.BatchStatusParams(batch=first.batch))
            if status.finished:
                break
            time.sleep(0.05)
        assert status.done == 3 and status.failed == 2
        assert sorted(f.code for f in status.failures) == sorted([ErrorCode.NOT_FOUND, ErrorCode.INVALID_PARAMS])
        with pytest.raises(RpcError) as e:
            c.call(p.BATCH_STATUS, p.BatchStatusParams(batch=999))
        assert e.value.code == ErrorCode.NOT_FOUND


def test_clarity_ingest_exit_status_says_whether_any_file_failed(daemon, tmp_path):
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nsome text about the budget\n")
    r = clarity(daemon, "ingest", str(good), "--json")
    assert r.returncode == 0, r.stderr
    r = clarity(daemon, "ingest", str(tmp_path / "missing.md"), str(good), "--json")
    assert r.returncode == 65, r.stderr  # EX_DATAERR, with the whole status printed all the same
    status = json.loads(r.stdout)
    assert status["failed"] == 1 and status["done"] == 2 and status["failures"][0]["path"].endswith("missing.md")
    r = clarity(daemon, "ingest", str(tmp_path / "missing.md"))
    assert r.returncode == 65 and "missing.md" in r.stderr
