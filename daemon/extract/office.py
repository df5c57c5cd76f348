"""Word documents (.docx, .docm) and OpenDocument text (.odt): their text, as markdown.

Both are zip files of XML. Only the body and the document's properties are read, each part
bounded in size (a zip bomb stops at the limit) and parsed only when it declares no DTD (no
entity can expand). Headings become ``#`` lines and table rows ``|`` lines, so the rest of
extraction and inference read them as they read markdown; the title, author and dates come
from the properties the editor wrote.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from typing import Any

from .types import ExtractionError

OFFICE_TEXT = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docm": "application/vnd.ms-word.document.macroEnabled.12",
    ".odt": "application/vnd.oasis.opendocument.text",
}
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
# Heading style ids as Word writes them, localized ones with their accented letter dropped
# (Überschrift1 is "berschrift1", Título1 "Ttulo1").
_HEADING_STYLE = re.compile(r"(?i)^(?:heading|berschrift|titre|titolo|ttulo|kop)\s*(\d)$|^(title)$")


def office_text(path: str, ext: str, max_bytes: int, max_chars: int) -> tuple[str, dict[str, Any]]:
    """(the body as markdown, the properties: title, author, created_at, modified_at)."""
    body_name, props_name = ("content.xml", "meta.xml") if ext == ".odt" else ("word/document.xml", "docProps/core.xml")
    try:
        with zipfile.ZipFile(path) as zf:
            body, props = _part(zf, body_name, max_bytes), _part(zf, props_name, max_bytes)
            if body is None:
                raise ExtractionError(f"not a document: it holds no {body_name}", "corrupt")
            if ext == ".odt":
                lines, info = _odt_lines(body), _odt_info(props) if props is not None else {}
            else:
                lines, info = _docx_lines(body), _docx_info(props) if props is not None else {}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ET.ParseError, ValueError, OSError) as e:
        raise ExtractionError(f"corrupt or truncated {ext[1:].upper()}: {e}", "corrupt") from None
    return "\n\n".join(line for line in lines if line.strip())[:max_chars], info


def _part(zf: zipfile.ZipFile, name: str, max_bytes: int) -> ET.Element | None:
    """One XML part, parsed; None when the document has none."""
    try:
        with zf.open(name) as f:
            data = f.read(max_bytes + 1)
    except KeyError:
        return None
    if len(data) > max_bytes:
        raise ExtractionError(f"{name} unpacks to more than {max_bytes} bytes", "too_large")
    if _DTD.search(data):
        raise ExtractionError(f"{name} declares a DTD: not parsed", "corrupt")
    return ET.fromstring(data)


def _docx_lines(root: ET.Element) -> list[str]:
    lines: list[str] = []
    body = root.find(f"{_W}body")
    if body is not None:
        _docx_blocks(body, lines, 0)
    return lines


def _docx_blocks(node: ET.Element, lines: list[str], depth: int) -> None:
    """Paragraphs and table rows in document order, content controls (w:sdt) opened."""
    for block in node:
        if block.tag == f"{_W}p":
            lines.append(_docx_paragraph(block))
        elif block.tag == f"{_W}tbl":
            for row in block.iter(f"{_W}tr"):
                lines.append(_row(" ".join(_docx_paragraph(p) for p in c.iter(f"{_W}p")) for c in row.iter(f"{_W}tc")))
        elif block.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml") and depth < 20:
            _docx_blocks(block, lines, depth + 1)


def _row(cells: Iterable[str]) -> str:
    """A table row as a markdown one (a "|" inside a cell would split it: written "/")."""
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def _docx_paragraph(p: ET.Element) -> str:
    parts = []
    for node in p.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag in (f"{_W}tab",):
            parts.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    text = "".join(parts).strip()
    style = p.find(f"{_W}pPr/{_W}pStyle")
    level = _heading_level(style.get(f"{_W}val", "") if style is not None else "")
    if level and text:
        return f"{'#' * level} {text}"
    return f"- {text}" if text and p.find(f"{_W}pPr/{_W}numPr") is not None else text


def _heading_level(style: str) -> int:
    m = _HEADING_STYLE.match(style.strip())
    if m is None:
        return 0
    return 1 if m.group(2) else min(int(m.group(1)), 6)


def _docx_info(root: ET.Element) -> dict[str, Any]:
    found = {
        "title": root.findtext(f"{_DC}title"),
        "author": root.findtext(f"{_DC}creator"),
        "created_at": root.findtext(f"{_DCTERMS}created"),
        "modified_at": root.findtext(f"{_DCTERMS}modified"),
    }
    return {k: v.strip()[:500] for k, v in found.items() if v and v.strip()}


def _odt_lines(root: ET.Element) -> list[str]:
    lines: list[str] = []
    _odt_walk(root, lines, 0)
    return lines


def _odt_walk(node: ET.Element, lines: list[str], depth: int) -> None:
    """Headings, paragraphs (in lists and sections too) and table rows, in document order."""
    if depth > 50:
        return  # nesting no editor writes
    for child in node:
        if child.tag == f"{_TEXT}h":
            level = min(max(int(child.get(f"{_TEXT}outline-level", "1") or 1), 1), 6)
            lines.append(f"{'#' * level} {_odt_text(child)}")
        elif child.tag == f"{_TEXT}p":
            lines.append(_odt_text(child))
        elif child.tag == f"{_TABLE}table":
            for row in child.iter(f"{_TABLE}table-row"):
                lines.append(
                    _row(" ".join(_odt_text(p) for p in c.iter(f"{_TEXT}p")) for c in row.iter(f"{_TABLE}table-cell"))
                )
        elif child.tag == f"{_TEXT}list-item":
            start = len(lines)
            _odt_walk(child, lines, depth + 1)
            if len(lines) > start:
                lines[start] = "- " + lines[start]
        else:
            _odt_walk(child, lines, depth + 1)


def _odt_text(node: ET.Element) -> str:
    parts = [node.text or ""]
    for child in node:
        if child.tag == f"{_TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{_TEXT}line-break":
            parts.append("\n")
        elif child.tag == f"{_TEXT}s":
            parts.append(" " * int(child.get(f"{_TEXT}c", "1") or 1))
        else:
            parts.append(_odt_text(child))
        parts.append(child.tail or "")
    return "".join(parts).strip()


def _odt_info(root: ET.Element) -> dict[str, Any]:
    meta = root.find("{urn:oasis:names:tc:opendocument:xmlns:office:1.0}meta")
    if meta is None:
        return {}
    found = {
        "title": meta.findtext(f"{_DC}title"),
        "author": meta.findtext(f"{_META}initial-creator") or meta.findtext(f"{_DC}creator"),
        "created_at": meta.findtext(f"{_META}creation-date"),
        "modified_at": meta.findtext(f"{_DC}date"),
    }
    return {k: v.strip()[:500] for k, v in found.items() if v and v.strip()}
