"""The literal text every match of a regular expression holds, read from the pattern itself.

A pattern such as ``\\bINC-?\\d{2,}\\b`` cannot match a text without "INC" in it; a test for the
word with ``in`` costs a fraction of a search by the regex engine, which tries a pattern that
opens with ``\\b`` at every position. :mod:`.patterns` asks before it searches.
"""

from __future__ import annotations

import functools
import re
from re import _constants as sre  # type: ignore[attr-defined]  # the parser's opcodes: no public API reads a pattern
from re import _parser  # type: ignore[attr-defined]
from typing import Any

# Under IGNORECASE the regex engine also matches ı and İ to i, and ſ to s; with these mapped first,
# lower() turns every character that matches an ASCII one into that character, and changes no
# length (İ is the one character whose lower() is two).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


@functools.lru_cache(maxsize=2)  # one document's body, asked by each table's patterns
def folded(text: str) -> str:
    """``text`` as IGNORECASE needles are looked for in it."""
    return text.translate(_FOLD).lower()


def needles(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """Sets of strings of which every text ``pattern`` finds a match in holds one each (looked
    for in :func:`folded` text when it ignores case): the most telling few; none when the
    pattern names no literal text."""
    if pattern.flags & (re.LOCALE | re.VERBOSE):
        return ()
    required = _required(_parser.parse(pattern.pattern, pattern.flags), bool(pattern.flags & re.IGNORECASE))
    best = sorted(set(required), key=_telling)[:MOST]
    return tuple(tuple(sorted(need)) for need in best)


MOST = 3  # sets asked about: more rarely rule out what these did not


def holds(text: str, needs: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``text`` holds one string of each set of :func:`needles`."""
    for need in needs:  # plain loops: asked for every pattern of every file, a generator costs more
        for needle in need:
            if needle in text:
                break
        else:
            return False
    return True


def _telling(need: frozenset[str]) -> tuple[int, int, tuple[str, ...]]:
    """Longer strings, then fewer of them, tell more (the strings themselves settle ties)."""
    return -min(map(len, need)), len(need), tuple(sorted(need))


def _required(items: Any, nocase: bool) -> list[frozenset[str]]:
    """What a sequence of the parsed pattern requires: runs of literals, and its parts' needs."""
    out: list[frozenset[str]] = []
    run = ""
    for op, av in items:
        if op == sre.LITERAL and (not nocase or av < 128):
            run += chr(av).lower() if nocase else chr(av)
            continue
        if run:
            out.append(frozenset([run]))
            run = ""
        if op == sre.SUBPATTERN and not av[1] and not av[2]:  # a group that changes no flag
            out += _required(av[3], nocase)
        elif op in _REPEATS and av[0] >= 1:
            out += _required(av[2], nocase)
        elif op == sre.ASSERT:  # a lookahead or lookbehind that must match: its text is there too
            out += _required(av[1], nocase)
        elif op == sre.BRANCH:
            out += _either(av[1], nocase)
        elif op == sre.IN and all(o == sre.LITERAL and (not nocase or a < 128) for o, a in av):
            out.append(frozenset(chr(a).lower() if nocase else chr(a) for _, a in av))
    if run:
        out.append(frozenset([run]))
    return out


def _either(branches: list[Any], nocase: bool) -> list[frozenset[str]]:
    """What one of the alternatives requires, whichever matches: the most telling need of each."""
    out: set[str] = set()
    for branch in branches:
        required = _required(branch, nocase)
        if not required:
            return []
        best = min(required, key=_telling)
        out |= best
    return [frozenset(out)]
