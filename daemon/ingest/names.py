"""File names whatever their bytes: Linux names are bytes, the journal's are text.

Python gives a name that is not valid UTF-8 as a str with lone surrogates
(``os.fsdecode``'s surrogateescape); neither SQLite nor PostgreSQL nor JSON can hold
those. Such a name is journaled (and shown, and put in proposals and events) in its
*stored* form: each byte that is not UTF-8 written as ``\\xNN``, e.g. ``caf\\xe9.txt``
for the Latin-1 ``café.txt``. :func:`on_disk` turns it back into the name to open. A
valid UTF-8 name is stored as it is.

One ambiguity is accepted: a file literally named ``caf\\xe9.txt`` (with a backslash)
beside the Latin-1 one would share its journal entry; :func:`on_disk` prefers the name
that exists as written.
"""

from __future__ import annotations

import os
import re
from typing import Any

_ESCAPE = re.compile(rb"\\x([89a-f][0-9a-f])")  # only what backslashreplace writes for bytes >= 0x80


def stored(path: str) -> str:
    """The journal's text form of ``path`` (itself when it is valid UTF-8)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def on_disk(text: str) -> str:
    """The name to open for a journaled path: :func:`stored` undone where that names a file
    and the text as written does not."""
    if "\\x" not in text or os.path.lexists(text):
        return text
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    candidate = os.fsdecode(raw)
    return candidate if os.path.lexists(candidate) else text


def printable(value: Any) -> Any:
    """``value`` with every string in it (in lists and dicts too) in its stored form, so what
    an extractor derived from a name (title, extension) can be written anywhere."""
    if isinstance(value, str):
        return stored(value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value
