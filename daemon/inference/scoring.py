"""Scoring every table against one extraction, with the evidence behind each score."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field

from ..extract.types import Extraction
from .lexicon import Lexicon, norm_column, tokens
from .patterns import pattern_hits

BODY_CHARS = 60_000  # of the text scored: enough for any document's vocabulary
DOCUMENTS = "documents"
GENERIC_KIND_TABLES = {"code": "codebases", "media": "media", "dataset": "datasets"}

# Dataset columns that mean the same as a hint column (normalised names).
COLUMN_SYNONYMS = {
    "campaign_name": "campaign",
    "vendor_name": "vendor",
    "supplier_name": "supplier",
    "partner_name": "partner",
    "sev": "severity",
    "severity_level": "severity",
    "cost": "spend",
    "amount_spent": "spend",
    "click_through_rate": "ctr",
    "conv": "conversions",
    "agent": "agent_name",
    "name": "",
}


@dataclass
class Score:
    table: str
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)  # keyword phrases found
    column_matches: list[str] = field(default_factory=list)
    distinct: set[str] = field(default_factory=set)  # different keywords and patterns seen


@dataclass
class Scored:
    scores: dict[str, Score]
    words: int
    title_words: list[str]

    def ranked(self) -> list[Score]:
        return sorted(self.scores.values(), key=lambda s: (-s.score, s.table))


def _sat(count: int) -> float:
    return 1.0 + math.log(count) if count > 0 else 0.0


def _filename_words(path: str) -> list[str]:
    stem = os.path.splitext(os.path.basename(path))[0]
    return tokens(re.sub(r"[_\-.]+", " ", stem))


def score_text(ex: Extraction, catalog_names: list[str], lex: Lexicon) -> Scored:
    """Keyword, title, heading, filename and pattern evidence for every table that takes text."""
    body = ex.text[:BODY_CHARS]
    words = tokens(body)
    title_words = tokens(ex.title or "")
    headings = [h[1] if isinstance(h, (list, tuple)) else str(h) for h in ex.metadata.get("headings", [])[:60]]
    heading_text = " \n ".join(headings)
    # Each phrase found, filed under the tables that own it: a table then reads only its own hits.
    found_by_table: dict[str, list[tuple[str, list[tuple[tuple[str, ...], int, float]]]]] = {}
    for where, hits in (
        ("text", lex.hits(words)),
        ("title", lex.hits(title_words)),
        ("headings", lex.hits(tokens(heading_text))),
        ("file name", lex.hits(_filename_words(ex.path))),
    ):
        per_table: dict[str, list[tuple[tuple[str, ...], int, float]]] = {}
        for phrase, count in hits.items():
            for table, w in lex.phrases[phrase].items():
                per_table.setdefault(table, []).append((phrase, count, w))
        for table, found_here in per_table.items():
            found_by_table.setdefault(table, []).append((where, found_here))
    sections_by_table: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(lex.section_hits(headings)):
        for table in lex.sections[phrase]:
            sections_by_table.setdefault(table, []).append(phrase)
    scores: dict[str, Score] = {}
    # Long documents meet stray keywords by chance: damp body evidence by length.
    length_damp = 1.0 / (1.0 + max(0.0, math.log10(max(len(words), 1) / 1500.0)))
    factors = {"text": length_damp, "title": 3.0, "headings": 1.2, "file name": 2.0}
    for name in catalog_names:
        kinds = lex.kinds.get(name, set())
        if ex.kind not in kinds and not (ex.kind == "text" and "markdown" in kinds):
            continue
        s = Score(name)
        for where, found_here in found_by_table.get(name, ()):
            found = []
            for phrase, count, w in found_here:
                s.score += w * factors[where] * (_sat(count) if where == "text" else 1.0)
                found.append(lex.names.get(phrase, " ".join(phrase)))
                s.distinct.add(found[-1])
            s.evidence.append(f"{where}: " + ", ".join(sorted(found)[:8]))
            if where == "text":
                s.matched = found
        sections = sections_by_table.get(name, [])
        for phrase in sections:
            s.score += lex.sections[phrase][name]
            s.distinct.add(lex.names.get(phrase, " ".join(phrase)))  # the same phrase as a keyword: one signal
        if sections:
            s.evidence.append("sections: " + ", ".join(lex.names.get(p, " ".join(p)) for p in sections[:8]))
        for what, weight, count in pattern_hits(name, body):
            s.score += weight * min(_sat(count), 3.0)
            s.evidence.append(f"{what} (x{count})")
            s.distinct.add(what)
        scores[name] = s
    return Scored(scores, len(words), title_words)


def score_columns(
    columns: list[str], catalog_names: list[str], lex: Lexicon, field_names: dict[str, set[str]]
) -> dict[str, Score]:
    """How well a dataset's columns match each table's column hints and field names."""
    cols = [norm_column(c) for c in columns]
    out: dict[str, Score] = {}
    for name in catalog_names:
        hints = lex.columns.get(name, set())
        if not hints or "dataset" not in lex.kinds.get(name, set()):
            continue
        fields = field_names.get(name, set())
        matched = []
        for c in cols:
            alias = COLUMN_SYNONYMS.get(c)
            if c in hints or c in fields or (alias and (alias in hints or alias in fields)):
                matched.append(c)
        if matched:
            s = Score(name, column_matches=matched)
            s.score = len(matched) + len(matched) / max(len(cols), 1)
            s.evidence.append(f"columns {', '.join(matched[:10])} match ({len(matched)} of {len(cols)})")
            out[name] = s
    return out


def describe(score: Score) -> str:
    return "; ".join(score.evidence) if score.evidence else "no specific evidence"
