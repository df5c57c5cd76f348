"""clarity backup while the daemon runs, clarity restore into a fresh state folder (SQLite) or
a lost schema (PostgreSQL) with the daemon stopped: every table comes back as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from daemon.protocol import ErrorCode, RpcError
from daemon.storage import open_database

from conftest import ROOT, _pg_admin
from ingest_helpers import PROSE


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _every_table(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the daemon's database, its rows in a stable order."""
    db = open_database(url)
    with db.connection_context():
        if url.startswith("sqlite"):
            names = [r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            names = [
                r[0]
                for r in db.execute_sql(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                )
            ]
        out = {
            name: sorted((tuple(row) for row in db.execute_sql(f'SELECT * FROM "{name}"')), key=repr) for name in names
        }
    db.close()
    return out


def _fill(c: Any, inbox: Path) -> None:
    """A bit of everything: applied and pending proposals, an edit, agents, playbooks, work
    orders, an ingested file, events."""
    doc = c.proposals.create(table="documents", fields={"title": "Plan", "page_count": 3}, confidence=0.99)
    c.rows.update(table="documents", id=doc.row_id, version=1, fields={"author": "ann"})
    c.proposals.create(table="sops", fields={"title": "Restart"}, confidence=0.4)
    c.sub_agents.register(agent_id="a1", agent_name="A", agent_type="worker")
    c.sub_agents.task_completion(agent_id="a1", success=True)
    c.self_healing.log(playbook_name="p", success=True, duration_ms=5)
    c.coding_agent.work_order(work_order_id="W", title="t")
    (inbox / "notes.md").write_text(f"# Notes\n\n{PROSE}\n")
    c.ingest.file(path=str(inbox / "notes.md"))


def test_backup_running_restore_stopped_every_table_back(make_daemon, database_url, tmp_path):
    d = make_daemon(database=database_url)
    inbox = tmp_path / "files"
    inbox.mkdir()
    backup = tmp_path / "clarity.backup"
    with d.client() as c:
        _fill(c, inbox)
        counts = {t.name: t.row_count for t in c.tables.list()}
        pending = [p.id for p in c.proposals.pending().proposals]
        with pytest.raises(RpcError) as e:
            c.system.backup(path="relative.db")
        assert e.value.code == ErrorCode.INVALID_PARAMS
        r = _cli(d.env, "--socket", d.socket, "backup", str(backup))  # while the daemon runs
        assert r.returncode == 0, r.stderr
        assert backup.stat().st_size > 0
        with pytest.raises(RpcError) as e:  # never overwrites
            c.system.backup(path=str(backup))
        assert e.value.code == ErrorCode.INVALID_PARAMS
    assert d.stop() == 0
    before = _every_table(database_url)
    assert before["memory_documents"] and before["clarity_proposals"] and before["clarity_audit"]

    # Disaster: a fresh state folder (SQLite), or the daemon's schema gone (PostgreSQL).
    env = {k: v for k, v in d.env.items() if k not in ("CLARITY_DATABASE", "CLARITY_STATE_DIR")}
    if database_url.startswith("sqlite"):
        fresh = tmp_path / "fresh-state"
        env["CLARITY_STATE_DIR"] = str(fresh)
        restored_url = f"sqlite:///{fresh}/clarity.db"
    else:
        schema = database_url.rsplit("%3D", 1)[1]
        admin = _pg_admin()
        with admin.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()
        env["CLARITY_DATABASE"] = restored_url = database_url
    r = _cli(env, "restore", str(backup))
    assert r.returncode == 0, r.stderr
    assert _every_table(restored_url) == before

    again = make_daemon(database=restored_url)
    with again.client() as c:
        assert c.system.health().status == "ok"
        assert {t.name: t.row_count for t in c.tables.list()} == counts
        assert [p.id for p in c.proposals.pending().proposals] == pending
        assert c.rows.list(table="documents").rows[0]["title"] == "Plan"
    # Restore refuses while a daemon runs on that configuration.
    r = _cli({**env, "CLARITY_SOCKET": again.socket}, "restore", "--force", str(backup))
    assert r.returncode == 1 and "running" in r.stderr


def test_restore_refuses_what_is_not_its_backup(make_daemon, tmp_path):
    d = make_daemon()
    assert d.stop() == 0
    env = dict(d.env)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all")
    assert _cli(env, "restore", str(junk)).returncode == 1
    backup = tmp_path / "b.db"
    d.start()
    with d.client() as c:
        c.system.backup(path=str(backup))
    assert d.stop() == 0
    r = _cli(env, "restore", str(backup))  # the state folder has a database
    assert r.returncode == 1 and "--force" in r.stderr
    r = _cli(env, "restore", "--force", str(backup))
    assert r.returncode == 0, r.stderr
    db = env["CLARITY_STATE_DIR"] + "/clarity.db"
    assert os.path.exists(db + ".before-restore")


def test_restore_with_nothing_naming_the_database_asks_or_wants_a_target(make_daemon, tmp_path):
    """An admin who forgot the unit's environment must not restore into their own ~/.local/state."""
    import pty

    d = make_daemon()
    backup = tmp_path / "b.db"
    with d.client() as c:
        c.system.backup(path=str(backup))
    assert d.stop() == 0
    home = tmp_path / "home"
    home.mkdir()
    default_db = home / ".local" / "state" / "clarity" / "clarity.db"
    bare = {"PATH": os.environ["PATH"], "HOME": str(home), "CLARITY_SOCKET": d.socket}
    r = _cli(bare, "restore", str(backup))  # no terminal to ask on: refused, saying where and how
    assert r.returncode == 2 and str(default_db) in r.stderr and "--state-dir" in r.stderr
    assert not default_db.exists()

    # On a terminal it asks; anything but yes leaves it alone, yes restores there.
    for answer, code in ((b"n\n", 2), (b"y\n", 0)):
        main, tty = pty.openpty()
        os.write(main, answer)
        proc = subprocess.run(
            [sys.executable, "-m", "console.cli", "restore", str(backup)],
            env=bare,
            cwd=ROOT,
            stdin=tty,
            capture_output=True,
            text=True,
            timeout=120,
        )
        os.close(main), os.close(tty)
        assert proc.returncode == code, proc.stderr
        assert "[y/N]" in proc.stderr and default_db.exists() == (code == 0)

    # An explicit target needs no question, and the command says where it restored.
    target = tmp_path / "elsewhere"
    r = _cli(bare, "restore", "--state-dir", str(target), str(backup))
    assert r.returncode == 0, r.stderr
    assert (target / "clarity.db").exists() and str(target / "clarity.db") in r.stderr + r.stdout
    r = _cli({**bare, "STATE_DIRECTORY": str(target)}, "restore", "--force", str(backup))  # as the unit names it
    assert r.returncode == 0 and "$STATE_DIRECTORY" in r.stderr, r.stderr


def test_the_backup_goes_only_where_the_caller_may_write(tmp_path):
    """The daemon writes the file, but checks the caller's permissions on the folder."""
    from types import SimpleNamespace

    from daemon.backup import check_destination
    from daemon.errors import Forbidden

    nobody = SimpleNamespace(uid=65534, gid=65534, user="nobody")
    closed, shared = tmp_path / "closed", tmp_path / "shared"
    closed.mkdir(mode=0o755)
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(Forbidden):
        check_destination(str(closed / "b.db"), nobody)
    assert check_destination(str(shared / "b.db"), nobody) == str(shared / "b.db")
    if os.geteuid() == 0:  # the folder's owner may write it
        os.chown(closed, 65534, 65534)
        assert check_destination(str(closed / "b.db"), nobody) == str(closed / "b.db")
