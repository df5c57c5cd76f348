"""Rich Text Format (.rtf: TextEdit's and WordPad's own): its text without the markup.

An RTF file is text: groups in braces, control words (``\\par``, ``\\b``), escaped bytes
(``\\'e9``) and Unicode (``\\u8364?``). The text is what is left outside the destinations
that hold no prose (font and colour tables, style sheets, pictures, embedded objects); the
document's title and author come from its ``\\info`` group.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\\([a-zA-Z]+)(-?\d+)? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|([^\\{}\r\n]+)|[\r\n]+")
# Destinations whose text is not the document's.
_SKIP = frozenset(
    {
        "fonttbl", "colortbl", "stylesheet", "listtable", "listoverridetable", "revtbl", "rsidtbl", "pict",
        "object", "objdata", "themedata", "colorschememapping", "datastore", "latentstyles", "generator",
        "header", "footer", "headerl", "headerr", "headerf", "footerl", "footerr", "footerf", "xmlnstbl",
        "fldinst", "filetbl", "pgdsctbl", "operator", "mmathPr", "nonshppict", "bkmkstart", "bkmkend",
    }
)  # fmt: skip
_INFO = frozenset({"title", "author"})  # the info group's fields a document is known by
_BREAKS = {"par": "\n", "line": "\n", "sect": "\n\n", "page": "\n\n", "row": "\n", "cell": "\t", "tab": "\t"}
_CHARS = {"emdash": "—", "endash": "–", "bullet": "•", "lquote": "‘", "rquote": "’", "ldblquote": "“", "rdblquote": "”"}
MAX_DEPTH = 200  # groups deeper than this are a hostile file's, not an editor's


def looks_like_rtf(head: str) -> bool:
    return head.lstrip("\ufeff").startswith("{\\rtf")


def rtf_text(source: str) -> tuple[str, dict[str, str]]:
    """(the text, the info group's title and author where they say something)."""
    out: list[str] = []
    info: dict[str, list[str]] = {}
    stack: list[tuple[bool, str | None, int]] = []  # per group: skipped?, info field, \uc count
    skip, field, uc, pending_skip = False, None, 1, 0
    encoding = "cp1252"
    starred = False
    for m in _TOKEN.finditer(source):
        word, arg, hexbyte, symbol, brace, text = m.groups()
        if brace == "{":
            if len(stack) >= MAX_DEPTH:
                break
            stack.append((skip, field, uc))
            starred = False
            continue
        if brace == "}":
            if stack:
                skip, field, uc = stack.pop()
            continue
        if pending_skip and (text or hexbyte):  # the fallback characters after a \u
            if text:
                pending_skip -= 1
                text = text[1:]
                if not text:
                    continue
            else:
                pending_skip -= 1
                continue
        if word is not None:
            if word in _SKIP or starred:
                skip = True
            elif word == "info":
                skip = True  # its own fields are read below, not as body text
            elif word in _INFO and stack and stack[-1][0]:
                field = word
            elif word == "ansicpg" and arg:
                encoding = f"cp{arg}"
            elif word == "uc" and arg:
                uc = int(arg)
            elif word == "u" and arg:
                n = int(arg)
                _emit(chr(n % 65536), skip, field, out, info)  # negative: the upper half of 16 bits
                pending_skip = uc
            elif word in _BREAKS:
                _emit(_BREAKS[word], skip, field, out, info)
            elif word in _CHARS:
                _emit(_CHARS[word], skip, field, out, info)
            starred = False
        elif symbol is not None:
            if symbol == "*":
                starred = True  # an optional destination: unknown ones are skipped
            elif symbol in "\\{}":
                _emit(symbol, skip, field, out, info)
            elif symbol == "~":
                _emit("\u00a0", skip, field, out, info)
            elif symbol == "_":  # a non-breaking hyphen (\- is an optional one: nothing)
                _emit("-", skip, field, out, info)
            elif symbol in "\n\r":
                _emit("\n", skip, field, out, info)
        elif hexbyte is not None:
            try:
                char = bytes([int(hexbyte, 16)]).decode(encoding)
            except (LookupError, UnicodeDecodeError):
                char = bytes([int(hexbyte, 16)]).decode("cp1252", errors="replace")
            _emit(char, skip, field, out, info)
        elif text is not None:
            _emit(text, skip, field, out, info)
    body = re.sub(r"[ \t]+\n", "\n", _paired("".join(out)))
    said = {k: _paired("".join(v)).strip()[:500] for k, v in info.items()}
    return re.sub(r"\n{3,}", "\n\n", body).strip(), {k: v for k, v in said.items() if v}


def _paired(text: str) -> str:
    """Characters past 16 bits come as two \\u halves (an emoji): joined into one; a half
    left alone becomes U+FFFD (it could not be stored as UTF-8)."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _emit(text: str, skip: bool, field: str | None, out: list[str], info: dict[str, list[str]]) -> None:
    if field is not None:
        info.setdefault(field, []).append(text)
    elif not skip:
        out.append(text)
