"""Facts about a file that make any routing of it unsure, whatever its content says.

A file that is not what it claims (a CSV with a header and no rows, rows of different
widths, an image whose header claims impossible dimensions, a document with no words)
must wait for a person: these caps apply after routing, so no rule can auto-approve it.
"""

from __future__ import annotations

import re

from ..extract.types import Extraction

EMPTY_CAP = 0.5  # nothing to file: a header with no rows, a document with no words
RAGGED_CAP = 0.8  # a fair guess at the table, but the rows may be misread
IMPOSSIBLE_CAP = 0.6  # the header lies about the file: a person should look
RAGGED_SHARE = 0.9  # rows of the header's width, below which a delimited file is ragged
MAX_SIDE = 65_535  # the largest side PNG/JPEG/GIF/WebP encoders write in practice
MAX_PIXELS = 1_000_000_000  # a gigapixel: larger headers are forged or broken
MIN_WORDS = 3  # a document of fewer words says nothing about where it belongs
SUSPECT_CAP = 0.8  # extraction found the file is not quite what it claims (Extraction.suspect)
# Headings with (almost) nothing under them: a template or an outline. Its headings say what kind
# of document it would be, but nothing has been filed in it yet.
TEMPLATE_CAP = 0.8
TEMPLATE_HEADINGS = 3
TEMPLATE_BODY_WORDS = 20
TEMPLATE_MAX_WORDS = 400  # longer than this is no empty template
# Text that tells whoever classifies it to drop their instructions AND what to decide (a table, a
# confidence, an approval): a file written to steer an automatic filer is hostile whatever else it
# says. Either alone is ordinary (a red-team report quotes "ignore previous instructions"; a policy
# describes auto-approval).
STEERING_CAP = 0.5
STEERING_CHARS = 20_000
_DROP_INSTRUCTIONS_RE = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}?\b(instructions?|rules|prompts?|polic(y|ies)|guidelines)\b",
    re.I,
)
_DICTATE_RE = re.compile(
    r"\bconfidence\s*(of|to|=|:|at)?\s*(0?\.\d+|1(\.0+)?|100\s*%)|\bauto-?approv\w*|"
    r"\bapprove (this|it|the) (file|document|row)|"
    r"\b(classify|file|route|put|store|insert) (this|it|the (file|document))( \w+)? (as|in|into|under|to)\b",
    re.I,
)


def doubt(ex: Extraction) -> tuple[float, str] | None:
    """(cap, reasons) when the file is not what it claims, else None: the lowest cap of
    every doubt that applies, with all their reasons."""
    doubts = _doubts(ex)
    if not doubts:
        return None
    return min(cap for cap, _ in doubts), "; ".join(reason for _, reason in doubts)


def _doubts(ex: Extraction) -> list[tuple[float, str]]:
    m = ex.metadata
    found: list[tuple[float, str]] = []
    if ex.suspect:  # what extraction noticed (truncated data, mixed encodings, ragged rows...)
        found.append((SUSPECT_CAP, "suspect: " + "; ".join(ex.suspect)))
    if ex.kind == "dataset":
        if not m.get("row_count"):
            found.append((EMPTY_CAP, "no records: only a header or an empty list"))
        consistent = m.get("consistent_rows")
        if isinstance(consistent, (int, float)) and consistent < RAGGED_SHARE:
            found.append((RAGGED_CAP, f"ragged: only {consistent:.0%} of the rows have the header's width"))
    elif ex.kind == "media":
        w, h = m.get("width"), m.get("height")
        if isinstance(w, int) and isinstance(h, int) and (max(w, h) > MAX_SIDE or w * h > MAX_PIXELS or min(w, h) <= 0):
            found.append((IMPOSSIBLE_CAP, f"the header claims {w}x{h} pixels, which no real image has"))
    elif ex.kind in ("text", "markdown", "pdf") and len(ex.text.split(maxsplit=MIN_WORDS)) < MIN_WORDS:
        found.append((EMPTY_CAP, "no words to read"))
    elif ex.kind in ("text", "markdown", "pdf") and _template(ex):
        found.append((TEMPLATE_CAP, "a template: headings with next to nothing under them"))
    head = ex.text[:STEERING_CHARS]
    if ex.kind != "media" and _DROP_INSTRUCTIONS_RE.search(head) and _DICTATE_RE.search(head):
        found.append((STEERING_CAP, "text that tells the classifier to drop its instructions and what to decide"))
    return found


def _template(ex: Extraction) -> bool:
    headings = [h[1] if isinstance(h, (list, tuple)) else str(h) for h in ex.metadata.get("headings", [])]
    if len(headings) < TEMPLATE_HEADINGS:
        return False
    words = ex.text.split(maxsplit=TEMPLATE_MAX_WORDS)
    if len(words) > TEMPLATE_MAX_WORDS:
        return False  # a long document: whatever its headings, there is text under them
    return len(words) - sum(len(h.split()) for h in headings) < TEMPLATE_BODY_WORDS
