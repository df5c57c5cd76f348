"""What inference returns for one extraction."""

from __future__ import annotations

from typing import Any

import msgspec


class Inference(msgspec.Struct, kw_only=True):
    table: str  # catalog name, e.g. "documents"
    confidence: float  # 0..1; > 0.90 is inserted with no person looking
    fields: dict[str, Any]
    reasoning: str  # names the evidence
    # A dataset routed to a domain table: every record mapped to that table's fields
    # (``fields`` holds the first). None for everything else.
    rows: list[dict[str, Any]] | None = None
    # How sure each field is, 0..1, by where it came from (a mapped key, a labelled value,
    # a section, a pattern, the title or the file name).
    field_confidence: dict[str, float] = {}
    # A structured file: which key or column filled which field.
    mapping: dict[str, str] | None = None
