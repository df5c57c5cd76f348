"""Logging to stderr in a journal-friendly form.

Under systemd ($JOURNAL_STREAM set) each line starts with a syslog priority prefix
(``<6>``) so journalctl shows levels, and carries no timestamp (the journal adds one).
"""

from __future__ import annotations

import logging
import os
import sys

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{_PRIORITY.get(record.levelno, 6)}>"
        # Each line of a traceback keeps the priority, so it is not split into info lines.
        return "\n".join(prefix + line for line in text.splitlines())


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    set_level(level)
    for noisy in ("apscheduler", "watchdog", "peewee", "tzlocal", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def set_level(level: str) -> None:
    logging.getLogger().setLevel(level.upper())
