"""Inference: which table an extraction belongs in, its fields, and how sure we are.

Deterministic and local: the catalog's hints (kinds, extensions, keywords, columns), a few
patterns, and what operators taught the :class:`~daemon.inference.learning.Learner`.
A confidence above 0.90 means the proposal is applied with no person looking, so the
rules below only go that high on evidence that has not been wrong on the labelled corpus.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..catalog import TableSpec
from ..extract.types import Extraction
from .build import build_fields
from .lexicon import lexicon_for
from .scoring import DOCUMENTS, GENERIC_KIND_TABLES, Score, describe, score_columns, score_text
from .types import Inference

if TYPE_CHECKING:
    from .learning import Learner

__all__ = ["Inference", "infer"]

# Document routing: a domain table needs this much evidence to beat `documents`...
DOMAIN_MIN_SCORE = 3.0
# ...and to be auto-approved, this much, with the runner-up this far behind.
DOMAIN_SURE_SCORE = 9.0
DOMAIN_SURE_RATIO = 2.2
DOMAIN_SURE_DISTINCT = 4  # different keywords or patterns behind a sure domain routing
GENERAL_WEIGHT = 1.0  # how much general-document evidence a domain table must beat
SUSPECT_MAX_CONFIDENCE = 0.8  # a file whose extraction is suspect (Extraction.suspect) never reaches 0.90


def _fallback_table(kind: str, catalog: dict[str, TableSpec]) -> str:
    preferred = GENERIC_KIND_TABLES.get(kind, DOCUMENTS)
    if preferred in catalog:
        return preferred
    for name, spec in catalog.items():
        if kind in spec.hints.kinds:
            return name
    return DOCUMENTS if DOCUMENTS in catalog else next(iter(catalog))


def _document_choice(ex: Extraction, catalog: dict[str, TableSpec]) -> tuple[str, float, list[str], dict[str, float]]:
    lex = lexicon_for(catalog)
    scored = score_text(ex, list(catalog), lex)
    general = scored.scores.get(DOCUMENTS, Score(DOCUMENTS))
    domain = [s for s in scored.ranked() if s.table != DOCUMENTS]
    top = domain[0] if domain else Score(DOCUMENTS)
    second = domain[1].score if len(domain) > 1 else 0.0
    scores = {s.table: s.score for s in domain[:5]}
    reasons: list[str] = []
    # A domain table must beat the evidence that this is a general document (a licence, a
    # README, a manual) as well as the bar every domain table has to clear.
    bar = max(DOMAIN_MIN_SCORE, GENERAL_WEIGHT * general.score)
    if top.score < bar or top.table == DOCUMENTS or len(top.distinct) < 2:
        table = _fallback_table(ex.kind, catalog)
        # Sure it is a general document when no domain table has a real claim on it.
        if (top.score < 1.0 and general.score >= 1.0) or (top.score < 2.0 and general.score >= 2.0):
            conf = 0.93  # it says what it is (a README, a licence, a manual) and nothing else
        elif top.score < 2.0 or top.score < 0.5 * bar:
            conf = 0.86
        else:
            conf = 0.72
        claim = f" - {describe(top)}" if top.score >= 1.0 else ""
        reasons.append(f"a general document: no domain table has enough evidence (best: {top.table} "
                       f"{top.score:.1f}{claim})")
        if general.score > 0:
            reasons.append(f"general-document evidence {general.score:.1f} ({describe(general)})")
        return table, conf, reasons, scores
    ratio = top.score / max(second, 1.0, GENERAL_WEIGHT * general.score)
    # A logistic in the evidence and the margin over the runner-up, capped below 0.90
    # unless the evidence is strong, varied and well ahead (the bars that held on the corpus).
    z = 0.35 * (top.score - DOMAIN_MIN_SCORE) + 1.4 * math.log(ratio)
    conf = 0.5 + 0.45 * (1 - math.exp(-max(z, 0.0)))
    sure = top.score >= DOMAIN_SURE_SCORE and ratio >= DOMAIN_SURE_RATIO and len(top.distinct) >= DOMAIN_SURE_DISTINCT
    conf = max(conf, 0.91) if sure else min(conf, 0.88)
    reasons.append(f"{top.table} scored {top.score:.1f} ({describe(top)})")
    if len(domain) > 1 and domain[1].score > 0:
        reasons.append(f"runner-up {domain[1].table} {domain[1].score:.1f}")
    return top.table, conf, reasons, scores


def _dataset_choice(ex: Extraction, catalog: dict[str, TableSpec]) -> tuple[str, float, list[str], dict[str, float]]:
    lex = lexicon_for(catalog)
    columns = ex.metadata.get("columns") or []
    field_names = {name: {f.name for f in spec.fields} for name, spec in catalog.items() if name != "datasets"}
    col_scores = score_columns(columns, [n for n in catalog if n != "datasets"], lex, field_names)
    ranked = sorted(col_scores.values(), key=lambda s: (-s.score, s.table))
    fmt = ex.metadata.get("format", "data")
    generic = _fallback_table("dataset", catalog)
    reasons = [f"{fmt} with {ex.metadata.get('row_count', 0)} rows and {len(columns)} columns"]
    scores = {s.table: s.score for s in ranked[:5]}
    if ranked:
        top = ranked[0]
        n = len(top.column_matches)
        share = n / max(len(columns), 1)
        second = len(ranked[1].column_matches) if len(ranked) > 1 else 0
        if n >= 3 and share >= 0.4 and n > second:
            if n >= 4 and share >= 0.6 and n >= second + 2:
                conf = 0.94
            else:
                conf = 0.78 if n >= 4 else 0.68
            reasons.append(f"its columns fit {top.table}: {describe(top)}")
            return top.table, conf, reasons, scores
        reasons.append(f"some columns resemble {top.table} ({', '.join(top.column_matches[:5])}), too few to route")
        conf = 0.9 if n >= 2 else 0.93
        return generic, conf, reasons, scores
    return generic, 0.95, reasons + ["no domain table's columns match"], scores


def _code_choice(ex: Extraction, catalog: dict[str, TableSpec]) -> tuple[str, float, list[str], dict[str, float]]:
    table = _fallback_table("code", catalog)
    lang = ex.metadata.get("language")
    how = ex.metadata.get("language_evidence", "unknown")
    reasons = [f"source code: {lang or 'unknown language'} (from the {how})"]
    if lang is None:
        return table, 0.7, reasons, {}
    if ex.metadata.get("syntax_ok") is False:
        reasons.append("Python that does not parse")
        return table, 0.9, reasons, {}
    conf = {"extension": 0.97, "name": 0.96, "shebang": 0.96, "content": 0.82}.get(how, 0.8)
    return table, conf, reasons, {}


def _media_choice(ex: Extraction, catalog: dict[str, TableSpec]) -> tuple[str, float, list[str], dict[str, float]]:
    table = _fallback_table("media", catalog)
    m = ex.metadata
    reasons = [f"{m.get('media_type', 'media')} in {m.get('format', '?')} format, told by its bytes"]
    known = (m.get("width") and m.get("height")) or m.get("duration_seconds")
    return table, (0.98 if known else 0.85), reasons, {}


def infer(extraction: Extraction, catalog: dict[str, TableSpec], learner: "Learner | None" = None) -> Inference:
    """Choose the table for ``extraction``, fill its fields and say how sure and why."""
    kind = extraction.kind
    if kind == "media":
        table, conf, reasons, scores = _media_choice(extraction, catalog)
    elif kind == "code":
        table, conf, reasons, scores = _code_choice(extraction, catalog)
    elif kind == "dataset":
        table, conf, reasons, scores = _dataset_choice(extraction, catalog)
    else:
        table, conf, reasons, scores = _document_choice(extraction, catalog)
    if learner is not None:
        table, conf, learned = learner.adjust(extraction, table, conf, catalog)
        if learned:
            reasons.append(learned)
    if extraction.suspect:  # not what it claims to be: a person looks before it goes in
        conf = min(conf, SUSPECT_MAX_CONFIDENCE)
        reasons.append("suspect: " + "; ".join(extraction.suspect))
    fields, rows, field_notes = build_fields(catalog[table], extraction)
    if field_notes:
        reasons.append("fields: " + ", ".join(field_notes[:12]))
    return Inference(table=table, confidence=round(min(max(conf, 0.0), 0.99), 3), fields=fields,
                     reasoning="; ".join(reasons), rows=rows)
