"""The export file formats, one place for their rules: csv (a header of the columns; lists and
objects as JSON text; times in UTC ISO 8601; no value as an empty cell), json (an array of
objects) and jsonl (one object per line). A file may be made in pieces, in order.

The daemon's rows.export writes with it, and so does the console when it exports the answer
of a query; like :mod:`daemon.client` it needs only the standard library and msgspec.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import msgspec


def csv_cell(value: Any) -> Any:
    """A value as its CSV cell."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (list, dict)):
        return msgspec.json.encode(value).decode()
    return value


def render_chunk(columns: list[str], rows: list[dict[str, Any]], fmt: str, *, first: bool, last: bool) -> str:
    """One piece of an export of ``rows`` (objects with ``columns``); the pieces in order make
    the whole file: the CSV header comes with the first, a JSON array's brackets with the first
    and the last. Every format ends with a newline, as a text file does (and `cat`, `wc -l` and
    shells expect)."""
    if fmt == "json":
        body = ",".join(msgspec.json.encode(r, enc_hook=str).decode() for r in rows)
        lead = "[" if first else ("," if body else "")
        return lead + body + ("]\n" if last else "")
    if fmt == "jsonl":
        return "".join(msgspec.json.encode(r, enc_hook=str).decode() + "\n" for r in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if first:
        writer.writerow(columns)
    for r in rows:
        writer.writerow([csv_cell(r.get(c)) for c in columns])
    return buffer.getvalue()
