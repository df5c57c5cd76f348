"""What every extractor returns, and the limits they obey."""

from __future__ import annotations

import os
from typing import Any, Literal

import msgspec

Kind = Literal["text", "markdown", "pdf", "code", "dataset", "media"]


def file_stem(path: str) -> str:
    """The file's name without its folder or extension: the title of last resort."""
    return os.path.splitext(os.path.basename(path))[0]


# Why a file could not be read, for code to tell apart (the message says it in words):
# vanished (gone before it was read), unreadable (the disk or the rights, not the bytes),
# not_a_file (a folder, device, socket), too_large (over a limit: bytes, columns, nesting,
# members, memory), empty, corrupt (malformed or truncated), unsupported (not a format
# Clarity reads), encrypted (needs a password), timeout, crashed (the parser process died).
ErrorKind = Literal[
    "vanished",
    "unreadable",
    "not_a_file",
    "too_large",
    "empty",
    "corrupt",
    "unsupported",
    "encrypted",
    "timeout",
    "crashed",
]


class ExtractionError(Exception):
    """The file cannot be read as its kind; the message says why in words, ``kind`` in a word.

    ``permanent``: reading the same bytes again would fail the same way (an unsupported or
    corrupt format, invalid JSON), so ingestion records it once and does not retry it by
    itself. Transient failures (the file vanished, a timeout, an I/O error) are retried."""

    def __init__(self, message: str, kind: ErrorKind, permanent: bool = True) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.permanent = permanent


class ExtractLimits(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    max_file_bytes: int = 64 * 1024 * 1024  # files larger than this are not read
    max_text_chars: int = 200_000  # text kept from one file for inference
    timeout_s: float = 30.0  # wall time one extraction may take
    max_json_depth: int = 64
    max_decompressed_bytes: int = 256 * 1024 * 1024
    max_pdf_pages: int = 50  # pages whose text is read


class Extraction(msgspec.Struct, kw_only=True):
    path: str
    kind: Kind
    mime_type: str
    size_bytes: int
    sha256: str
    text: str = ""  # the readable text (possibly cut to max_text_chars)
    title: str | None = None
    # Kind-specific facts, named as the catalog's fields where one exists: page_count,
    # word_count, author, language, line_count, functions, classes, imports, format,
    # row_count, columns, column_types, media_type, width, height, duration_seconds...
    metadata: dict[str, Any] = {}
    # Datasets: the first records (up to MAX_RECORDS) as column -> value, so inference can map
    # a dataset whose columns fit a domain table row by row. None for other kinds.
    records: list[dict[str, Any]] | None = None
    # Why the content is not quite what it claims to be (a CSV with no data rows or ragged
    # rows, a truncated image, text in mixed encodings...). Readable, but not to be trusted
    # blindly: inference keeps the confidence of a suspect file below auto-approval.
    suspect: list[str] = []


MAX_RECORDS = 1000
