"""Inference: which table an extraction belongs in, its fields, and how sure we are.

Deterministic and local: the catalog's hints (kinds, extensions, keywords, columns), a few
patterns, and what operators taught the :class:`~daemon.inference.learning.Learner`.
A confidence above 0.90 means the proposal is applied with no person looking, so the
rules below only go that high on evidence that has not been wrong on the labelled corpus.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..catalog import TableSpec
from ..extract.types import Extraction
from .build import build_fields
from .doubts import doubt
from .lexicon import lexicon_for
from .scoring import DOCUMENTS, GENERIC_KIND_TABLES, Score, describe, score_text
from .shapes import did_not_parse
from .structured import FRONT_MATTER_WEIGHT, LABEL_WEIGHT, StructuredChoice, stated_fields, structured_choice
from .types import Inference

if TYPE_CHECKING:
    from .learning import Learner, Lessons

__all__ = ["Inference", "infer"]

# Document routing: a domain table needs this much evidence to beat `documents`...
DOMAIN_MIN_SCORE = 3.0
VARIED_MIN_SCORE, VARIED_DISTINCT = 2.0, 3
# ...and to be auto-approved, this much, with the runner-up this far behind.
DOMAIN_SURE_SCORE = 9.0
DOMAIN_SURE_RATIO = 2.2
DOMAIN_SURE_DISTINCT = 4  # different keywords or patterns behind a sure domain routing
VARIED_SURE_SCORE, VARIED_SURE_DISTINCT, VARIED_SURE_RATIO = 6.0, 6, 4.0
GENERAL_WEIGHT = 1.0  # how much general-document evidence a domain table must beat
# A general document: sure when it says what it is and no domain table has a claim, or when
# its general-document evidence (licence, README, manual, changelog words in its name, title
# and headings) is strong and four times any domain table's - a copyright file that mentions
# "warranty" and "vendor" is still a copyright file.
GENERAL_SURE = 0.93
GENERAL_SURE_SCORE = 6.0
GENERAL_DOMINANCE = 4.0
GENERAL_OVER_DOMAIN = 2.0
GENERAL_LIKELY = 0.86  # little domain evidence, but nothing says what the document is either
GENERAL_CONTESTED = 0.72  # some domain table has a claim, too weak to route on
# A JSON or XML document whose keys no table's fields explain: its words alone route it,
# and words of a config are no evidence to file it unseen.
UNEXPLAINED_KEYS_CAP = 0.86
# A domain routing's confidence is a logistic in its evidence over DOMAIN_MIN_SCORE and its
# margin over the runner-up (log of the ratio): 0.5 at the bar with no margin, rising towards 0.95.
DOMAIN_EVIDENCE_SLOPE = 0.35
DOMAIN_MARGIN_SLOPE = 1.4
DOMAIN_BASE = 0.5
DOMAIN_SPAN = 0.45
DOMAIN_SURE_FLOOR = 0.91  # sure (the bars above): over the default policy's 0.90, applied unseen
DOMAIN_UNSURE_CAP = 0.88  # not sure: kept under 0.90, so a person looks whatever the logistic says
# Source code: the language and how it was told. An extension or name is rarely wrong about
# the kind; content sniffing is, so it stays under 0.90.
CODE_BY_EVIDENCE = {"extension": 0.97, "name": 0.96, "shebang": 0.96, "content": 0.82}
CODE_OTHER_EVIDENCE = 0.8
CODE_UNKNOWN_LANGUAGE = 0.7  # code by its kind, but in no language we know: a person looks
CODE_UNPARSABLE = 0.9  # Python that does not parse: code still, but not above 0.90 (not unseen)
# Media are told by their bytes: with dimensions or a duration read from them, nearly certain.
MEDIA_READ = 0.98
MEDIA_UNREAD = 0.85
MAX_CONFIDENCE = 0.99  # nothing inferred is certain
# Data languages whose files are routed by their keys (daemon/inference/structured.py).
DATA_LANGUAGES = frozenset({"yaml", "toml", "json"})
UNREAD_CONFIG = 0.75  # a data file that does not parse: which config it is, only a person can say


def _fallback_table(kind: str, catalog: dict[str, TableSpec]) -> str:
    preferred = GENERIC_KIND_TABLES.get(kind, DOCUMENTS)
    if preferred in catalog:
        return preferred
    for name, spec in catalog.items():
        if kind in spec.hints.kinds:
            return name
    return DOCUMENTS if DOCUMENTS in catalog else next(iter(catalog))


def _document_choice(
    ex: Extraction,
    catalog: dict[str, TableSpec],
    front: StructuredChoice | None = None,
) -> tuple[str, float, list[str], dict[str, float]]:
    lex = lexicon_for(catalog)
    scored = score_text(ex, list(catalog), lex)
    if front is not None and front.match is not None and front.match.table in scored.scores:
        # Front matter that names a table's fields (model, temperature, max_tokens) is evidence
        # as strong as a title; each mapped key counts as a distinct piece of it.
        s = scored.scores[front.match.table]
        s.score += FRONT_MATTER_WEIGHT * front.match.strength
        s.evidence.append("front matter: " + ", ".join(f"{k}->{f}" for k, f in front.match.mapping.items()))
        s.distinct.update(f"key {k}" for k in front.match.mapping)
    for m in stated_fields(ex, catalog):
        if m.table in scored.scores:
            s = scored.scores[m.table]
            s.score += LABEL_WEIGHT * m.strength
            s.evidence.append("stated fields: " + ", ".join(f"{k}->{f or '(hint)'}" for k, f in m.mapping.items()))
            s.distinct.update(f"field {f or k}" for k, f in m.mapping.items())
    general = scored.scores.get(DOCUMENTS, Score(DOCUMENTS))
    # One phrase, however often it recurs (title, headings, file name, text), is one signal: a
    # table backed by several distinct signals outranks it ("qbr" alone does not make a partner
    # review a playbook). The single-signal table still counts as the runner-up.
    domain = sorted(
        (s for s in scored.ranked() if s.table != DOCUMENTS),
        key=lambda s: (len(s.distinct) < 2 or s.score < VARIED_MIN_SCORE, -s.score, s.table),
    )
    top = domain[0] if domain else Score(DOCUMENTS)
    second = max((s.score for s in domain[1:]), default=0.0)
    scores = {s.table: s.score for s in domain[:5]}
    reasons: list[str] = []
    # A domain table must beat the evidence that this is a general document (a licence, a
    # README, a manual) as well as the bar every domain table has to clear.
    # Three or more distinct signals of one table are a claim even when each is light (an e-mail
    # about a dashboard, Looker and MRR): a lower bar, for a proposal a person confirms.
    floor = VARIED_MIN_SCORE if len(top.distinct) >= VARIED_DISTINCT else DOMAIN_MIN_SCORE
    bar = max(floor, GENERAL_WEIGHT * general.score)
    if top.score < bar or top.table == DOCUMENTS or len(top.distinct) < 2:
        table = _fallback_table(ex.kind, catalog)
        # Sure it is a general document when no domain table has a real claim on it.
        # No domain table has even one signal, or the general evidence outweighs the best domain
        # claim two to one: 2.1 of "manual" against a domain table's 1.5 is no proof of a generic file.
        says_little_else = (top.score < 1.0 and general.score >= 1.0) or (
            general.score >= 2.0 and general.score >= GENERAL_OVER_DOMAIN * top.score
        )
        dominated = general.score >= GENERAL_SURE_SCORE and general.score >= GENERAL_DOMINANCE * top.score
        if says_little_else or dominated:
            conf = GENERAL_SURE  # it says what it is (a README, a licence, a manual) and nothing else does
        elif top.score < 2.0 or top.score < 0.5 * bar:
            conf = GENERAL_LIKELY
        else:
            conf = GENERAL_CONTESTED
        if top.table != DOCUMENTS and top.score >= 2 * max(DOMAIN_MIN_SCORE, general.score, second):
            # One phrase in the name or title and nothing else near: that table is the better guess for
            # a person to confirm, never sure.
            reasons.append(
                f"one signal leads: {top.table} {top.score:.1f} ({describe(top)}); proposed there "
                "for a person to confirm"
            )
            return top.table, GENERAL_CONTESTED, reasons, scores
        claim = f" - {describe(top)}" if top.score >= 1.0 else ""
        reasons.append(
            f"a general document: no domain table has enough evidence (best: {top.table} {top.score:.1f}{claim})"
        )
        if general.score > 0:
            reasons.append(f"general-document evidence {general.score:.1f} ({describe(general)})")
        return table, conf, reasons, scores
    ratio = top.score / max(second, 1.0, GENERAL_WEIGHT * general.score)
    # A logistic in the evidence and the margin over the runner-up, capped below 0.90
    # unless the evidence is strong, varied and well ahead (the bars that held on the corpus).
    z = DOMAIN_EVIDENCE_SLOPE * (top.score - DOMAIN_MIN_SCORE) + DOMAIN_MARGIN_SLOPE * math.log(ratio)
    conf = DOMAIN_BASE + DOMAIN_SPAN * (1 - math.exp(-max(z, 0.0)))
    sure = top.score >= DOMAIN_SURE_SCORE and ratio >= DOMAIN_SURE_RATIO and len(top.distinct) >= DOMAIN_SURE_DISTINCT
    # Or many different signals (keywords, stated fields, patterns) with nothing else near.
    sure = sure or (
        top.score >= VARIED_SURE_SCORE and len(top.distinct) >= VARIED_SURE_DISTINCT and ratio >= VARIED_SURE_RATIO
    )
    conf = max(conf, DOMAIN_SURE_FLOOR) if sure else min(conf, DOMAIN_UNSURE_CAP)
    reasons.append(f"{top.table} scored {top.score:.1f} ({describe(top)})")
    if len(domain) > 1 and domain[1].score > 0:
        reasons.append(f"runner-up {domain[1].table} {domain[1].score:.1f}")
    return top.table, conf, reasons, scores


def _code_choice(ex: Extraction, catalog: dict[str, TableSpec]) -> tuple[str, float, list[str], dict[str, float]]:
    table = _fallback_table("code", catalog)
    lang = ex.metadata.get("language")
    how = ex.metadata.get("language_evidence", "unknown")
    reasons = [f"source code: {lang or 'unknown language'} (from the {how})"]
    if lang is None:
        return table, CODE_UNKNOWN_LANGUAGE, reasons, {}
    if lang in DATA_LANGUAGES and did_not_parse(ex):
        # A YAML/TOML/JSON file that does not parse: which config it is - or whether it is one
        # (a plan typed as loose YAML) - only a person can say.
        reasons.append(f"not valid {lang}")
        return table, UNREAD_CONFIG, reasons, {}
    if ex.metadata.get("syntax_ok") is False:
        reasons.append("Python that does not parse")
        return table, CODE_UNPARSABLE, reasons, {}
    conf = CODE_BY_EVIDENCE.get(how, CODE_OTHER_EVIDENCE)
    return table, conf, reasons, {}


def _media_choice(ex: Extraction, catalog: dict[str, TableSpec]) -> tuple[str, float, list[str], dict[str, float]]:
    table = _fallback_table("media", catalog)
    m = ex.metadata
    reasons = [f"{m.get('media_type', 'media')} in {m.get('format', '?')} format, told by its bytes"]
    known = (m.get("width") and m.get("height")) or m.get("duration_seconds")
    return table, (MEDIA_READ if known else MEDIA_UNREAD), reasons, {}


def infer(extraction: Extraction, catalog: dict[str, TableSpec], learner: Learner | Lessons | None = None) -> Inference:
    """Choose the table for ``extraction``, fill its fields and say how sure and why."""
    kind = extraction.kind
    structured = structured_choice(extraction, catalog) if kind != "media" else None
    match = None
    if structured is not None and structured.table is not None and structured.shape.format != "front matter":
        table, conf, reasons, scores = structured.table, structured.confidence, structured.reasons, structured.scores
        match = structured.match
    elif kind == "media":
        table, conf, reasons, scores = _media_choice(extraction, catalog)
    elif kind == "code":
        table, conf, reasons, scores = _code_choice(extraction, catalog)
    else:
        front = structured if structured is not None and structured.shape.format == "front matter" else None
        table, conf, reasons, scores = _document_choice(extraction, catalog, front)
        if structured is not None and front is None:
            # JSON or XML whose keys settle nothing: the words decide, and are not enough to be sure.
            conf = min(conf, UNEXPLAINED_KEYS_CAP)
            reasons = structured.reasons + reasons
    if learner is not None:
        table, conf, learned = learner.adjust(extraction, table, conf, catalog)
        if learned:
            reasons.append(learned)
    doubted = doubt(extraction)
    if doubted is not None and conf > doubted[0]:
        conf = doubted[0]
        reasons.append(f"capped at {doubted[0]:.2f}: {doubted[1]}")
    if match is not None and match.table != table:
        match = None  # a lesson moved the file: the mapping was for the other table
    built = build_fields(catalog[table], extraction, match, structured.shape if structured else None)
    if built.notes:
        reasons.append("fields: " + ", ".join(built.notes[:12]))
    return Inference(
        table=table,
        confidence=round(min(max(conf, 0.0), MAX_CONFIDENCE), 3),
        fields=built.fields,
        reasoning="; ".join(reasons),
        rows=built.rows,
        field_confidence=built.confidence,
        mapping=built.mapping,
    )
