"""HTML and XML scanned in linear time.

A regular expression like ``<title>(.*?)</title>`` tries again from every opening and, when
no closing follows, scans to the end each time: 300 KB of ``<title>`` took over a minute.
Here each closing is looked for once, from where the last search stopped, and a tag ends
at the next ``<`` as well as at ``>``, so a hostile file costs time in proportion to its size.
"""

from __future__ import annotations

import html
import re

# A tag: one scan per '<', since it cannot run past the next one.
TAG_RE = re.compile(r"<[^<>]*>")
_OPEN_LIMIT = 2000  # characters an opening tag's attributes may take


def tag_text(fragment: str) -> str:
    """The text of a fragment of markup: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(TAG_RE.sub(" ", fragment)).split())


def _opening(name: str) -> re.Pattern[str]:
    return re.compile(rf"<{name}\b[^<>]{{0,{_OPEN_LIMIT}}}>", re.I)


def first_element(source: str, name: str) -> str | None:
    """The inner markup of the first ``<name ...>...</name>`` (any namespace prefix), or None."""
    opening = re.compile(rf"<(?:[\w.-]+:)?{name}\b[^<>]{{0,{_OPEN_LIMIT}}}>", re.I)
    m = opening.search(source)
    while m is not None and source[m.end() - 2 : m.end()] == "/>":
        m = opening.search(source, m.end())  # <title/>: empty, look at the next
    if m is None:
        return None
    close = re.compile(rf"</(?:[\w.-]+:)?{name}\s*>", re.I).search(source, m.end())
    return source[m.end() : close.start()] if close is not None else None


def headings(source: str, limit: int) -> list[tuple[int, str]]:
    """h1-h3 elements of an HTML page, in order: (level, text)."""
    found: list[tuple[int, str]] = []
    unclosed_after: dict[str, int] = {}  # level -> a position after which it is never closed
    for m in re.finditer(rf"<h([1-3])\b[^<>]{{0,{_OPEN_LIMIT}}}>", source, re.I):
        level = m.group(1)
        if m.end() >= unclosed_after.get(level, len(source) + 1):
            continue
        close = re.compile(rf"</h{level}\s*>", re.I).search(source, m.end())
        if close is None:
            unclosed_after[level] = m.end()
            continue
        found.append((int(level), tag_text(source[m.end() : close.start()])))
        if len(found) >= limit:
            break
    return found


def strip_blocks(source: str, opening: re.Pattern[str], closing: str) -> str:
    """``source`` without the blocks from ``opening`` to the ``closing`` after it (a regex,
    case ignored); an unclosed block runs to the end, as browsers read it."""
    out: list[str] = []
    pos = 0
    closer = re.compile(closing, re.I | re.S)
    while (m := opening.search(source, pos)) is not None:
        out.append(source[pos : m.start()])
        end = closer.search(source, m.end())
        if end is None:
            return " ".join(out)
        out.append(" ")
        pos = end.end()
    out.append(source[pos:])
    return "".join(out)


_SCRIPT_OPEN = re.compile(rf"<(script|style)\b[^<>]{{0,{_OPEN_LIMIT}}}>", re.I)


def without_scripts(source: str) -> str:
    """HTML without its ``<script>`` and ``<style>`` blocks."""
    out: list[str] = []
    pos = 0
    while (m := _SCRIPT_OPEN.search(source, pos)) is not None:
        out.append(source[pos : m.start()])
        end = re.compile(rf"</{m.group(1)}\s*>", re.I).search(source, m.end())
        if end is None:
            return " ".join(out)
        out.append(" ")
        pos = end.end()
    out.append(source[pos:])
    return "".join(out)


_PI = re.compile(r"<\?")
_COMMENT = re.compile(r"<!--")
_DOCTYPE = re.compile(r"<!DOCTYPE\b", re.I)


def xml_body(source: str) -> str:
    """XML without its declaration, processing instructions, comments and doctype; CDATA
    sections keep their text."""
    body = strip_blocks(source, _COMMENT, r"-->")
    body = strip_blocks(body, _PI, r"\?>")
    m = _DOCTYPE.search(body)
    if m is not None:  # one doctype at most; an internal subset [...] may hold '>'
        gt = body.find(">", m.end())
        bracket = body.find("[", m.end(), gt if gt >= 0 else len(body))
        end = re.compile(r"\]\s*>").search(body, bracket) if bracket >= 0 else None
        stop = end.end() if end is not None else (gt + 1 if gt >= 0 else len(body))
        body = body[: m.start()] + " " + body[stop:]
    return body.replace("<![CDATA[", " ").replace("]]>", " ")
