"""Logs: journal priority prefixes under systemd, plain lines otherwise."""

from __future__ import annotations

import logging

from daemon.logs import JournalFormatter


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
