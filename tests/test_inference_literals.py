"""The words read from a pattern (daemon/inference/literals.py) never rule out a text it matches."""

from __future__ import annotations

import re
from pathlib import Path

from daemon.inference.literals import folded, holds, needles
from daemon.inference.patterns import TEXT_PATTERNS

CORPUS = Path(__file__).parent / "corpus"
PATTERNS = [pattern for patterns in TEXT_PATTERNS.values() for pattern, _, _ in patterns]


def _texts() -> list[str]:
    """The corpus's texts, and each in the case variants IGNORECASE still matches (upper case,
    the dotted and dotless I, the long s, the Kelvin sign)."""
    out = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix in (".md", ".txt", ".csv", ".json", ".log", ".eml", ".yaml"):
            text = path.read_text(errors="replace")[:20_000]
            out += [
                text,
                text.upper(),
                text.replace("i", "\u0130").replace("I", "\u0131"),
                text.replace("s", "\u017f").replace("k", "\u212a"),
            ]
    return out


def test_needles_hold_for_every_match() -> None:
    texts = _texts()
    assert len(texts) > 400
    matched = 0
    for pattern in PATTERNS:
        need = needles(pattern)
        for text in texts:
            if pattern.search(text):
                matched += 1
                assert holds(folded(text) if pattern.flags & re.IGNORECASE else text, need), (pattern.pattern, need)
    assert matched > 500  # the corpus does exercise the patterns


def test_needles_read_from_patterns() -> None:
    assert needles(re.compile(r"\bINC-?\d{2,}\b")) == (("INC",),)
    assert needles(re.compile(r"\b(train|val|eval)(_| )loss\b", re.I)) == (
        ("loss",),
        ("eval", "train", "val"),
        (" ", "_"),
    )
    assert needles(re.compile(r"\bSOP\b", re.I)) == (("sop",),)
    assert needles(re.compile(r"(?=\w*\*)[*\d]+ ")) == ((" ",), ("*",))  # a lookahead's text is there too
    assert needles(re.compile(r"(?i:sop)x")) == (("x",),)  # a group that changes flags says nothing
    assert needles(re.compile(r"a|b?")) == ()
    assert needles(re.compile(r"[ab]+\d", re.I)) == (("a", "b"),)
    assert needles(re.compile("[\u2605a]", re.I)) == ()  # what else IGNORECASE takes for ★ is not told
    # Most of the text patterns name words: a Python whose parser reads them otherwise shows here.
    assert sum(bool(needles(p)) for p in PATTERNS) >= len(PATTERNS) - 3
    # What IGNORECASE matches, the folded text holds.
    for text, pattern in (("\u0130NC", "inc"), ("\u0131nc", "inc"), ("\u017fop", "sop"), ("\u212aey", "key")):
        assert re.search(pattern, text, re.I) and pattern in folded(text)
