"""A daemon in a fixed state for the console's snapshots and the README's screenshots.

The state is made through the real daemon (proposals, decisions, agents), then every time
in the database is rewritten to a fixed one and the daemon is started again on it: the
same rows, ids and times on every run. The console's clock is frozen at ``FROZEN_NOW``
and the daemon's uptime shown as ``FROZEN_UPTIME_S`` (see ``frozen_console``), so "ago"
and "up" read the same on every run. Paths are fixed too (the socket appears in the header).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import DaemonProcess

ROOT = Path("/tmp/clarity-snap")
FROZEN_NOW = datetime(2026, 11, 30, 12, 0, 0)
FROZEN_UPTIME_S = 3 * 3600 + 25 * 60
BASE = FROZEN_NOW - timedelta(days=2)  # the first seeded time; later rows a few minutes apart


def _seed(c: Any, inbox: Path) -> None:
    """Rows, a pending queue of every kind, decisions (one reverted), agents and a playbook."""
    # Applied rows (confidence above 0.90 is auto-approved).
    for i, (title, path) in enumerate(
        [
            ("Quarterly revenue report", "/srv/share/finance/reports/2026/q3/quarterly-revenue-report.pdf"),
            ("Incident postmortem: disk full on db-2", "/srv/share/ops/postmortems/2026-11-02-db2-disk-full.md"),
            ("Onboarding checklist", "/srv/share/hr/onboarding/checklist-engineering.md"),
            ("Vendor security questionnaire", "/srv/share/legal/vendors/acme/security-questionnaire-v3.docx"),
        ]
    ):
        c.proposals.create(
            table="documents",
            confidence=0.97,
            source=path,
            reasoning="markdown H1 and PDF title",
            fields={"title": title, "mime_type": "application/pdf", "word_count": 1200 + 150 * i, "path": path},
        )
    for i in range(6):
        c.proposals.create(
            table="feedback",
            confidence=0.99,
            source="agent:survey",
            fields={
                "content": f"ticket {i}: the export is {'great' if i % 2 else 'slow'}",
                "customer_name": f"Customer {i}",
                "rating": i % 5 + 1,
            },
        )
    # The pending queue: low and borderline confidence, an update, a delete, a schema change.
    c.proposals.create(
        table="documents",
        confidence=0.62,
        source="/srv/share/inbox/minutes/2026-11-28-board.md",
        reasoning="Board minutes: a heading 'Minutes' and a list of attendees; could also be a "
        "governance record, so it waits for a person to decide where it belongs.",
        fields={"title": "Board minutes, 28 November", "word_count": 2210},
    )
    c.proposals.create(
        table="datasets",
        confidence=0.88,
        source="/srv/share/inbox/exports/customers-2026-11.csv",
        reasoning="CSV with a header row and 1,204 data rows",
        fields={"format": "csv", "row_count": 1204},
    )
    c.proposals.create(
        table="incidents",
        confidence=0.45,
        source="agent:watcher",
        reasoning="An alert text that mentions an outage; no severity given.",
        fields={"title": "API latency above 2 s for 10 minutes"},
    )
    c.rows.update(
        table="feedback",
        id=2,
        version=1,
        fields={"rating": 5, "customer_name": "Customer One"},
        reasoning="the customer wrote again",
    )
    c.rows.delete(table="feedback", id=3, reasoning="duplicate of ticket 1")
    c.proposals.schema_tweak(
        action="add_column",
        table="documents",
        reasoning="reviewers asked for it",
        field={"name": "reviewed_by", "type": "string", "description": "who reviewed it"},
    )
    # Decisions for the history: approved, rejected, and one applied then undone.
    a = c.proposals.create(
        table="sops",
        confidence=0.7,
        source="/srv/share/ops/sops/restart-workers.md",
        fields={"title": "Restart the ingest workers"},
    )
    c.proposals.approve(id=a.id, note="checked with the ops lead")
    r = c.proposals.create(
        table="documents", confidence=0.3, source="/srv/share/inbox/lunch-menu.txt", fields={"title": "Lunch menu"}
    )
    c.proposals.reject(id=r.id, reason="not a business document")
    u = c.proposals.create(
        table="insights", confidence=0.8, source="agent:analyst", fields={"title": "Churn rises after price change"}
    )
    c.proposals.approve(id=u.id, note="looks right")
    undo = c.proposals.revert(id=u.id, reason="the analysis used last year's prices")
    if undo.status == "pending":
        c.proposals.approve(id=undo.id, note="agreed")
    # The fleet.
    c.sub_agents.register(agent_id="shard-eu-1", agent_name="EU shard", agent_type="shard")
    c.sub_agents.register(agent_id="review-bot", agent_name="Review bot", agent_type="specialist")
    c.self_healing.log(
        playbook_name="restart-stuck-worker",
        success=True,
        duration_ms=840,
        actions=["drain", "restart"],
        target_components=["ingest-worker-2"],
    )
    c.coding_agent.work_order(title="Add a CSV dialect sniffer", work_order_id="WO-1")


def _freeze_times(db: Path) -> None:
    """Every time column of every table set from its row's id: the same on every run."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            names = [c[1] for c in columns]
            times = [
                c[1]
                for c in columns
                if c[2].upper() in ("DATETIME", "TIMESTAMP") or c[1].endswith("_at") or c[1] in ("last_heartbeat",)
            ]
            key = "id" if "id" in names else "rowid"
            for name in times:
                conn.execute(
                    f'UPDATE "{table}" SET "{name}" = '
                    f"strftime('%Y-%m-%d %H:%M:%f', ?, '+' || ({key} * 7) || ' minutes') "
                    f'WHERE "{name}" IS NOT NULL',
                    (BASE.strftime("%Y-%m-%d %H:%M:%S"),),
                )
        conn.commit()
    finally:
        conn.close()


@contextmanager
def seeded_daemon(tmp: Path) -> Iterator[DaemonProcess]:
    """The daemon on the fixed state, at ROOT (its path shows in the snapshots, so it cannot vary).
    One run at a time on this machine: a second waits for the first's lock instead of taking
    its folder and socket from under it."""
    lock = os.open(f"{ROOT}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        with _seeded_daemon(tmp) as d:
            yield d
    finally:
        os.close(lock)  # releases the lock


@contextmanager
def _seeded_daemon(tmp: Path) -> Iterator[DaemonProcess]:
    shutil.rmtree(ROOT, ignore_errors=True)
    inbox = ROOT / "inbox"
    inbox.mkdir(parents=True)
    env = {"CLARITY_WATCH": str(inbox)}
    # Agents never miss a heartbeat (their times are rewritten into the past): no sweep changes them.
    config = {"sub_agents": {"missed_heartbeats": 1, "default_heartbeat_interval_s": 10.0**9}}
    d = DaemonProcess(tmp, config=config, env=env)
    shutil.rmtree(d.dir, ignore_errors=True)
    d.dir = str(ROOT)
    d.socket = str(ROOT / "clarity.sock")
    d.state_dir = ROOT / "state"
    d.env.update(CLARITY_SOCKET=d.socket, CLARITY_STATE_DIR=str(d.state_dir))
    try:
        d.start()
        with d.client() as c:
            _seed(c, inbox)
            # Only now a file that fails, so that its events come after the seeded ones (stable ids).
            (inbox / "broken-scan.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not c.ingest.status(limit=5).failures:
                time.sleep(0.1)  # the broken file's failure, for the Fleet screen
        d.stop()
        _freeze_times(d.state_dir / "clarity.db")
        d.start()
        yield d
    finally:
        d.kill()
        shutil.rmtree(ROOT, ignore_errors=True)


@contextmanager
def frozen_console() -> Iterator[None]:
    """The console's clock at FROZEN_NOW, the daemon's uptime shown as FROZEN_UPTIME_S, and
    the cursors of inputs and text areas not blinking (a snapshot would catch either phase)."""
    from textual.widgets import Input, TextArea

    from console import formatting

    saved = formatting.now, formatting.uptime, Input._toggle_cursor, TextArea._toggle_cursor_blink_visible
    formatting.now = lambda: FROZEN_NOW
    formatting.uptime = lambda seconds: formatting.duration(FROZEN_UPTIME_S)
    # No blink: the cursor stays shown.
    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    TextArea._toggle_cursor_blink_visible = lambda self: None  # type: ignore[method-assign]
    os.environ.pop("NO_COLOR", None)
    try:
        yield
    finally:
        (  # type: ignore[method-assign]
            formatting.now,
            formatting.uptime,
            Input._toggle_cursor,
            TextArea._toggle_cursor_blink_visible,
        ) = saved
