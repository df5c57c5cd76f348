"""Plain text, markdown and HTML: title, headings, word and line counts, an excerpt."""

from __future__ import annotations

import html
import re
from typing import Any

from .markup import TAG_RE, first_element, headings, tag_text, without_scripts

_ATX_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RST_UNDERLINE_RE = re.compile(r"^([=\-~^\"'`#*+<>:._])\1{2,}[ \t]*$")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*\n", re.S)
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_INLINE_MD_RE = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")

MAX_TITLE = 300
MAX_HEADINGS = 60


def _clean_inline(s: str) -> str:
    s = s[: MAX_TITLE * 4]  # a title is short; a 60 MB line must not reach the regex whole
    s = _INLINE_MD_RE.sub(lambda m: m.group(1) or "", s)
    return " ".join(s.split())[:MAX_TITLE]


def markdown_structure(text: str) -> dict[str, Any]:
    """Title (front matter title, first H1 ATX or setext heading, else first heading) and
    headings ``[(level, text), ...]`` of a markdown or reStructuredText file."""
    headings: list[tuple[int, str]] = []
    front: dict[str, str] = {}
    body = text.lstrip("\ufeff")
    m = _FRONT_MATTER_RE.match(body)
    if m:
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() and not key.startswith((" ", "\t")):
                front[key.strip().lower()] = value.strip().strip("'\"")
        body = body[m.end() :]
    lines = body.splitlines()
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        atx = _ATX_RE.match(line)
        if atx:
            headings.append((len(atx.group(1)), _clean_inline(atx.group(2))))
            continue
        if i + 1 < len(lines) and line.strip() and not line.startswith((" ", "\t")):
            under = lines[i + 1]
            # A lone "---" under a line of text is a setext H2 only when it is not a list item.
            if _SETEXT_RE.match(under) and len(under.strip()) >= 2 and not re.match(r"^\s*([-*+]|\d+\.)\s", line):
                headings.append((1 if under.strip()[0] == "=" else 2, _clean_inline(line)))
                continue
            if (
                _RST_UNDERLINE_RE.match(under)
                and len(under.rstrip()) >= len(line.rstrip())
                and under.strip()[0] not in "=-"
            ):
                headings.append((2, _clean_inline(line)))
    title = front.get("title") or None
    if not title:
        h1 = [t for level, t in headings if level == 1 and t]
        title = h1[0] if h1 else next((t for _, t in headings if t), None)
    if not title:
        title = first_line(body)
    return {"title": title, "headings": headings[:MAX_HEADINGS], "front_matter": front}


def first_line(text: str) -> str | None:
    """The first line with a letter or digit in it, trimmed, as a fallback title."""
    for line in text.lstrip("\ufeff").splitlines()[:200]:
        cleaned = _clean_inline(line.strip(" \t#=-*>|"))
        if re.search(r"\w", cleaned):
            return cleaned
    return None


def text_structure(text: str) -> dict[str, Any]:
    """Title and headings of plain text: the first line, and lines that look like headings
    (numbered sections, ALL CAPS lines, lines followed by an underline)."""
    headings: list[tuple[int, str]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines[:5000]):
        s = line.strip()
        if not s or len(s) > 80:
            continue
        if i + 1 < len(lines) and _SETEXT_RE.match(lines[i + 1]) and len(lines[i + 1].strip()) >= 3:
            headings.append((1, _clean_inline(s)))
        elif re.match(r"^(\d+(\.\d+)*\.?|[A-Z]\.)\s+[A-Z][\w ,&/()'-]{2,60}$", s) and not s.endswith("."):
            headings.append((2, _clean_inline(s)))
        elif s.isupper() and len(s) > 3 and re.search(r"[A-Z]{3}", s):
            headings.append((2, s.title()))
        elif re.match(r"^[A-Z][\w /&()-]{2,50}:$", s):
            headings.append((3, s[:-1]))
    return {"title": first_line(text), "headings": headings[:MAX_HEADINGS]}


def html_to_text(source: str) -> tuple[str, str | None, list[tuple[int, str]]]:
    """Visible text, ``<title>`` and h1-h3 headings of an HTML page (in linear time: see markup.py)."""
    inner = first_element(source, "title")
    title = tag_text(inner)[:MAX_TITLE] if inner is not None else None
    found = headings(source, MAX_HEADINGS)
    body = without_scripts(source)
    body = re.sub(r"<(br|p|div|li|tr|h[1-6])\b[^<>]*>", "\n", body, flags=re.I)
    text = html.unescape(TAG_RE.sub(" ", body))
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not title:
        title = next((h for _, h in found if h), None)
    return text, (title or None), found
