"""Logs: journal priority prefixes under systemd, plain lines otherwise."""

from __future__ import annotations

import logging

from daemon.logs import JournalFormatter, SafeFormatter

from ingest_helpers import wait_until


def record(level: int, msg: str, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            import sys

            exc_info = sys.exc_info()
    return logging.LogRecord("clarityd", level, __file__, 1, msg, None, exc_info)


def test_priority_prefix_on_every_line():
    f = JournalFormatter("%(name)s: %(message)s")
    assert f.format(record(logging.WARNING, "careful")) == "<4>clarityd: careful"
    assert f.format(record(logging.INFO, "hello")).startswith("<6>")
    lines = f.format(record(logging.ERROR, "failed", exc=True)).splitlines()
    assert len(lines) > 2 and all(line.startswith("<3>") for line in lines)


def test_control_characters_are_escaped_and_tracebacks_indented():
    f = SafeFormatter("%(levelname)s %(name)s: %(message)s")
    line = f.format(logging.LogRecord("clarityd", logging.INFO, __file__, 1, "read %s", ("a\nb\r\x1b[2J\u2028",), None))
    assert line == "INFO clarityd: read a\\nb\\r\\x1b[2J\\u2028"
    err = record(logging.ERROR, "failed", exc=True)
    err.exc_info = (ValueError, ValueError("x\nINFO clarityd: forged"), None)
    lines = f.format(err).split("\n")
    assert lines[0] == "ERROR clarityd: failed" and all(line.startswith("    ") for line in lines[1:])


def test_a_file_name_cannot_forge_a_log_line(make_daemon):
    """A file dropped with a newline and a fake record in its name: the log shows it escaped."""
    d = make_daemon(config={"ingest": {"settle_s": 0.2}})
    forged = "1999-01-01 00:00:00,000 WARNING clarityd.governance: FORGED"
    name = f"evil\n{forged}.md"
    (d.state_dir / "inbox" / name).write_bytes(b"")  # empty: it fails, and the failure names the file
    with d.client() as c:
        wait_until(lambda: c.ingest.status().counts["failed"] == 1)
    log = d.log()
    assert "evil\\n1999-01-01" in log
    assert not any(line.startswith("1999-01-01") for line in log.splitlines())
