"""Extraction + inference over paths with no daemon and no database: what ``clarity infer`` runs."""

from __future__ import annotations

from typing import Any
from collections.abc import Iterable, Iterator

from ..catalog import TableSpec, load_catalog
from ..config import REPO_SCHEMAS
from ..extract import ExtractionError, ExtractLimits, extract
from . import infer


def infer_path(path: str, catalog: dict[str, TableSpec], limits: ExtractLimits = ExtractLimits()) -> dict[str, Any]:
    """``{"path", "table", "confidence", "fields", "reasoning"}``, or ``{"path", "error"}``."""
    try:
        result = infer(extract(path, limits), catalog)
    except ExtractionError as e:
        return {"path": path, "error": str(e)}
    out = {
        "path": path,
        "table": result.table,
        "confidence": result.confidence,
        "fields": result.fields,
        "reasoning": result.reasoning,
        "field_confidence": result.field_confidence,
    }
    if result.mapping is not None:
        out["mapping"] = result.mapping
    if result.rows is not None:
        out["records"] = len(result.rows)
    return out


def infer_paths(
    paths: Iterable[str], schemas_dir: str | None = None, limits: ExtractLimits = ExtractLimits()
) -> Iterator[dict[str, Any]]:
    """One result per path, in order; a bad file gives an error entry and the rest go on."""
    catalog = load_catalog(schemas_dir or REPO_SCHEMAS)
    for path in paths:
        try:
            yield infer_path(path, catalog, limits)
        except Exception as e:  # a bug on one odd file must not lose the others' answers
            yield {"path": path, "error": f"internal error: {type(e).__name__}: {e}"}
