"""Archives through a real daemon: each member is a file of its own (``archive!member``),
limits refuse bombs, a permanent failure is recorded once, and a SIGKILL while an archive
is unpacked leaves every member proposed exactly once."""

from __future__ import annotations

import gzip
import io
import json
import random
import sqlite3
import tarfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from daemon.catalog import load_catalog
from daemon.config import REPO_SCHEMAS
from daemon.extract import ExtractLimits
from daemon.inference import infer
from daemon.ingest.archives import iter_extractions
from ingest_helpers import FAST_RETRY, PROSE, record_of, settled, wait_until

# Real files this project did not write: a Debian copyright file, stdlib Python, a CSV.
ROOT = Path(__file__).resolve().parent.parent
COPYRIGHT = ROOT / "tests" / "corpus" / "real" / "docs" / "bash-copyright"
PYTHON = Path(json.__file__).parent / "decoder.py"
CSV = ROOT / "tests" / "corpus" / "real" / "data" / "pcg64-testset-1.csv"
FAST = {"ingest": FAST_RETRY}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _tgz(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_members_of_zip_tar_gz_and_gz_are_ingested_as_files(make_daemon):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    members = {
        "docs/copyright": COPYRIGHT.read_bytes(),
        "src/decoder.py": PYTHON.read_bytes(),
        "data/numbers.csv": CSV.read_bytes(),
    }
    (inbox / "bundle.zip").write_bytes(_zip(members))
    (inbox / "notes.tgz").write_bytes(_tgz({"garden.md": f"# Garden diary\n\n{PROSE}\n".encode()}))
    (inbox / "decoder.py.gz").write_bytes(gzip.compress(PYTHON.read_bytes() + b"\n# copy\n"))
    expected = {f"{inbox}/bundle.zip!{name}" for name in members} | {
        f"{inbox}/notes.tgz!garden.md",
        f"{inbox}/decoder.py.gz!decoder.py",
    }
    with d.client() as c:
        wait_until(lambda: settled(c, len(expected) + 3))
        for archive in ("bundle.zip", "notes.tgz", "decoder.py.gz"):
            record = c.ingest.status(path=str(inbox / archive)).file
            assert record.state == "unpacked" and record.kind == "archive", record
        tables = {}
        for path in expected:
            record = c.ingest.status(path=path).file
            assert record.state in ("applied", "proposed"), record
            tables[path.rsplit("!", 1)[1]] = record.table
        assert tables["src/decoder.py"] == tables["decoder.py"] == "codebases"
        assert tables["data/numbers.csv"] == "datasets"
        history = [h.event for h in c.ingest.status(path=str(inbox / "bundle.zip")).history]
        assert "ingest.unpacked" in history
    sources = Counter(s for (s,) in _query(d.state_dir / "clarity.db", "SELECT source FROM clarity_proposals"))
    assert set(sources) == expected and max(sources.values()) == 1


def test_entries_not_read_are_said_on_the_archive(make_daemon):
    """A member whose name leads outside the archive is not read, and the archive's journal
    entry says an entry was left out (it used to end unpacked with nothing said)."""
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    (inbox / "mixed.zip").write_bytes(
        _zip({"notes.md": f"# Notes\n\n{PROSE}\n".encode(), "../escape.md": b"# Escape\n"})
    )
    (inbox / "clean.zip").write_bytes(_zip({"more.md": f"# More\n\n{PROSE} more\n".encode()}))
    with d.client() as c:
        wait_until(lambda: settled(c, 4))
        mixed = c.ingest.status(path=str(inbox / "mixed.zip"))
        assert mixed.file.state == "unpacked" and mixed.file.last_error
        (unpacked,) = [h for h in mixed.history if h.event == "ingest.unpacked"]
        assert unpacked.detail["files"] == 1 and unpacked.detail["skipped"] == 1
        assert c.ingest.status(path=str(inbox / "clean.zip")).file.last_error is None
    paths = {p for (p,) in _query(d.state_dir / "clarity.db", "SELECT path FROM clarity_ingest_journal")}
    assert not any("escape" in p for p in paths)


def test_corrupt_archives_and_bombs_fail_once_and_are_not_retried(make_daemon):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    good = _zip({"a.md": f"# A\n\n{PROSE}".encode()})
    bad = {
        "cut.zip": good[: len(good) // 2],  # corrupt: its central directory is gone
        "bomb.zip": _zip({"zeros.txt": b"0" * (40 * 1024 * 1024)}),  # 40 MiB in about 40 KiB
        "bomb.gz": gzip.compress(b"\0" * (40 * 1024 * 1024)),
        "cut.tgz": _tgz({"b.md": random.Random(1).randbytes(20000).hex().encode()})[:4000],
    }
    for name, data in bad.items():
        (inbox / name).write_bytes(data)
    with d.client() as c:
        wait_until(lambda: settled(c, len(bad)))
        for name in bad:
            record = c.ingest.status(path=str(inbox / name)).file
            assert record.state == "failed" and record.last_error, (name, record)
            assert record.attempts == 1 and record.next_attempt_at is None, (name, record)  # recorded once
        # The retry job has run since (every 0.2 s): still one failure each.
        checks = d.state_dir / "clarity.db"
        wait_until(
            lambda: _query(checks, "SELECT COUNT(*) FROM clarity_events WHERE type = 'ingest.failed'")[0][0] == len(bad)
        )
        # A file that is not an archive and cannot be read fails permanently too.
        (inbox / "scan.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + bytes(range(256)) * 4)
        record = wait_until(lambda: (r := record_of(c, inbox / "scan.7z")) and r.state == "failed" and r)
        assert record.next_attempt_at is None


def test_sigkill_while_unpacking_proposes_every_member_once(make_daemon, database_url):
    d = make_daemon(database=database_url, config={"ingest": {"settle_s": 0.2, "retry_base_s": 3600}})
    inbox = d.state_dir / "inbox"
    members = {f"notes/note-{i:03d}.md": f"# Note {i}\n\n{PROSE} Entry {i}.\n".encode() for i in range(300)}
    (inbox / "notes.zip").write_bytes(_zip(members))
    expected = {f"{inbox}/notes.zip!{name}" for name in members}
    url = database_url

    def sources() -> list[str]:
        from test_ingest_kill import _query as query  # the same reader the kill test uses

        return [s for (s,) in query(url, "SELECT source FROM clarity_proposals")]

    # Kill once some members are in and others are not: the archive is mid-way.
    wait_until(lambda: len(sources()) >= 5, timeout=60, interval=0.01)
    d.kill()
    done_before = len(sources())
    d.start()
    with d.client() as c:
        wait_until(lambda: settled(c, len(members) + 1), timeout=90)
        assert c.ingest.status(path=str(inbox / "notes.zip")).file.state == "unpacked"
    per_source = Counter(sources())
    assert set(per_source) == expected and max(per_source.values()) == 1, done_before
    assert d.stop() == 0


def test_an_archive_changed_later_only_proposes_what_changed(make_daemon):
    d = make_daemon(config=FAST)
    inbox = d.state_dir / "inbox"
    first = {"a.md": f"# A\n\n{PROSE}".encode(), "b.md": f"# B\n\n{PROSE} Two.".encode()}
    (inbox / "pair.zip").write_bytes(_zip(first))
    with d.client() as c:
        wait_until(lambda: settled(c, 3))
        time.sleep(0.05)  # a later mtime for the new content
        (inbox / "pair.zip").write_bytes(_zip({**first, "b.md": f"# B\n\n{PROSE} Changed.".encode()}))
        wait_until(
            lambda: (
                (r := record_of(c, f"{inbox}/pair.zip!b.md"))
                and r.size == len(f"# B\n\n{PROSE} Changed.")
                and r.state in ("applied", "proposed")
            )
        )
        wait_until(lambda: c.ingest.status(path=str(inbox / "pair.zip")).file.state == "unpacked")
    sources = Counter(s for (s,) in _query(d.state_dir / "clarity.db", "SELECT source FROM clarity_proposals"))
    assert sources == Counter({f"{inbox}/pair.zip!a.md": 1, f"{inbox}/pair.zip!b.md": 2})


def test_a_failed_member_is_retried_through_its_archive(make_daemon, tmp_path):
    d = make_daemon(config={"ingest": {"settle_s": 0.2, "retry_base_s": 3600}})
    inbox = d.state_dir / "inbox"
    archive = inbox / "mixed.zip"
    archive.write_bytes(_zip({"good.md": f"# Good\n\n{PROSE}".encode(), "bad.json": b'{"a": [1,'}))
    bad, good = f"{archive}!bad.json", f"{archive}!good.md"
    with d.client() as c:
        wait_until(lambda: settled(c, 3))
        record = c.ingest.status(path=bad).file
        assert record.state == "failed" and record.next_attempt_at is None and record.attempts == 1
        assert c.ingest.status(path=str(archive)).file.state == "unpacked"
        assert c.ingest.retry(path=bad).paths == [bad]
        wait_until(
            lambda: (
                "ingest.retried" in [h.event for h in c.ingest.status(path=bad).history]
                and (r := c.ingest.status(path=bad).file).state == "failed"
                and r.attempts == 1
            )
        )
        wait_until(lambda: c.ingest.status(path=str(archive)).file.state == "unpacked")
        assert c.ingest.status(path=good).file.state in ("applied", "proposed")
        # Handed over by a caller, an archive answers with its own record once unpacked.
        handed = tmp_path / "handed.tar.gz"
        handed.write_bytes(_tgz({"readme.md": f"# Handed\n\n{PROSE} Over.".encode()}))
        record = c.ingest.file(path=str(handed))
        assert record.state == "unpacked" and record.kind == "archive"
        assert c.ingest.status(path=f"{handed}!readme.md").file.state in ("applied", "proposed")
    sources = Counter(s for (s,) in _query(d.state_dir / "clarity.db", "SELECT source FROM clarity_proposals"))
    assert sources == Counter({good: 1, f"{handed}!readme.md": 1})  # the retry proposed nothing twice


def test_an_archive_under_another_name_is_read_but_not_trusted(tmp_path):
    # gzip bytes called report.csv: the CSV inside is read as report.csv, and waits for a person.
    path = tmp_path / "report.csv"
    path.write_bytes(gzip.compress(CSV.read_bytes()))
    [(member, ex)] = list(iter_extractions(str(path), "gzip", ExtractLimits()))
    assert member == f"{path}!report.csv" and ex.kind == "dataset"
    assert ex.suspect == ["unpacked from an archive named .csv"]
    assert infer(ex, load_catalog(REPO_SCHEMAS)).confidence < 0.90


def test_members_of_an_archive_built_to_escape_its_folder_wait(tmp_path):
    # Zip slip: an absolute entry and one climbing out. The climbing one is not read; what the
    # archive holds besides is read, but is not filed unseen.
    path = tmp_path / "attachments.zip"
    path.write_bytes(_zip({"/abs/data.csv": CSV.read_bytes(), "../../etc/evil.txt": PROSE.encode(), "notes.md": b"x"}))
    found = dict(iter_extractions(str(path), "zip", ExtractLimits()))
    assert sorted(found) == [str(path), f"{path}!abs/data.csv", f"{path}!notes.md"]
    assert "1 entry not read" in str(found[str(path)])  # the climbing one, said under the archive's name
    data = found[f"{path}!abs/data.csv"]
    assert not isinstance(data, Exception) and data.kind == "dataset"
    assert "from an archive with entries that point outside it ('/abs/data.csv')" in data.suspect
    assert infer(data, load_catalog(REPO_SCHEMAS)).confidence < 0.90
