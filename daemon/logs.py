"""Logging to stderr in a journal-friendly form, with nothing a caller sent able to forge a line.

Under systemd ($JOURNAL_STREAM set) each line starts with a syslog priority prefix
(``<6>``) so journalctl shows levels, and carries no timestamp (the journal adds one).

File names, table names and other values logged come from whoever dropped a file or made a
call: a newline in one would start what looks like a new log record. The formatter escapes
every control character in the message (``\\n`` becomes the two characters ``\\n``), and
indents the lines of a traceback, so each record starts at column 0 on exactly one line.
"""

from __future__ import annotations

import logging
import os
import sys

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPES = {
    c: _NAMED.get(chr(c), f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}")
    for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]
}
_ESCAPES_KEEPING_NEWLINES = {c: e for c, e in _ESCAPES.items() if c != ord("\n")}
CONTINUATION = "    "  # how the lines after a record's first (a traceback's) begin


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape: one line, nothing hidden."""
    return text.translate(_ESCAPES)


class SafeFormatter(logging.Formatter):
    """A Formatter whose every record is one line, plus indented traceback lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        return self._indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return self._indented(super().formatStack(stack_info))

    @staticmethod
    def _indented(text: str) -> str:
        # An exception's message may hold a caller's newline too: the traceback keeps its own
        # line breaks, and every line is indented, so none can pass for a record of its own.
        lines = text.translate(_ESCAPES_KEEPING_NEWLINES).split("\n")
        return "\n".join(CONTINUATION + line for line in lines)


class JournalFormatter(SafeFormatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{_PRIORITY.get(record.levelno, 6)}>"
        # Each line of a traceback keeps the priority, so it is not split into info lines.
        return "\n".join(prefix + line for line in text.split("\n"))


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    set_level(level)
    for noisy in ("apscheduler", "watchdog", "peewee", "tzlocal", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def set_level(level: str) -> None:
    logging.getLogger().setLevel(level.upper())
