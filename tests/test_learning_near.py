"""Lessons compared with a file are only those sharing a word or a column with it
(daemon/inference/learning.py): the others can never be SIMILAR."""

from __future__ import annotations

import random

from daemon.inference.learning import SIMILAR, UNSHARED_MAX, similarity

WORDS = [f"word{i}" for i in range(12)]
KINDS = ["markdown", "text", "pdf", "dataset", "code"]


def _features(rnd: random.Random, words: list[str]) -> dict[str, object]:
    return {
        "kind": rnd.choice(KINDS),
        "ext": rnd.choice([".md", ".csv"]),
        "format": rnd.choice(["csv", "text/markdown"]),
        "words": rnd.sample(words, rnd.randint(0, len(words))),
        "title": rnd.sample(WORDS, rnd.randint(0, 4)),  # titles may share: they do not make a lesson near
        "columns": rnd.sample(words, rnd.randint(0, 3)) if rnd.random() < 0.5 else [],
    }


def test_files_sharing_no_word_or_column_are_never_similar() -> None:
    assert UNSHARED_MAX < SIMILAR
    rnd = random.Random(5)
    for _ in range(5000):
        a = _features(rnd, WORDS[:6])
        b = _features(rnd, WORDS[6:])
        a["kind"], a["ext"], a["format"] = b["kind"], b["ext"], b["format"]  # every bonus
        a["title"] = b["title"]
        assert similarity(a, b) <= UNSHARED_MAX
