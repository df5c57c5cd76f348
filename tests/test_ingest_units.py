"""The ingest pieces on their own: folder rules, backoff, filesystem types, caller access,
and the watcher falling back to polling when native events fail."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from watchdog.observers.api import BaseObserver

from daemon.config import load_config
from daemon.errors import Forbidden
from daemon.ingest.access import Caller
from daemon.ingest.opening import open_file
from daemon.ingest.journal import backoff
from daemon.ingest.rules import FolderRule, Rules, is_temporary_name
from daemon.ingest.watcher import Watcher, filesystem_type


def _rule(**kw) -> FolderRule:
    base = dict(root="/in", patterns=("**",), exclude=(), recursive=True, polling=False, delete_after_ingest=False)
    base.update(kw)
    return FolderRule(**base)


def test_patterns_mean_what_people_expect():
    r = _rule(patterns=("*.pdf", "docs/*.md"), exclude=("**/secret/**",))
    assert r.accepts("/in/a.pdf") and r.accepts("/in/deep/down/B.PDF")
    assert r.accepts("/in/docs/a.md") and not r.accepts("/in/other/docs/a.md")
    assert not r.accepts("/in/a.md") and not r.accepts("/in/secret/a.pdf")
    assert not r.accepts("/elsewhere/a.pdf") and not r.accepts("/in")
    flat = _rule(recursive=False)
    assert flat.accepts("/in/a.txt") and not flat.accepts("/in/sub/a.txt")


def test_temporary_and_hidden_names_are_never_read():
    for name in (
        "a.part",
        "a.PART",
        "a.tmp",
        "a~",
        "a.swp",
        "a.crdownload",
        ".hidden",
        "#a#",
        ".~lock.a.odt#",
        "~$a.docx",
    ):
        assert is_temporary_name(name), name
    for name in ("a.md", "partial-results.csv", "tmp.py", "a.pdf"):
        assert not is_temporary_name(name), name
    r = _rule(root="/home/u/.local/state/clarity/inbox")  # a dot folder above the root is fine
    assert r.accepts("/home/u/.local/state/clarity/inbox/a.md")
    assert not r.accepts("/home/u/.local/state/clarity/inbox/.git/config")


def test_the_daemons_own_files_are_never_ingested(tmp_path):
    state = tmp_path / "state"
    config = load_config({"CLARITY_STATE_DIR": str(state), "CLARITY_WATCH": f"{tmp_path}:{state}/inbox"})
    rules = Rules(config)
    assert rules.accepts(str(tmp_path / "notes.md")) is not None
    assert rules.accepts(str(state / "inbox" / "notes.md")) is not None
    assert rules.accepts(str(state / "clarity.db")) is None
    assert rules.accepts(str(state / "quarantine" / "1-x.md")) is None
    assert rules.folder_for(str(state / "inbox" / "n.md")).root == str(state / "inbox")  # the innermost


def test_folders_come_from_watch_and_from_ingest_folders(tmp_path):
    env = {"CLARITY_STATE_DIR": str(tmp_path / "s")}
    assert load_config(env).watch == [str(tmp_path / "s" / "inbox")]
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"ingest:\n  folders:\n    - path: {tmp_path}/drop\n      patterns: ['*.csv']\n")
    config = load_config({**env, "CLARITY_CONFIG": str(cfg)})
    assert config.watch == [str(tmp_path / "drop")]  # folders with rules replace the default inbox
    rules = Rules(config)
    assert rules.folders[0].patterns == ("*.csv",)


def test_backoff_grows_then_stops():
    now = datetime(2026, 1, 1)
    delays = [backoff(n, 60, 3600, 5, now) for n in range(1, 6)]
    assert [d - now for d in delays[:4]] == [timedelta(seconds=s) for s in (60, 240, 960, 3600)]
    assert delays[4] is None


def test_filesystem_type_from_mounts(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\nserver:/export /mnt/share nfs4 rw 0 0\n//nas/docs /mnt/my\\040docs cifs rw 0 0\n"
    )
    assert filesystem_type("/mnt/share/inbox", str(mounts)) == "nfs4"
    assert filesystem_type("/mnt/my docs/inbox", str(mounts)) == "cifs"
    assert filesystem_type("/mnt/shared", str(mounts)) == "ext4"
    assert filesystem_type("/x", str(tmp_path / "missing")) is None


def test_caller_can_read_only_what_it_could_read_itself():
    # Not under pytest's tmp_path: its parent is 0700, which no stranger may enter.
    tmp_path = Path(tempfile.mkdtemp(prefix="cl-access-", dir="/tmp"))
    try:
        _check_access(tmp_path)
    finally:
        shutil.rmtree(tmp_path)


def caller_can_read(path: str, uid: int, gids: set[int]) -> bool:
    """Would clarityd open ``path`` for this caller (checked on what it opened)?"""
    rules = Rules(load_config({"CLARITY_STATE_DIR": "/nonexistent/state"}))
    try:
        open_file(path, rules, [Caller(uid, frozenset(gids))]).close()
    except Forbidden:
        return False
    return True


def _check_access(tmp_path: Path) -> None:
    folder = tmp_path / "private"
    folder.mkdir()
    secret = folder / "secret.md"
    secret.write_text("x")
    readable = tmp_path / "open.md"
    readable.write_text("x")
    stranger, groups = 54321, {54321}
    os.chmod(tmp_path, 0o755)
    os.chmod(readable, 0o644)
    assert caller_can_read(str(readable), stranger, groups)
    os.chmod(readable, 0o600)
    assert not caller_can_read(str(readable), stranger, groups)
    os.chmod(secret, 0o644)
    os.chmod(folder, 0o700)  # the file is readable, but the folder cannot be entered
    assert not caller_can_read(str(secret), stranger, groups)
    os.chmod(folder, 0o750)
    assert not caller_can_read(str(secret), stranger, groups)
    assert caller_can_read(str(secret), stranger, {os.stat(folder).st_gid})  # a member of the folder's group
    assert caller_can_read(str(secret), 0, {0})


class _NoInotify(BaseObserver):
    """The kernel's refusal, as when fs.inotify.max_user_watches is used up."""

    def __init__(self) -> None:
        from watchdog.observers.polling import PollingEmitter

        super().__init__(PollingEmitter)

    def schedule(self, *args, **kwargs):  # type: ignore[override]
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


async def test_watcher_falls_back_to_polling_and_still_sees_files(tmp_path):
    config = load_config({"CLARITY_STATE_DIR": str(tmp_path / "s"), "CLARITY_WATCH": str(tmp_path / "w")})
    ready: list[str] = []
    got = asyncio.Event()

    def on_ready(path: str) -> None:
        ready.append(path)
        got.set()

    watcher = Watcher(Rules(config), on_ready, lambda: 0.1, 0.1, lambda: None, native=_NoInotify)
    await asyncio.get_running_loop().run_in_executor(None, watcher.start)
    try:
        folder = watcher.folders[0]
        assert folder.mode == "polling" and "native events failed" in folder.reason
        assert os.path.isdir(tmp_path / "w")  # a missing folder is created
        (tmp_path / "w" / "a.md").write_text("# A")
        await asyncio.wait_for(got.wait(), 10)
        assert ready == [str(tmp_path / "w" / "a.md")]
    finally:
        await asyncio.get_running_loop().run_in_executor(None, watcher.stop)


async def test_a_folder_that_cannot_be_created_is_reported_not_fatal(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    config = load_config({"CLARITY_STATE_DIR": str(tmp_path / "s"), "CLARITY_WATCH": str(blocker / "inbox")})
    watcher = Watcher(Rules(config), lambda p: None, lambda: 0.1, 0.1, lambda: None)
    watcher.start()
    try:
        assert watcher.folders[0].mode == "missing" and watcher.folders[0].reason
    finally:
        watcher.stop()


def test_the_client_does_not_pull_in_the_ingest_machinery():
    code = (
        "import sys, daemon.client, daemon.protocol.ingest; print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('watchdog', 'peewee') or m.startswith('daemon.ingest')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_what_is_opened_is_what_was_resolved(tmp_path, monkeypatch):
    """The race, made deterministic: a folder on the way, or the file itself, becomes a link
    right after the path was resolved. The component-by-component O_NOFOLLOW open notices."""
    from daemon.ingest import opening

    state = tmp_path / "state"
    inbox = state / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "sub" / "a.md").write_text("inside")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.md").write_text("outside")
    rules = Rules(load_config({"CLARITY_STATE_DIR": str(state)}))
    resolve = os.path.realpath
    swapped: list[str] = []

    def swap_after_resolving(path: str, swap) -> str:
        real = resolve(path)
        if path.endswith(".md") and not swapped:  # the file's path, not the state folder's
            swapped.append(path)
            swap()
        return real

    def folder_becomes_link() -> None:
        os.rename(inbox / "sub", tmp_path / "sub-was")
        os.symlink(tmp_path / "elsewhere", inbox / "sub")

    monkeypatch.setattr(opening.os.path, "realpath", lambda p: swap_after_resolving(p, folder_becomes_link))
    with pytest.raises(opening.Changed):
        opening.open_file(str(inbox / "sub" / "a.md"), rules)

    (inbox / "b.md").write_text("inside")
    swapped.clear()

    def file_becomes_link() -> None:
        os.unlink(inbox / "b.md")
        os.symlink(tmp_path / "elsewhere" / "a.md", inbox / "b.md")

    monkeypatch.setattr(opening.os.path, "realpath", lambda p: swap_after_resolving(p, file_becomes_link))
    with pytest.raises(opening.Changed):
        opening.open_file(str(inbox / "b.md"), rules, [Caller(0, frozenset({0}))])
