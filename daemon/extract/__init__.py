"""Extraction: one file in, one :class:`Extraction` out, or an :class:`ExtractionError` saying why.

The kind comes from the content first (magic numbers, binary or text) and the name second.
Every path returns within ``limits.timeout_s``: PDFs are parsed in a child process that is
killed at the deadline; the other extractors are bounded by the size limit and check the
deadline in their loops.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from typing import Any

import msgspec

from .code import code_facts
from .formats import debian_copyright, email_structure, json_title, xml_structure
from .dataset import parse_delimited, parse_json, parse_jsonl, strip_jsonc
from .encoding import decode, line_count, word_count
from .known_files import headerless_records
from .media import MUTAGEN_AUDIO, media_facts, svg_size
from .rtf import looks_like_rtf, rtf_text
from .office import OFFICE_TEXT, WORKBOOK_ROWS, WORKBOOKS, office_text, workbook_csv
from .pdf import extract_pdf
from .quality import nested_entities, suspect_reasons
from .sniff import HEAD_BYTES, looks_binary, sniff_bytes, text_kind
from .text import html_to_text, markdown_structure, text_structure
from .types import Extraction, ExtractionError, ExtractLimits, Kind, file_stem

__all__ = ["Extraction", "ExtractionError", "ExtractLimits", "extract"]

EXCERPT_CHARS = 600
VANISHED = "the file no longer exists (moved or deleted before it was read)"


def _read(path: str, limits: ExtractLimits, deadline: float) -> tuple[bytes, os.stat_result]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ExtractionError(VANISHED, "vanished", permanent=False) from None
    except PermissionError:
        raise ExtractionError("permission denied reading the file", "unreadable", permanent=False) from None
    except OSError as e:
        raise ExtractionError(f"cannot stat the file: {e.strerror or e}", "unreadable", permanent=False) from None
    if stat.S_ISDIR(st.st_mode):
        raise ExtractionError("is a directory, not a file", "not_a_file")
    if not stat.S_ISREG(st.st_mode):
        raise ExtractionError("not a regular file (a device, socket or pipe)", "not_a_file")
    if st.st_size > limits.max_file_bytes:
        raise ExtractionError(
            f"file is {st.st_size} bytes, over the limit of {limits.max_file_bytes} bytes", "too_large"
        )
    chunks = []
    total = 0
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > limits.max_file_bytes:  # it grew while we read it
                    raise ExtractionError(
                        f"file grew past the limit of {limits.max_file_bytes} bytes while read",
                        "too_large",
                        permanent=False,
                    )
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise ExtractionError(
                        f"reading the file took longer than {limits.timeout_s:g} s", "timeout", permanent=False
                    )
    except FileNotFoundError:
        raise ExtractionError(VANISHED, "vanished", permanent=False) from None
    except IsADirectoryError:
        raise ExtractionError("is a directory, not a file", "not_a_file") from None
    except PermissionError:
        raise ExtractionError("permission denied reading the file", "unreadable", permanent=False) from None
    except OSError as e:
        raise ExtractionError(f"cannot read the file: {e.strerror or e}", "unreadable", permanent=False) from None
    return b"".join(chunks), st


# Markdown's line marks: heading hashes, list bullets, quote bars.
_MARKDOWN_MARKS = re.compile(r"(?m)^[ \t]{0,3}(?:#{1,6}[ \t]+|[-*+][ \t]+|>[ \t]?)")


def _excerpt(text: str) -> str:
    return " ".join(text[: EXCERPT_CHARS * 3].split())[:EXCERPT_CHARS]


def extract(path: str, limits: ExtractLimits = ExtractLimits(), name: str | None = None) -> Extraction:
    """Read one file and say what it is and what it holds; ExtractionError when it cannot.
    ``suspect`` on the result lists what makes it not quite what it claims to be.
    ``name``: what the file is called (its extension and base name tell its kind and
    title) when ``path`` does not say (ingestion reads a descriptor's ``/proc`` path)."""
    extraction = _extract(path, limits, name or path)
    extraction.suspect = suspect_reasons(extraction)
    return extraction


def _extract(path: str, limits: ExtractLimits, name: str) -> Extraction:
    deadline = time.monotonic() + limits.timeout_s
    data, st = _read(path, limits, deadline)
    if not data:
        raise ExtractionError("empty file: there is nothing to extract", "empty")
    sha = hashlib.sha256(data).hexdigest()
    ext = os.path.splitext(name)[1].lower()
    base: dict[str, Any] = {"path": name, "size_bytes": len(data), "sha256": sha}
    meta: dict[str, Any] = {
        "extension": ext,
        "modified_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(st.st_mtime)),
    }
    head = data[:HEAD_BYTES]
    sniffed = sniff_bytes(head)
    if sniffed is not None:
        meta["detected_by"] = "content"
        if sniffed.format == "zip" and ext in OFFICE_TEXT:
            return _office(path, name, ext, base, meta, limits)
        if sniffed.format == "zip" and ext in WORKBOOKS:
            return _workbook(path, name, ext, base, meta, limits, deadline)
        if sniffed.kind is None:
            raise ExtractionError(f"unsupported binary format: {sniffed.format} ({sniffed.mime_type})", "unsupported")
        if sniffed.kind == "pdf":
            return _pdf(path, name, base, meta, limits, deadline)
        meta.update(media_facts(path, sniffed.format, sniffed.media_type or "image", data))
        return Extraction(kind="media", mime_type=sniffed.mime_type, title=file_stem(name), metadata=meta, **base)
    if looks_binary(head):
        if ext in MUTAGEN_AUDIO:
            mime, fmt = MUTAGEN_AUDIO[ext]
            meta.update(media_facts(path, fmt, "audio", data), detected_by="extension")
            return Extraction(kind="media", mime_type=mime, title=file_stem(name), metadata=meta, **base)
        raise ExtractionError(
            f"binary content in a file named {os.path.basename(name)!r}: not a format Clarity reads", "unsupported"
        )
    text, encoding = decode(data)
    meta["encoding"] = encoding
    if not text.strip().strip("\ufeff"):
        meta["blank"] = True  # only whitespace: read, but suspect (see quality.py)
    if looks_like_rtf(text[:16]):
        return _rtf(text, name, base, meta, limits)
    kind, mime = text_kind(name, text[:HEAD_BYTES])
    meta["detected_by"] = "extension" if ext else "content"
    if nested_entities(text):
        meta["entity_expansion"] = True
    if kind == "media":  # SVG: text that is an image
        meta.update(media_type="image", format="svg", **svg_size(text))
        return Extraction(kind="media", mime_type=mime, title=file_stem(name), metadata=meta, **base)
    if kind == "dataset":
        found = _dataset(text, data, ext, meta, limits, deadline)
        if found is not None:
            return Extraction(
                kind="dataset",
                mime_type=mime,
                text=text[: limits.max_text_chars],
                title=file_stem(name),
                metadata=meta,
                records=found.pop("records", None),
                **base,
            )
        kind = "text"  # JSON that is not records: a document
    return _text(kind, mime, text, name, base, meta, limits)


def _dataset(
    text: str, data: bytes, ext: str, meta: dict[str, Any], limits: ExtractLimits, deadline: float
) -> dict[str, Any] | None:
    facts: dict[str, Any] | None
    if ext in (".jsonl", ".ndjson"):
        facts = parse_jsonl(text, limits.max_json_depth, deadline, strict=True)
    elif ext in (".csv", ".tsv", ".tab") or (ext == "" and headerless_records(text)):
        facts = parse_delimited(text, ext, deadline)
    else:  # .json, .geojson, or JSON-shaped text without a telling name
        body = text.lstrip("\ufeff").encode() if meta.get("encoding") != "utf-8" else data.lstrip(b"\xef\xbb\xbf")
        try:
            facts, value = parse_json(body, limits.max_json_depth)
        except msgspec.DecodeError as e:
            jsonc = _jsonc(text, limits)
            if jsonc is not None:
                (facts, value), meta["jsonc"] = jsonc, True
            else:
                facts = parse_jsonl(text, limits.max_json_depth, deadline, strict=False)
                if facts is None:
                    if ext in (".json", ".geojson"):
                        raise ExtractionError(f"invalid JSON: {e}", "corrupt") from None
                    return None  # text that merely starts with a bracket
                value = None  # JSON Lines: records, not one value
        if facts is None:
            meta["json_type"] = type(value).__name__
            meta["is_json"] = True
            if not value and value is not False and value != 0:
                meta["json_empty"] = True
            if isinstance(value, dict):
                meta["json_keys"] = [str(k) for k in list(value)[:100]]
                title = json_title(value)
                if title:
                    meta["json_title"] = title
            return None
    if facts is not None:
        meta.update({k: v for k, v in facts.items() if k != "records"})
    return facts


def _jsonc(text: str, limits: ExtractLimits) -> tuple[dict[str, Any] | None, Any] | None:
    """What :func:`parse_json` makes of ``text`` read as JSON with comments and trailing
    commas; None when it has none or is not JSON that way either."""
    text = text.lstrip("\ufeff")
    plain = strip_jsonc(text)
    if plain == text:
        return None
    try:
        return parse_json(plain.encode(), limits.max_json_depth)
    except msgspec.DecodeError:
        return None


def _office(
    path: str, name: str, ext: str, base: dict[str, Any], meta: dict[str, Any], limits: ExtractLimits
) -> Extraction:
    """A Word, OpenDocument or PowerPoint text: its body read as the markdown it is turned into."""
    body, info = office_text(path, ext, limits.max_decompressed_bytes, limits.max_text_chars)
    return _document("markdown", OFFICE_TEXT[ext], body, info, "document properties", name, base, meta, limits)


def _rtf(text: str, name: str, base: dict[str, Any], meta: dict[str, Any], limits: ExtractLimits) -> Extraction:
    """Rich text: the words without the markup, title and author from its info group."""
    body, info = rtf_text(text)
    meta["detected_by"] = "content"
    return _document("text", "application/rtf", body, info, "document info", name, base, meta, limits)


def _document(
    kind: Kind,
    mime: str,
    body: str,
    info: dict[str, Any],
    source: str,
    name: str,
    base: dict[str, Any],
    meta: dict[str, Any],
    limits: ExtractLimits,
) -> Extraction:
    """The text a document format was turned into, read as that kind of text, with the title,
    author and dates the document's own properties (``source``) hold."""
    for key in ("author", "created_at"):
        if info.get(key):
            meta[key] = info[key]
    if info.get("modified_at"):
        meta["document_modified_at"] = info["modified_at"]
    extraction = _text(kind, mime, body, name, base, meta, limits)
    if info.get("title"):
        extraction.title = info["title"]
        meta["title_source"] = source
    return extraction


def _workbook(
    path: str, name: str, ext: str, base: dict[str, Any], meta: dict[str, Any], limits: ExtractLimits, deadline: float
) -> Extraction:
    """An Excel workbook: its first sheet read as a CSV file is (columns, types, records)."""
    text, facts = workbook_csv(path, limits.max_decompressed_bytes, WORKBOOK_ROWS)
    found = parse_delimited(text, ".csv", deadline)
    meta.update({k: v for k, v in found.items() if k != "records"})
    meta.update(format=ext[1:], sheets=facts["sheets"])
    for key in ("sheet", "author", "created_at", "rows_cut_at"):
        if facts.get(key):
            meta[key] = facts[key]
    return Extraction(
        kind="dataset",
        mime_type=WORKBOOKS[ext],
        text=text[: limits.max_text_chars],
        title=facts.get("title") or file_stem(name),
        metadata=meta,
        records=found.get("records"),
        **base,
    )


def _pdf(
    path: str, name: str, base: dict[str, Any], meta: dict[str, Any], limits: ExtractLimits, deadline: float
) -> Extraction:
    reply = extract_pdf(path, limits, deadline)
    text = reply["text"]
    info = reply.get("info", {})
    title = info.get("title") or text_structure(text)["title"] or file_stem(name)
    meta.update(
        page_count=reply["page_count"],
        pages_read=reply.get("pages_read"),
        word_count=word_count(text),
        excerpt=_excerpt(text),
        headings=text_structure(text)["headings"],
    )
    for key in ("author", "subject", "keywords", "creator", "producer", "created_at", "modified_at"):
        if info.get(key):
            meta[key if key != "modified_at" else "pdf_modified_at"] = info[key]
    meta["title_source"] = "pdf info" if info.get("title") else "first line"
    return Extraction(
        kind="pdf", mime_type="application/pdf", text=text[: limits.max_text_chars], title=title, metadata=meta, **base
    )


def _text(
    kind: Kind,
    mime: str,
    text: str,
    name: str,
    base: dict[str, Any],
    meta: dict[str, Any],
    limits: ExtractLimits,
) -> Extraction:
    meta["word_count"] = word_count(text)
    meta["line_count"] = line_count(text)
    title: str | None
    if mime == "text/html":
        visible, title, headings = html_to_text(text)
        meta["headings"] = headings
        meta["word_count"] = word_count(text)  # of the raw text, as wc -w counts
        meta["excerpt"] = _excerpt(visible)
        body = visible
    elif mime == "application/xml":
        found = xml_structure(text)
        title, body = found["title"], found["text"]
        if found["root_element"]:
            meta["root_element"] = found["root_element"]
        meta["title_source"] = "title element" if title else "file name"
    elif mime == "message/rfc822":
        found = email_structure(text)
        title, body = found["title"], found["text"]
        meta.update(found["facts"])
        meta["title_source"] = "subject" if title else "file name"
    elif kind == "markdown":
        found = markdown_structure(text)
        title, meta["headings"] = found["title"], found["headings"]
        if found["front_matter"]:
            meta["front_matter"] = found["front_matter"]
        body = text
        # "## Goals" reads "Goals" in a summary (marked up: only the head the excerpt can reach)
        meta["excerpt"] = _excerpt(_MARKDOWN_MARKS.sub("", text[: EXCERPT_CHARS * 6]))
    elif kind == "code":
        meta.update(code_facts(name, text[: limits.max_text_chars * 5]))
        title = os.path.basename(name)
        body = text
    elif meta.get("is_json"):
        title = meta.get("json_title")  # a JSON document names itself, or the file name does
        meta["title_source"] = "json key" if title else "file name"
        body = text
    else:
        found = text_structure(text)
        title, meta["headings"] = found["title"], found["headings"]
        copyright_file = debian_copyright(text)
        if copyright_file is not None:
            meta.update(copyright_file["facts"])
            title = copyright_file["title"] or title
            meta["title_source"] = "Upstream-Name" if copyright_file["title"] else "first line"
        body = text
    if "excerpt" not in meta:
        meta["excerpt"] = _excerpt(body)
    return Extraction(
        kind=kind,
        mime_type=mime,
        text=body[: limits.max_text_chars],
        title=title or file_stem(name),
        metadata=meta,
        **base,
    )
