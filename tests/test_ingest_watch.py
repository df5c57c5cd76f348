"""End to end through the watcher: real files dropped into a running daemon's inbox."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from ingest_helpers import PROSE, clarity_rpc, mixed_files, settled, wait_until, write_atomically

FAST = {"ingest": {"settle_s": 0.3}}

VENDORS = (
    "vendor,category,annual_spend,risk_tier,owner,renewal_date\n"
    "Acme Corp,hosting,12000,high,Jane,2027-01-01\n"
    "Globex,software,5000,low,Bob,2026-12-01\n"
    "Initech,consulting,800,medium,Ann,2027-03-01\n"
)
# Too little evidence for any domain table, and not quite plain prose: waits for a person.
OUTAGE = "Server outage notes\n\nThe database went down at 3am. We restarted it and the service recovered.\n"


def _status(client, path: Path) -> dict:
    return client.call_raw("ingest.status", {"path": str(path)})


# database_url before make_daemon: fixtures are torn down in reverse, so the PostgreSQL schema is
# dropped after the daemons stopped (dropping it under a running daemon can deadlock).
def test_mixed_folder_becomes_rows_and_pending_proposals(database_url, make_daemon, tmp_path):
    d = make_daemon(database=database_url, config=FAST)
    inbox = d.state_dir / "inbox"
    staging = tmp_path / "staging" / "mixed"
    staging.mkdir(parents=True)
    files = mixed_files(seed=1)
    for name, (data, _) in files.items():
        (staging / name).write_bytes(data)
    (staging / "vendors.csv").write_text(VENDORS)
    # A whole folder moved in (no event for the files inside) plus files written in place.
    os.rename(staging, inbox / "mixed")
    (inbox / "outage.txt").write_text(OUTAGE)
    write_atomically(inbox, "more-notes.md", f"# More notes\n\n{PROSE}\n".encode())

    expected = {inbox / "mixed" / name: table for name, (_, table) in files.items()}
    expected[inbox / "mixed" / "vendors.csv"] = "vendor_management"
    expected[inbox / "outage.txt"] = "documents"
    expected[inbox / "more-notes.md"] = "documents"
    with d.client() as c:
        status = wait_until(lambda: settled(c, len(expected)), timeout=60)
        assert status["counts"]["failed"] == 0, status["failures"]
        assert status["total"] == len(expected)
        states = {}
        for path, table in expected.items():
            record = _status(c, path)["file"]
            assert record["table"] == table, (path, record)
            states[path] = record["state"]
            if record["state"] == "applied":
                # A record of a dataset has the source path#n; a whole file, its path.
                rows = c.call_raw("rows.list", {"table": table, "filters": {"source": {"like": str(path)}}})["rows"]
                assert len(rows) == len(record["proposal_ids"]), (path, rows)
            else:
                assert record["state"] == "proposed" and record["proposal_status"] == "pending", (path, record)

    assert "applied" in states.values() and "proposed" in states.values()
    assert states[inbox / "outage.txt"] == "proposed"
    # A vendor list routed to its domain table gives one proposal (here: one row) per vendor.
    vendors = clarity_rpc(d.socket, "ingest.status", {"path": str(inbox / "mixed" / "vendors.csv")})["file"]
    assert len(vendors["proposal_ids"]) == 3
    page = clarity_rpc(d.socket, "rows.list", {"table": "vendor_management", "count": True})
    assert page["total"] == (3 if vendors["state"] == "applied" else 0)
    media = clarity_rpc(d.socket, "rows.list", {"table": "media", "count": True})
    assert media["total"] == 3
    pending = clarity_rpc(d.socket, "ingest.status", {"path": str(inbox / "outage.txt")})["file"]
    assert pending["proposal_status"] == "pending"
    queue = clarity_rpc(d.socket, "proposals.pending", {"limit": 500})["proposals"]
    waiting = {p["source"] for p in queue}
    assert str(inbox / "outage.txt") in waiting
    assert waiting == {str(p) for p, s in states.items() if s == "proposed"} | (
        {f"{inbox / 'mixed' / 'vendors.csv'}#{n}" for n in (1, 2, 3)} if vendors["state"] == "proposed" else set()
    )


def test_a_pending_file_follows_its_proposal_when_an_operator_approves_it(database_url, make_daemon):
    d = make_daemon(database=database_url, config=FAST)
    path = d.state_dir / "inbox" / "outage.txt"
    path.write_text(OUTAGE)
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
        record = _status(c, path)["file"]
        assert record["state"] == "proposed"
        approved = c.call_raw("proposals.approve", {"id": record["proposal_id"], "note": "fine as a document"})
        assert approved["status"] == "applied"
        after = _status(c, path)
        assert after["file"]["state"] == "applied" and after["file"]["row_id"] == approved["row_id"]
        assert after["history"][-1]["event"] == "ingest.applied"


def test_temporary_names_wait_for_their_rename(make_daemon):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    for name in ("draft.md.part", "report.pdf.crdownload", ".hidden.md", "notes.md~", ".#lock.md", "x.swp"):
        (inbox / name).write_text(f"# {name}\n\n{PROSE}")
    (inbox / "final.md.part").write_text(f"# Final\n\n{PROSE}")
    with d.client() as c:
        time.sleep(1.0)  # long enough for any of them to have been picked up by mistake
        assert c.call_raw("ingest.status", {})["total"] == 0
        os.rename(inbox / "final.md.part", inbox / "final.md")
        status = wait_until(lambda: settled(c, 1))
        assert status["total"] == 1
        assert _status(c, inbox / "final.md")["file"]["state"] in ("applied", "proposed")


def test_files_moved_in_from_elsewhere_are_arrivals(make_daemon, tmp_path):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    old, fresh = elsewhere / "old.md", elsewhere / "fresh.md"
    old.write_text(f"# Old\n\n{PROSE}")
    os.utime(old, (time.time() - 3600, time.time() - 3600))  # long settled: read at once
    fresh.write_text(f"# Fresh\n\n{PROSE} Fresh.")  # just written: read once it settles
    with d.client() as c:
        os.rename(old, inbox / "old.md")
        os.rename(fresh, inbox / "fresh.md")
        wait_until(lambda: settled(c, 2))
        assert {_status(c, inbox / n)["file"]["state"] for n in ("old.md", "fresh.md")} <= {"applied", "proposed"}


def test_a_file_still_being_written_is_read_once_complete(make_daemon, tmp_path):
    d = make_daemon(config={"ingest": {"settle_s": 0.5}})
    inbox = d.state_dir / "inbox"
    path = inbox / "slow.md"
    with d.client() as c:
        # Written in bursts with pauses shorter than the settle time, the file held open
        # all along: no close-write until the end.
        with open(path, "w") as f:
            f.write("# Slowly written\n\n")
            for _ in range(6):
                f.write(PROSE + "\n")
                f.flush()
                time.sleep(0.2)
            assert c.call_raw("ingest.status", {})["total"] == 0
        wait_until(lambda: settled(c, 1))
        record = _status(c, path)["file"]
    import hashlib

    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["state"] in ("applied", "proposed") and len(record["proposal_ids"]) == 1


def test_same_content_under_two_names_is_proposed_once(make_daemon):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    body = f"# Shared\n\n{PROSE}\n".encode()
    (inbox / "first.md").write_bytes(body)
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
        (inbox / "sub").mkdir()
        (inbox / "sub" / "copy of first.md").write_bytes(body)
        wait_until(lambda: settled(c, 2))
        copy = _status(c, inbox / "sub" / "copy of first.md")
        original = _status(c, inbox / "first.md")["file"]
        assert copy["file"]["state"] == "duplicate"
        assert copy["file"]["duplicate_of"] == str(inbox / "first.md")
        assert copy["file"]["proposal_ids"] == []
        assert [h["event"] for h in copy["history"]][-1] == "ingest.duplicate"
        assert original["state"] in ("applied", "proposed")
        assert c.call_raw("rows.list", {"table": "documents", "count": True})["total"] <= 1


def test_touched_but_unchanged_file_is_not_proposed_again(make_daemon):
    d = make_daemon(config=FAST)
    path = d.state_dir / "inbox" / "stable.md"
    path.write_text(f"# Stable\n\n{PROSE}")
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
        before = _status(c, path)["file"]
        os.utime(path, None)
        path.write_text(path.read_text())  # rewritten with the same bytes: a close-write event
        time.sleep(0.8)
        wait_until(lambda: settled(c, 1))
        after = _status(c, path)["file"]
    assert after["proposal_ids"] == before["proposal_ids"]
    assert after["state"] == before["state"]


def test_changed_content_becomes_an_update_of_its_row(make_daemon):
    d = make_daemon(config=FAST)
    path = d.state_dir / "inbox" / "tool.py"
    path.write_text("def main():\n    return 1\n")
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
        first = _status(c, path)["file"]
        assert first["state"] == "applied" and first["table"] == "codebases"  # code by its extension: sure
        path.write_text("import os\n\n\ndef main():\n    return os.getcwd()\n")
        wait_until(
            lambda: (
                (r := _status(c, path)["file"])["sha256"] != first["sha256"] and r["state"] not in ("seen", "extracted")
            )
        )
        second = _status(c, path)["file"]
        assert second["proposal_id"] != first["proposal_id"], second
        assert second["state"] in ("applied", "proposed"), second
        assert second["row_id"] == first["row_id"]
        update = c.call_raw("proposals.get", {"id": second["proposal_id"]})
        assert update["kind"] == "update" and update["row_id"] == first["row_id"]
        rows = c.call_raw("rows.list", {"table": "codebases", "filters": {"source": str(path)}})["rows"]
        assert len(rows) == 1  # the same row, not a second one
        if second["state"] == "applied":
            assert rows[0]["line_count"] == 5 and rows[0]["sha256"] == second["sha256"]


def test_a_change_before_any_decision_supersedes_the_pending_proposal(make_daemon):
    d = make_daemon(config=FAST)
    path = d.state_dir / "inbox" / "outage.txt"
    path.write_text(OUTAGE)
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
        first = _status(c, path)["file"]
        assert first["proposal_status"] == "pending"
        path.write_text(OUTAGE + "\nIt happened again the next night.\n")
        wait_until(
            lambda: (
                (r := _status(c, path)["file"])["sha256"] != first["sha256"] and r["state"] not in ("seen", "extracted")
            )
        )
        second = _status(c, path)["file"]
        assert second["proposal_status"] == "pending" and second["proposal_id"] != first["proposal_id"]
        assert c.call_raw("proposals.get", {"id": first["proposal_id"]})["status"] == "superseded"
        queue = c.call_raw("proposals.pending", {"source": str(path)})["proposals"]
        assert [p["id"] for p in queue] == [second["proposal_id"]]  # one file, one proposal waiting


def test_delete_after_ingest_and_patterns(make_daemon, tmp_path):
    drop = tmp_path / "drop"
    config = {
        "ingest": {
            "settle_s": 0.3,
            "folders": [
                {
                    "path": str(drop),
                    "patterns": ["*.md", "*.csv"],
                    "exclude": ["**/private/**"],
                    "delete_after_ingest": True,
                },
            ],
        }
    }
    d = make_daemon(config=config)
    assert drop.is_dir()  # a configured folder that did not exist is created
    (drop / "private").mkdir()
    (drop / "private" / "secret.md").write_text(f"# Secret\n\n{PROSE}")
    (drop / "ignored.txt").write_text(PROSE)
    (drop / "taken.md").write_text(f"# Taken\n\n{PROSE}")
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
        wait_until(lambda: not (drop / "taken.md").exists())
        status = c.call_raw("ingest.status", {})
        assert status["total"] == 1
        assert [f["path"] for f in status["folders"]] == [str(drop)]  # only the configured folder
        assert status["folders"][0]["delete_after_ingest"] is True
    assert (drop / "ignored.txt").exists() and (drop / "private" / "secret.md").exists()


def test_files_that_arrive_while_the_daemon_is_down_are_found_at_start(make_daemon):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    (inbox / "before.md").write_text(f"# Before\n\n{PROSE}")
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
    assert d.stop() == 0
    (inbox / "while-down.md").write_text(f"# While down\n\n{PROSE} Down.")
    (inbox / "before.md").write_text(f"# Before, edited while down\n\n{PROSE}")
    d.start()
    with d.client() as c:
        wait_until(lambda: settled(c, 2) and _status(c, inbox / "before.md")["file"]["proposal_id"] != 1)
        assert _status(c, inbox / "while-down.md")["file"]["state"] in ("applied", "proposed")


def test_polling_folder(make_daemon, tmp_path):
    polled = tmp_path / "polled"
    config = {"ingest": {"settle_s": 0.2, "poll_interval_s": 0.2, "folders": [{"path": str(polled), "polling": True}]}}
    d = make_daemon(config=config)
    with d.client() as c:
        folder = c.call_raw("ingest.status", {})["folders"][0]
        assert folder["mode"] == "polling"
        (polled / "polled.md").write_text(f"# Polled\n\n{PROSE}")
        wait_until(lambda: settled(c, 1))


def test_a_watched_folder_removed_while_running_is_watched_again(make_daemon):
    d = make_daemon(config={"ingest": {"settle_s": 0.2, "rescan_interval_s": 0.5}})
    inbox = d.state_dir / "inbox"
    shutil.rmtree(inbox)
    with d.client() as c:
        wait_until(lambda: inbox.is_dir())  # the next rescan puts it back
        wait_until(lambda: c.call_raw("ingest.status", {})["folders"][0]["mode"] == "native")
        (inbox / "back.md").write_text(f"# Back\n\n{PROSE}")
        wait_until(lambda: settled(c, 1))


def test_an_idle_daemon_uses_next_to_no_cpu(make_daemon):
    d = make_daemon(config=FAST)
    (d.state_dir / "inbox" / "one.md").write_text(f"# One\n\n{PROSE}")
    with d.client() as c:
        wait_until(lambda: settled(c, 1))

    def cpu_ticks() -> int:  # user + system time of the daemon, in clock ticks
        fields = Path(f"/proc/{d.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    time.sleep(0.5)
    before = cpu_ticks()
    time.sleep(3)
    used = (cpu_ticks() - before) / os.sysconf("SC_CLK_TCK")
    assert used < 0.1, f"idle clarityd used {used:.2f} CPU seconds in 3 s"  # under ~3% of one core
