"""A table's rows for export, in the formats of :mod:`..export_format`."""

from __future__ import annotations

from typing import Any
from collections.abc import Iterable

from .. import export_format
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


def render(rows: Iterable[dict[str, Any]], spec: TableSpec, fmt: str) -> str:
    """Every row at once (the non-streaming rows.export)."""
    return render_chunk(list(rows), spec, fmt, first=True, last=True)


def render_chunk(rows: list[dict[str, Any]], spec: TableSpec, fmt: str, *, first: bool, last: bool) -> str:
    """One piece of a table's export, with every column of the table (see :mod:`..export_format`)."""
    return export_format.render_chunk(list(field_types(spec)), rows, fmt, first=first, last=last)
