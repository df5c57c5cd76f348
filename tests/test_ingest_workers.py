"""The worker processes that read files (daemon/ingest/reading.py): they go with the daemon,
even a killed one, and a worker that dies is replaced without losing a file."""

from __future__ import annotations

import os
import signal

from ingest_helpers import FAST_RETRY, PROSE, settled, small_files, wait_until

# Files a dead worker held fail for now and are retried: check for due retries often.
FAST = {"ingest": {**FAST_RETRY, "workers": 2}}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _workers(daemon_pid: int) -> set[int]:
    """The daemon's reading workers (its children running daemon.ingest.reader_worker)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, ValueError):
            continue
        if ppid == daemon_pid and b"daemon.ingest.reader_worker" in cmdline and _alive(int(entry)):
            found.add(int(entry))
    return found


def test_reading_workers_end_with_a_killed_daemon(make_daemon):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    (inbox / "one.md").write_text(f"# One\n\n{PROSE}")
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
    pid = d.proc.pid
    workers = wait_until(lambda: _workers(pid))
    assert len(workers) == 2
    d.send(signal.SIGKILL)
    d.proc.wait(10)
    wait_until(lambda: not any(_alive(w) for w in workers), timeout=10)  # their stdin closed with the daemon


def test_a_worker_killed_is_replaced_and_its_files_are_read_again(make_daemon):
    d = make_daemon(config=FAST)
    pid = d.proc.pid
    assert not _workers(pid)  # started by the first file, not before
    (d.state_dir / "inbox" / "first.md").write_text(f"# First\n\n{PROSE}")
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
    before = wait_until(lambda: _workers(pid) if len(_workers(pid)) == 2 else None)
    for worker in before:
        os.kill(worker, signal.SIGKILL)  # both: the next files meet a dead worker whichever they get
    files = small_files(20, seed=3)
    inbox = d.state_dir / "inbox"
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    with d.client() as c:
        wait_until(lambda: settled(c, len(files)))
        wait_until(lambda: c.call_raw("ingest.status", {"limit": 1})["counts"]["failed"] == 0, timeout=30)
        counts = c.call_raw("ingest.status", {"limit": 1})["counts"]
    assert counts["applied"] + counts["proposed"] == len(files) + 1, counts
    after = _workers(pid)
    assert len(after) == 2 and not after & before
