"""ingest.file, ingest.status, ingest.retry; failures, retries with backoff, quarantine."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from daemon.protocol import ErrorCode, RpcError
from ingest_helpers import FAST_RETRY, PROSE, record_of, settled, wait_until

FAST = {"ingest": {"settle_s": 0.2}}


def _code(fn, *args) -> int:
    with pytest.raises(RpcError) as e:
        fn(*args)
    return e.value.code


def test_ingest_file_hands_over_a_file_outside_the_watched_folders(make_daemon, tmp_path):
    d = make_daemon(config=FAST)
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "handed.md"
    path.write_text(f"# Handed over\n\n{PROSE}")
    with d.client() as c:
        record = c.ingest.file(path=str(path))
        assert record.state in ("applied", "proposed") and record.table == "documents"
        assert record.proposal_id is not None and record.sha256
        again = c.ingest.file(path=str(path))  # the same content: not ingested twice
        assert again.proposal_id == record.proposal_id and again.id == record.id
        queued = c.ingest.file(path=str(outside / "handed.md"), wait=False)
        assert queued.state in ("queued", "applied", "proposed")
        status = c.ingest.status(path=str(path))
        assert status.file.proposal_id == record.proposal_id
        assert [h.event for h in status.history][:2] == ["ingest.seen", f"ingest.{record.state}"]
    assert path.exists()  # sources outside a delete_after_ingest folder are never touched


def test_ingest_errors_have_codes(make_daemon, tmp_path):
    d = make_daemon(config=FAST)
    (tmp_path / "a-folder").mkdir()
    with d.client() as c:
        assert _code(c.call_raw, "ingest.file", {"path": "relative/file.md"}) == ErrorCode.INVALID_PARAMS
        assert _code(c.call_raw, "ingest.file", {"path": str(tmp_path / "nope.md")}) == ErrorCode.NOT_FOUND
        assert _code(c.call_raw, "ingest.file", {"path": str(tmp_path / "a-folder")}) == ErrorCode.INVALID_PARAMS
        assert _code(c.call_raw, "ingest.file", {"path": str(d.state_dir / "clarity.db")}) == ErrorCode.FORBIDDEN
        assert _code(c.call_raw, "ingest.file", {"path": 5}) == ErrorCode.INVALID_PARAMS
        assert _code(c.call_raw, "ingest.status", {"path": str(tmp_path / "never.md")}) == ErrorCode.NOT_FOUND
        assert _code(c.call_raw, "ingest.status", {"limit": 0}) == ErrorCode.INVALID_PARAMS
        assert _code(c.call_raw, "ingest.retry", {}) == ErrorCode.INVALID_PARAMS
        assert _code(c.call_raw, "ingest.retry", {"path": "/x", "all_failed": True}) == ErrorCode.INVALID_PARAMS
        assert _code(c.call_raw, "ingest.retry", {"path": str(tmp_path / "never.md")}) == ErrorCode.NOT_FOUND
        good = tmp_path / "good.md"
        good.write_text(f"# Good\n\n{PROSE}")
        c.ingest.file(path=str(good))
        assert _code(c.call_raw, "ingest.retry", {"path": str(good)}) == ErrorCode.INVALID_STATE
        assert c.system.health().status == "ok"


def test_bad_files_are_recorded_and_the_daemon_carries_on(make_daemon):
    limits = {"max_file_bytes": 4096, "max_json_depth": 20}
    d = make_daemon(config={"ingest": {"settle_s": 0.2, "limits": limits}})
    inbox = d.state_dir / "inbox"
    bad = {
        "empty.md": b"",
        "corrupt.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer <<>>\n%%EOF-broken",
        "huge.txt": b"word " * 2000,
        "binary.txt": bytes(range(256)) * 8,
        "nested.json": b"[" * 200 + b"]" * 200,
    }
    for name, data in bad.items():
        (inbox / name).write_bytes(data)
    (inbox / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e, d\xe9j\xe0 vu. ".encode("latin-1") * 20)
    with d.client() as c:
        wait_until(lambda: settled(c, len(bad) + 1))
        for name in bad:
            record = c.ingest.status(path=str(inbox / name)).file
            assert record.state == "failed" and record.last_error, (name, record)
            # Permanent: the same bytes would fail the same way, so recorded once and not retried.
            assert record.attempts == 1 and record.next_attempt_at is None
        latin = c.ingest.status(path=str(inbox / "latin1.txt")).file
        assert latin.state in ("applied", "proposed")  # decoded by the Latin-1 fallback
        status = c.ingest.status(limit=3)
        assert status.counts["failed"] == len(bad) and len(status.failures) == 3
        assert c.system.health().status == "ok"


def test_transient_failures_are_retried_with_backoff_then_quarantined(make_daemon):
    # No time at all to read a file: a transient failure (a timeout), tried again each time.
    config = {
        "ingest": {
            **FAST_RETRY,
            "max_attempts": 3,
            "quarantine": True,
            "limits": {"timeout_s": 0},
        }
    }
    d = make_daemon(config=config)
    path = d.state_dir / "inbox" / "slow.md"
    path.write_text(f"# Slow\n\n{PROSE}")
    with d.client() as c:
        record = wait_until(lambda: (r := record_of(c, path)) and r.state == "quarantined" and r)
        assert record.attempts == 3 and record.last_error
        assert not path.exists() and os.path.exists(record.quarantine_path)
        assert record.quarantine_path.startswith(str(d.state_dir / "quarantine"))
        events = [h.event for h in c.ingest.status(path=str(path)).history]
        assert events.count("ingest.failed") == 3 and events[-1] == "ingest.quarantined"


def test_permanent_failures_are_quarantined_at_once_and_come_back_when_fixed(make_daemon):
    config = {
        "ingest": {
            **FAST_RETRY,
            "max_attempts": 3,
            "quarantine": True,
        }
    }
    d = make_daemon(config=config)
    inbox = d.state_dir / "inbox"
    path = inbox / "broken.json"
    path.write_text('{"records": [1, 2,')  # invalid JSON: fails every time, so it is tried once
    with d.client() as c:
        record = wait_until(lambda: (r := record_of(c, path)) and r.state == "quarantined" and r)
        assert record.attempts == 1 and record.last_error
        assert not path.exists() and os.path.exists(record.quarantine_path)
        events = [h.event for h in c.ingest.status(path=str(path)).history]
        assert events.count("ingest.failed") == 1 and events[-1] == "ingest.quarantined"

        # The operator fixes the file and retries it: it goes back where it was, and in.
        with open(record.quarantine_path, "w") as f:
            json.dump([{"id": 1, "name": "fixed"}, {"id": 2, "name": "again"}], f)
        retried = c.ingest.retry(all_failed=True)
        assert retried.paths == [str(path)]
        record = wait_until(lambda: (r := c.ingest.status(path=str(path)).file).state in ("applied", "proposed") and r)
        assert path.exists() and record.table == "datasets" and record.attempts == 0


def test_operator_retry_of_one_file(make_daemon):
    d = make_daemon(config={"ingest": {"settle_s": 0.2, "retry_base_s": 3600}})
    path = d.state_dir / "inbox" / "empty.txt"
    path.write_bytes(b"")
    with d.client() as c:
        wait_until(lambda: (r := record_of(c, path)) and r.state == "failed")
        assert c.ingest.retry(path=str(path)).retried == 1
        # Counted afresh: the retry resets the attempts, the new try fails again as attempt 1.
        wait_until(
            lambda: (
                "ingest.retried" in [h.event for h in c.ingest.status(path=str(path)).history]
                and (f := c.ingest.status(path=str(path)).file).state == "failed"
                and f.attempts == 1
            )
        )


def test_a_file_that_vanished_before_it_was_read(make_daemon, tmp_path):
    d = make_daemon(config=FAST)
    assert d.stop() == 0
    # What a crash leaves behind: a file journaled as seen, then removed while clarityd was down.
    ghost = d.state_dir / "inbox" / "ghost.md"
    with sqlite3.connect(d.state_dir / "clarity.db") as db:
        db.execute(
            "INSERT INTO clarity_ingest_journal (path, size, mtime_ns, sha256, state, attempts, first_seen_at,"
            " updated_at) VALUES (?, 5, 1, 'abc', 'seen', 0, '2026-01-01', '2026-01-01')",
            (str(ghost),),
        )
    d.start()
    with d.client() as c:
        record = wait_until(lambda: (r := c.ingest.status(path=str(ghost)).file).state == "failed" and r)
        assert record.next_attempt_at is None  # retrying cannot bring it back
        assert record.sha256 is None
        ghost.write_text(f"# Back again\n\n{PROSE}")  # if it comes back, it is a new arrival
        wait_until(lambda: c.ingest.status(path=str(ghost)).file.state in ("applied", "proposed"))


def test_a_permanent_failure_is_recorded_once_whatever_the_events(make_daemon):
    """More watcher events for the same unchanged file (an editor's close, a touch that keeps
    the times) do not count as new attempts of a failure that retrying cannot fix."""
    d = make_daemon(config={"ingest": {"settle_s": 0.2, "limits": {"max_file_bytes": 4096}}})
    huge = d.state_dir / "inbox" / "huge.txt"
    huge.write_bytes(b"word " * 2000)
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
        first = c.ingest.status(path=str(huge)).file
        assert first.state == "failed" and first.attempts == 1 and first.next_attempt_at is None
        stat = huge.stat()
        for _ in range(3):  # same bytes, same times: events, but no change
            os.utime(huge, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            with open(huge, "ab"):
                pass
        c.ingest.file(path=str(huge), wait=True)  # and a hand-over of the same file
        wait_until(lambda: settled(c, 1))
        again = c.ingest.status(path=str(huge)).file
        assert again.state == "failed" and again.attempts == 1
