"""Exactly once, whatever happens: SIGKILL the daemon at random moments while hundreds of
files arrive, start it again, and check in the database itself that every file ended in
exactly one row, one pending proposal or one recorded failure."""

from __future__ import annotations

import os
import random
import time
import sqlite3
from collections import Counter
from typing import Any

from ingest_helpers import settled, small_files, wait_until

FILES = 600  # enough per batch that a kill lands while files are being read and proposed
KILLS = 5
MEMORY_TABLES = ("memory_documents", "memory_codebases", "memory_datasets", "memory_media")
# Too little evidence for a domain table, not plain prose either: a pending proposal.
UNSURE = "Server outage notes {n}\n\nThe database went down at 3am. We restarted it and the service recovered.\n"


def _files(seed: int) -> dict[str, bytes]:
    files = small_files(FILES, seed)
    names = sorted(files)
    for i, name in enumerate(names):
        if i % 10 == 3:
            files[name.rsplit(".", 1)[0] + ".txt"] = UNSURE.format(n=f"{seed}-{i}").encode()
            del files[name]
        elif i % 25 == 7:
            files[name] = b""  # empty: a recorded failure
    return files


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as db:
            return db.execute(sql).fetchall()
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_sigkill_at_random_moments_loses_nothing_and_doubles_nothing(database_url, make_daemon, tmp_path):
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    config = {"ingest": {"settle_s": 0.2, "retry_base_s": 3600}}
    d = make_daemon(database=database_url, config=config)
    url = database_url
    inbox = d.state_dir / "inbox"
    files = _files(seed % 1000)
    names = sorted(files, key=lambda _: rng.random())
    batches = [names[i :: KILLS + 1] for i in range(KILLS + 1)]

    for batch in batches[:KILLS]:
        for name in batch:
            (inbox / name).write_bytes(files[name])
        # Kill while files settle, are read, or are being proposed: anywhere. (Ingestion takes
        # some hundreds of files a second, dozens in one group transaction: short waits.)
        time.sleep(rng.uniform(0.02, 0.45))
        d.kill()
        d.start()
    for name in batches[KILLS]:
        (inbox / name).write_bytes(files[name])
    with d.client() as c:
        status = wait_until(lambda: settled(c, len(files)), timeout=90)
    assert d.stop() == 0, d.log()

    context = f"(random seed {seed})"
    journal = {
        path: (state, proposal_id)
        for path, state, proposal_id in _query(url, "SELECT path, state, proposal_id FROM clarity_ingest_journal")
    }
    expected = {str(inbox / name) for name in files}
    assert set(journal) == expected, context  # nothing missing, nothing extra
    assert status["counts"]["seen"] == status["counts"]["extracted"] == status["counts"]["duplicate"] == 0, context

    proposals = _query(url, "SELECT source, status FROM clarity_proposals")
    per_source = Counter(source for source, _ in proposals)
    assert max(per_source.values()) == 1, (context, [s for s, n in per_source.items() if n > 1])
    proposal_status = dict(proposals)
    rows: Counter[str] = Counter()
    for table in MEMORY_TABLES:
        for source, count in _query(url, f"SELECT source, COUNT(*) FROM {table} GROUP BY source"):
            rows[source] += count
    assert set(rows) <= expected and set(per_source) <= expected, context

    outcome = Counter()
    for path in expected:
        state, _ = journal[path]
        empty = files[os.path.basename(path)] == b""
        if state == "failed":
            assert empty and path not in per_source and rows[path] == 0, (context, path)
        elif state == "applied":
            assert proposal_status[path] == "applied" and rows[path] == 1, (context, path)
        else:
            assert state == "proposed" and proposal_status[path] == "pending" and rows[path] == 0, (context, path)
        outcome[state] += 1
    # Each outcome happened, so the check covered rows, pending proposals and failures alike.
    assert outcome["applied"] and outcome["proposed"] and outcome["failed"], outcome
    assert outcome["failed"] == sum(1 for data in files.values() if data == b"")


def test_two_daemons_sharing_postgresql_and_a_folder_propose_each_file_once(make_daemon, pg_url, tmp_path):
    shared = tmp_path / "shared"
    config = {"ingest": {"settle_s": 0.2, "folders": [{"path": str(shared)}]}}
    a = make_daemon(database=pg_url, config=config)
    b = make_daemon(database=pg_url, config=config)
    files = small_files(60, seed=11)
    for name, data in files.items():
        (shared / name).write_bytes(data)
    with a.client() as ca, b.client() as cb:
        wait_until(lambda: settled(ca, len(files)) and settled(cb, len(files)), timeout=60)
    proposals = _query(pg_url, "SELECT source FROM clarity_proposals")
    assert sorted(source for (source,) in proposals) == sorted(str(shared / name) for name in files)
    states = dict(_query(pg_url, "SELECT state, COUNT(*) FROM clarity_ingest_journal GROUP BY state"))
    assert sum(states.values()) == len(files) and set(states) <= {"applied", "proposed"}, states
