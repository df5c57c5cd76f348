"""Text search across memory tables (read-only SQL is in operator_sql.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..catalog import TableSpec
from .models import TEXT_TYPES, MemoryModel
from .rows import field_types, list_rows

SNIPPET = 60  # characters either side of a match


def _snippet(text: str, needle: str) -> str:
    at = text.lower().find(needle)
    start, end = max(0, at - SNIPPET), at + len(needle) + SNIPPET
    return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")


def search_tables(tables: list[tuple[str, type[MemoryModel], TableSpec]], text: str, limit: int) -> list[dict[str, Any]]:
    """Hits across ``tables``, newest first within each, at most ``limit`` in all."""
    needle = text.lower()
    hits: list[dict[str, Any]] = []
    for name, model, spec in tables:
        if len(hits) >= limit:
            break
        rows, _, _ = list_rows(model, spec, filters={}, search=text, sort="updated_at", descending=True,
                               limit=limit - len(hits), cursor=None, count=False)
        text_cols = [n for n, t in field_types(spec).items() if t in TEXT_TYPES]
        for row in rows:
            column = next((c for c in text_cols if needle in str(row.get(c) or "").lower()), "")
            title = next((str(row[c]) for c in text_cols if c != "source" and row.get(c)), f"#{row['id']}")
            updated = row["updated_at"]
            hits.append({
                "table": name, "id": row["id"], "title": title[:200], "column": column,
                "snippet": _snippet(str(row.get(column) or ""), needle) if column else "",
                "updated_at": updated.isoformat() if isinstance(updated, datetime) else str(updated),
            })
    return hits

