"""``clarity`` sub-commands: status, backup, restore (operations) and export, ingest (long work through
the daemon); one module each."""

from __future__ import annotations

from typing import Any

from . import backup, status


def add_parsers(sub: Any) -> None:
    """Register the operations sub-commands on the ``clarity`` parser."""
    status.add_parser(sub)
    backup.add_parsers(sub)
