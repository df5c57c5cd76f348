"""What inference returns for one extraction."""

from __future__ import annotations

from typing import Any

import msgspec


class Inference(msgspec.Struct, kw_only=True):
    table: str  # catalog name, e.g. "documents"
    confidence: float  # 0..1; > 0.90 is inserted with no person looking
    fields: dict[str, Any]
    reasoning: str  # names the evidence
