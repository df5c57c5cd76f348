"""Turning bytes into text: UTF-8, UTF-8 with a BOM, UTF-16 (BOM or not), else Latin-1.

Text that is UTF-8 in places and a single-byte encoding in others (a file pasted together
from two sources) is read as both, and called ``mixed`` so that extraction can flag it.
"""

from __future__ import annotations

import codecs
import re

MIXED = "mixed"  # the encoding name of text that is partly UTF-8, partly cp1252/Latin-1
# A well-formed UTF-8 multi-byte sequence: Latin-1 or cp1252 text rarely makes one by chance.
_UTF8_SEQ_RE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _single_byte(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a byte that is not UTF-8 is read as cp1252 (Latin-1 where cp1252 has a hole)."""
    if not isinstance(error, UnicodeDecodeError):  # registered for decoding only
        raise error
    raw = error.object[error.start : error.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in raw), error.end


codecs.register_error("clarity-single-byte", _single_byte)

# Characters GNU ``wc -w`` (coreutils 9.1, C.UTF-8) treats as word separators, measured one
# by one: the ASCII spaces and the Unicode space separators, the non-breaking ones included
# (U+00A0, U+2007, U+202F); not U+0085, U+2028, U+2029 or the zero-width ones.
_WORD_RE = re.compile(r"[^ \t\n\r\v\f\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with. Never fails: Latin-1 reads any byte."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return data.decode("utf-32", errors="replace"), "utf-32"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        # A file cut in the middle of a multi-byte character is still UTF-8.
        if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
            return data[: e.start].decode("utf-8"), "utf-8"
    if _UTF8_SEQ_RE.search(data, 0, 1 << 20):
        return data.decode("utf-8", errors="clarity-single-byte"), MIXED
    sample = data[:4096]
    if sample and b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.4 * len(odd):
            return data.decode("utf-16-le", errors="replace"), "utf-16-le"
        if even.count(0) > 0.4 * len(even):
            return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    if not re.search(rb"[\x80-\x9f]", data):
        return data.decode("latin-1"), "latin-1"
    try:
        return data.decode("cp1252"), "cp1252"  # Windows text: curly quotes in 0x80-0x9f
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def word_count(text: str) -> int:
    """Whitespace-separated tokens, as ``wc -w`` counts them."""
    return sum(1 for _ in _WORD_RE.finditer(text))


def line_count(text: str) -> int:
    """Newline characters, as ``wc -l`` counts them (a last line without one is not counted)."""
    return text.count("\n")
