"""A local user attacking ingestion (issue 9): links out of the watched folders, a link
re-pointed between ingest.file's check and the read, FIFOs and sockets in the inbox, names
that are not UTF-8. Real daemons; the database is searched for what must not be there."""

from __future__ import annotations

import grp
import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from daemon.client import Client
from peers import run_as
from daemon.protocol import ErrorCode, RpcError
from ingest_helpers import PROSE, ROOT, record_of, settled, wait_until

NOBODY = 65534
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="a second uid (nobody) needs root")


def database_text(state_dir: Path) -> str:
    """Everything the SQLite database holds, as SQL text."""
    with sqlite3.connect(state_dir / "clarity.db") as db:
        return "\n".join(db.iterdump())


def history(c: Client, path: Path | str) -> list[str]:
    return [h.event for h in c.ingest.status(path=str(path)).history]


def test_links_are_followed_only_into_the_watched_folders(make_daemon, tmp_path):
    d = make_daemon(config={"ingest": {"settle_s": 0.2, "rescan_interval_s": 0.3, "retry_base_s": 3600}})
    inbox = d.state_dir / "inbox"
    outside = tmp_path / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "shadow").write_text("root:$6$SHADOWMARKER$abc:19000:0:99999:7:::\n")
    os.chmod(outside / "shadow", 0o600)
    (outside / "private" / "notes.md").write_text(f"# Notes\n\nPRIVATEMARKER {PROSE}")
    os.chmod(outside / "private", 0o700)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "a.txt").write_bytes(b"")  # empty: fails, and waits an hour for its retry
    (inbox / "real.md").write_text(f"# Real\n\n{PROSE}")
    links = {
        "x.txt": outside / "shadow",
        "notes.md": outside / "private" / "notes.md",
        "dangling.txt": outside / "nothing-here",
        "folder": outside,
        "inside.md": inbox / "real.md",
    }
    for name, target in links.items():
        os.symlink(target, inbox / name)
    with d.client() as c:
        wait_until(lambda: settled(c, len(links) + 2))
        for name in ("x.txt", "notes.md", "dangling.txt", "folder"):
            record = record_of(c, inbox / name)
            assert record.state == "refused" and record.sha256 is None and record.next_attempt_at is None, name
        assert record_of(c, inbox / "inside.md").state in ("duplicate", "applied", "proposed")
        assert record_of(c, inbox / "sub" / "a.txt").state == "failed"

        # A folder on the way becomes a link to outside: the retry refuses the file too.
        shutil.move(inbox / "sub", tmp_path / "sub-was")
        (outside / "sub").mkdir()
        (outside / "sub" / "a.txt").write_text(f"SUBMARKER {PROSE}")
        os.symlink(outside / "sub", inbox / "sub")
        c.ingest.retry(path=str(inbox / "sub" / "a.txt"))
        wait_until(lambda: record_of(c, inbox / "sub" / "a.txt").state == "refused")
        wait_until(lambda: (r := record_of(c, inbox / "sub")) and r.state == "refused")  # the new link itself

        # Refusals are recorded once, not again at every rescan.
        total = c.ingest.status().total
        time.sleep(1.0)  # three rescans
        assert c.ingest.status().total == total
        for name in ("x.txt", "notes.md", "folder"):
            assert history(c, inbox / name).count("ingest.refused") == 1, name
        assert c.system.health().status == "ok"
    text = database_text(d.state_dir)
    for marker in ("SHADOWMARKER", "PRIVATEMARKER", "SUBMARKER"):
        assert marker not in text


def test_fifos_and_sockets_in_the_inbox_neither_stall_ingestion_nor_shutdown(make_daemon):
    d = make_daemon(config={"ingest": {"settle_s": 0.2}})
    inbox = d.state_dir / "inbox"
    os.mkfifo(inbox / "pipe-1.txt")
    os.mkfifo(inbox / "pipe-2.csv")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(inbox / "sock.txt"))
    files = {f"note-{i}.md": f"# Note {i}\n\n{PROSE}" for i in range(4)}
    for name, text in files.items():
        (inbox / name).write_text(text)
    try:
        with d.client() as c:
            wait_until(lambda: settled(c, len(files) + 3))
            for name in files:
                assert record_of(c, inbox / name).state in ("applied", "proposed")
            for name in ("pipe-1.txt", "pipe-2.csv", "sock.txt"):
                record = record_of(c, inbox / name)
                assert record.state == "refused" and record.attempts == 0, name
        assert d.stop(timeout=40) == 0  # the bound only catches a hang (whose stacks the log then holds)
    finally:
        listener.close()


def test_a_name_that_is_not_utf8_is_journaled_once(database_url, make_daemon):
    d = make_daemon(database=database_url, config={"ingest": {"settle_s": 0.2, "rescan_interval_s": 0.3}})
    inbox = d.state_dir / "inbox"
    raw = os.fsencode(inbox) + b"/caf\xe9-notes.md"
    with open(raw, "wb") as f:
        f.write(f"# Caf\u00e9 notes\n\n{PROSE}".encode())
    shown = f"{inbox}/caf\\xe9-notes.md"  # the journal's form: the byte that is not UTF-8 escaped
    with d.client() as c:
        record = wait_until(lambda: record_of(c, shown))
        wait_until(lambda: record_of(c, shown).state in ("applied", "proposed"))
        time.sleep(1.0)  # three rescans: it is known, so none reads it again
        assert history(c, shown).count("ingest.seen") == 1
        assert record.path == shown and c.ingest.status().total == 1


@root_only
def test_ingest_file_checks_the_caller_on_what_is_read_not_what_was_named(make_daemon):
    """A link re-pointed after ingest.file's call returned, before its file was read (200
    files queued ahead of it), must not get nobody a root-only file read."""
    d = make_daemon(
        config={"socket_group": "nogroup", "roles": {"agents": {"users": ["nobody"]}}, "ingest": {"workers": 1}}
    )
    os.chmod(d.dir, 0o711)
    mine = Path(tempfile.mkdtemp(prefix="cl-nobody-", dir="/tmp"))
    vault = Path(tempfile.mkdtemp(prefix="cl-vault-", dir="/tmp"))
    try:
        (vault / "secret.md").write_text(f"# Vault\n\nVAULTMARKER {PROSE}")  # root's, in a 0700 folder
        for i in range(200):
            (mine / f"filler-{i}.md").write_text(f"# Filler {i}\n\n{PROSE * 40}")
        (mine / "own.md").write_text(f"# Mine\n\n{PROSE}")
        os.symlink(mine / "own.md", mine / "link.md")
        for path in [mine, *mine.iterdir()]:
            os.lchown(path, NOBODY, NOBODY)
        os.chmod(mine, 0o755)
        answers = _as_nobody(d.socket, mine, vault / "secret.md")
        assert answers["link"] == "queued" and answers["direct"] == "FORBIDDEN"
        with d.client() as c:
            wait_until(lambda: settled(c, 200), timeout=90)
            record = record_of(c, mine / "link.md")
            # Read before the link moved (its own file, which nobody may read), or refused for its
            # caller after: never the vault's file. Which one depends on how fast the queue drains.
            own = hashlib.sha256((mine / "own.md").read_bytes()).hexdigest()
            assert record is None or record.sha256 in (None, own)
    finally:
        shutil.rmtree(mine)
        shutil.rmtree(vault)
    assert "VAULTMARKER" not in database_text(d.state_dir)


def _as_nobody(socket_path: str, mine: Path, secret: Path) -> dict[str, str]:
    """In a child running as nobody: queue the fillers and link.md (-> own.md), then point
    the link at ``secret`` at once; also try ``secret`` directly."""

    def race() -> dict[str, str]:
        out: dict[str, str] = {}
        with Client(socket_path, timeout=30) as c:
            for i in range(200):
                c.ingest.file(path=str(mine / f"filler-{i}.md"), wait=False)
            out["link"] = c.ingest.file(path=str(mine / "link.md"), wait=False).state
            os.symlink(secret, mine / "link.tmp")
            os.replace(mine / "link.tmp", mine / "link.md")
            try:
                c.ingest.file(path=str(secret))
                out["direct"] = "allowed"
            except RpcError as e:
                out["direct"] = ErrorCode(e.code).name
        return out

    return run_as(NOBODY, NOBODY, race)


# -- the state folder ------------------------------------------------------------------------


def test_a_second_daemon_on_the_same_state_folder_exits_75(make_daemon):
    first = make_daemon()
    second = make_daemon(start=False)
    second.env["CLARITY_STATE_DIR"] = str(first.state_dir)  # its own socket, the first one's state
    proc = subprocess.run(
        [sys.executable, "-m", "daemon.main"], env=second.env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 75 and str(first.state_dir) in proc.stderr
    assert not os.path.exists(second.socket)
    with first.client() as c:
        assert c.system.health().status == "ok"
    assert first.stop() == 0
    second.start()  # the lock went with the first daemon
    with second.client() as c:
        assert c.system.health().status == "ok"


def test_daemons_sharing_postgresql_each_with_a_state_folder_both_run(make_daemon, pg_url):
    first, second = make_daemon(database=pg_url), make_daemon(database=pg_url)
    for d in (first, second):
        with d.client() as c:
            assert c.system.health().status == "ok"


def test_state_folder_and_database_are_private_outside_systemd(make_daemon):
    d = make_daemon(config={"ingest": {"settle_s": 0.2}})
    (d.state_dir / "inbox" / "a.md").write_text(f"# A\n\n{PROSE}")
    with d.client() as c:
        wait_until(lambda: settled(c, 1))
        mode = lambda p: os.stat(p).st_mode & 0o777  # noqa: E731
        assert mode(d.state_dir) == 0o700
        assert mode(d.state_dir / "inbox") & 0o007 == 0  # never open to every local user
        for name in ("clarity.db", "clarity.db-wal", "clarity.db-shm", "clarityd.lock"):
            assert mode(d.state_dir / name) == 0o600, name


def test_with_a_socket_group_the_state_folder_is_0750_and_an_open_one_is_narrowed(make_daemon):
    d = make_daemon(config={"socket_group": "nogroup"}, start=False)
    d.state_dir.mkdir(mode=0o755)
    os.chmod(d.state_dir, 0o777)  # what an older version (or a careless umask) left
    d.start()
    st = os.stat(d.state_dir)
    assert st.st_mode & 0o777 == 0o750 and grp.getgrgid(st.st_gid).gr_name == "nogroup"
