"""Signs that a file is not quite what it claims to be.

Such a file is still read (its facts may well be right), but an :class:`Extraction` that
carries reasons in ``suspect`` is not trusted blindly: inference keeps its confidence
below auto-approval, so a person looks at it. Impossible content (a PNG whose header
claims more pixels than its data can hold) is an ExtractionError instead, raised where
it is read.
"""

from __future__ import annotations

import re

from .encoding import MIXED
from .sniff import CODE_EXTENSIONS, DATASET_EXTENSIONS, HTML_EXTENSIONS, MARKDOWN_EXTENSIONS, XML_EXTENSIONS
from .types import Extraction

# Names that promise text: an image or a sound under one of these is not what the name says.
TEXT_EXTENSIONS = (
    {".txt", ".text", ".log", ".eml"}
    | CODE_EXTENSIONS
    | DATASET_EXTENSIONS
    | MARKDOWN_EXTENSIONS
    | HTML_EXTENSIONS
    | XML_EXTENSIONS
) - {".svg"}

# Extensions of binary formats: text under one of these names is not what the name says.
BINARY_EXTENSIONS = {
    ".pdf",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".bmp",
    ".tif",
    ".tiff",
    ".heic",
    ".avif",
    ".ico",
    ".mp3",
    ".wav",
    ".flac",
    ".ogg",
    ".opus",
    ".m4a",
    ".aac",
    ".mp4",
    ".m4v",
    ".mov",
    ".avi",
    ".mkv",
    ".webm",
    ".zip",
    ".gz",
    ".tgz",
    ".bz2",
    ".xz",
    ".7z",
    ".rar",
    ".tar",
    ".docx",
    ".xlsx",
    ".pptx",
    ".odt",
    ".ods",
    ".doc",
    ".xls",
    ".ppt",
    ".exe",
    ".dll",
    ".so",
    ".sqlite",
    ".db",
    ".woff",
    ".woff2",
    ".ttf",
    ".otf",
}


# The formats a media extension promises (the ISO family, MP4 to 3GP, and Matroska/WebM share
# containers, so any of theirs will do): a PNG named .jpg is not what its name says.
_ISO = {"mp4", "m4a", "mov", "3gp"}
_MATROSKA = {"mkv", "webm"}
MEDIA_EXTENSION_FORMATS: dict[str, set[str]] = {
    ".png": {"png"},
    ".jpg": {"jpeg"},
    ".jpeg": {"jpeg"},
    ".gif": {"gif"},
    ".webp": {"webp"},
    ".bmp": {"bmp"},
    ".tif": {"tiff"},
    ".tiff": {"tiff"},
    ".heic": {"heic"},
    ".avif": {"avif"},
    ".mp3": {"mp3"},
    ".wav": {"wav"},
    ".flac": {"flac"},
    ".ogg": {"ogg", "opus"},
    ".opus": {"ogg", "opus"},
    ".aiff": {"aiff"},
    ".avi": {"avi"},
    ".mp4": _ISO,
    ".m4v": _ISO,
    ".m4a": _ISO,
    ".mov": _ISO,
    ".3gp": _ISO,
    ".mkv": _MATROSKA,
    ".webm": _MATROSKA,
}


# A cell a spreadsheet would run as a formula: '=' then anything, or a function call after
# '+', '-' or '@' (=HYPERLINK(...), =cmd|'/C calc'!A0, @SUM(...)). Exported back, it runs.
FORMULA_RE = re.compile(r"^=\S|^[+\-@][A-Za-z_][\w.]*\(")

# An XML entity defined by other entities (the "billion laughs"): a document built to expand.
_NESTED_ENTITY_RE = re.compile(r"<!ENTITY\s+[\w.-]+\s+[\"'][^\"']*&[\w.-]+;", re.I)


ENTITY_HEAD = 65536  # a doctype's declarations come first: where they are looked for


def nested_entities(text: str) -> bool:
    # Every text file passes here: the plain find skips the regex for all but XML with entities.
    return text.find("<!ENTITY", 0, ENTITY_HEAD) >= 0 and _NESTED_ENTITY_RE.search(text, 0, ENTITY_HEAD) is not None


def formula_cells(rows: list[list[str]]) -> int:
    return sum(1 for row in rows for cell in row if FORMULA_RE.match(cell.lstrip()))


def suspect_reasons(ex: Extraction) -> list[str]:
    """Why ``ex`` should not be auto-approved whatever it looks like; empty when nothing is off."""
    m = ex.metadata
    reasons: list[str] = []
    ext = m.get("extension", "")
    if ex.kind != "media" or m.get("format") == "svg":
        if m.get("blank"):
            reasons.append("no text: only whitespace")
        elif ex.mime_type == "text/html" and not ex.text.strip():
            reasons.append("a web page with no visible text")
        if ext in BINARY_EXTENSIONS and "encoding" in m:  # decoded as text: its bytes were no PDF, no workbook
            reasons.append(f"named {ext} but holds text")
        if m.get("encoding") == MIXED:
            reasons.append("text in mixed encodings (UTF-8 and a single-byte one)")
        elif "\ufffd" in ex.text[:200_000] and ex.text.count("\ufffd") > 2:
            reasons.append("bytes that are not valid in its encoding")
    promised = MEDIA_EXTENSION_FORMATS.get(ext)
    if ex.kind == "media" and ext in TEXT_EXTENSIONS:
        reasons.append(f"named {ext} but holds {m.get('media_type', 'media')} ({m.get('format', '?')})")
    elif ex.kind == "media" and promised is not None and m.get("format") not in promised:
        reasons.append(f"named {ext} but its bytes are {str(m.get('format', '?')).upper()}")
    if m.get("entity_expansion"):
        reasons.append("XML entities defined by other entities: a document built to expand itself")
    if m.get("formula_cells"):
        n = m["formula_cells"]
        reasons.append(
            f"{n} cell{'s hold' if n > 1 else ' holds'} a spreadsheet formula, run when opened in a spreadsheet"
        )
    if ex.kind == "dataset":
        if not m.get("row_count"):
            reasons.append("a dataset with no data rows" + (" (only a header)" if m.get("has_header") else ""))
        elif m.get("ragged_rows"):
            reasons.append(f"ragged rows: {m['ragged_rows']} have far fewer or more fields than the header")
        elif not m.get("columns"):
            reasons.append("records with no fields")
        if m.get("cr_line_ends"):
            reasons.append("lines ended by a bare CR (classic Mac OS): rows read, but a person should check them")
    if m.get("json_empty"):
        reasons.append("an empty JSON value")
    if m.get("trailing_data"):
        reasons.append(f"{m['trailing_data']} bytes after the end of its {m.get('format', ex.kind).upper()} data")
    if m.get("damaged"):
        reasons.append(f"damaged {m.get('format', ex.kind).upper()}: a checksum does not match its data")
    if m.get("truncated"):
        reasons.append(f"truncated {m.get('format', ex.kind).upper()}: its data ends early")
    if m.get("impossible_size"):
        reasons.append(f"impossible size {m.get('width')}x{m.get('height')} in its header")
    return reasons
