"""Serializing rows for export: CSV (lists and objects as JSON text), JSON, JSON Lines."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from collections.abc import Iterable

import msgspec

from ..catalog import TableSpec
from .models import MemoryModel
from .rows import field_types, list_rows

PAGE = 1000


def iter_rows(model: type[MemoryModel], spec: TableSpec, limit: int, **query: Any) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``limit`` rows through keyset pages; and whether more matched."""
    out: list[dict[str, Any]] = []
    cursor = None
    while len(out) < limit:
        rows, cursor, _ = list_rows(model, spec, limit=min(PAGE, limit - len(out)), cursor=cursor, count=False, **query)
        out += rows
        if cursor is None:
            return out, False
    return out, cursor is not None


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (list, dict)):
        return msgspec.json.encode(value).decode()
    return value


def render(rows: Iterable[dict[str, Any]], spec: TableSpec, fmt: str) -> str:
    """Every row at once (the non-streaming rows.export)."""
    return render_chunk(list(rows), spec, fmt, first=True, last=True)


def render_chunk(rows: list[dict[str, Any]], spec: TableSpec, fmt: str, *, first: bool, last: bool) -> str:
    """One piece of an export; the pieces in order make the whole file: the CSV header comes
    with the first, a JSON array's brackets with the first and the last. Every format ends with
    a newline, as a text file does (and `cat`, `wc -l` and shells expect)."""
    if fmt == "json":
        body = ",".join(msgspec.json.encode(r, enc_hook=str).decode() for r in rows)
        lead = "[" if first else ("," if body else "")
        return lead + body + ("]\n" if last else "")
    if fmt == "jsonl":
        return "".join(msgspec.json.encode(r, enc_hook=str).decode() + "\n" for r in rows)
    buffer = io.StringIO()
    columns = list(field_types(spec))
    writer = csv.writer(buffer, lineterminator="\n")
    if first:
        writer.writerow(columns)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return buffer.getvalue()
