"""Word documents (.docx, .docm), OpenDocument text (.odt) and PowerPoint decks (.pptx): their
text, as markdown; Excel workbooks (.xlsx, .xlsm): their first sheet, as CSV.

All are zip files of XML. Only the body and the document's properties are read, each part
bounded in size (a zip bomb stops at the limit) and parsed only when it declares no DTD (no
entity can expand). Headings become ``#`` lines and table rows ``|`` lines, so the rest of
extraction and inference read them as they read markdown; the title, author and dates come
from the properties the editor wrote.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from .types import ExtractionError

OFFICE_TEXT = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docm": "application/vnd.ms-word.document.macroEnabled.12",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
MAX_SLIDES = 500  # slides read from a deck
MAX_SPACES = 100  # an OpenDocument run of spaces (text:s c="...") written out: a billion is an attack
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
# A part parsed whole costs ten times its size in memory: 32 MiB of body XML is some five
# million words, and a sheet (read as a stream) is not held to it.
WHOLE_PART_BYTES = 32 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Heading style ids as Word writes them, localized ones with their accented letter dropped
# (Überschrift1 is "berschrift1", Título1 "Ttulo1").
_HEADING_STYLE = re.compile(r"(?i)^(?:heading|berschrift|titre|titolo|ttulo|kop)\s*(\d)$|^(title)$")


def office_text(path: str, ext: str, max_bytes: int, max_chars: int) -> tuple[str, dict[str, Any]]:
    """(the body as markdown, the properties: title, author, created_at, modified_at)."""
    body_name, props_name = {
        ".odt": ("content.xml", "meta.xml"),
        ".pptx": ("ppt/presentation.xml", "docProps/core.xml"),
    }.get(ext, ("word/document.xml", "docProps/core.xml"))
    try:
        with zipfile.ZipFile(path) as zf:
            parts = _Parts(zf, max_bytes)
            body, props = parts.get(body_name), parts.get(props_name)
            if body is None:
                raise ExtractionError(f"not a document: it holds no {body_name}", "corrupt")
            if ext == ".odt":
                lines, info = _odt_lines(body), _odt_info(props) if props is not None else {}
            elif ext == ".pptx":
                lines, info = _slides(parts, body), _core_info(props) if props is not None else {}
                first = lines[0].partition(": ")[2] if lines else ""  # "## Slide 1: its title"
                if first and info.get("title", "").lower() in ("", "presentation", "powerpoint presentation"):
                    info["title"] = first  # not PowerPoint's default name
            else:
                lines, info = _docx_lines(body), _core_info(props) if props is not None else {}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ET.ParseError, ValueError, OSError) as e:
        raise ExtractionError(f"corrupt or truncated {ext[1:].upper()}: {e}", "corrupt") from None
    return "\n\n".join(line for line in lines if line.strip())[:max_chars], info


class _Parts:
    """A document's XML parts, each parsed whole (at most WHOLE_PART_BYTES), all of them
    together at most ``budget`` bytes unpacked (a deck of many bomb slides stops there)."""

    def __init__(self, zf: zipfile.ZipFile, budget: int) -> None:
        self.zf, self.left = zf, budget

    def get(self, name: str) -> ET.Element | None:
        """The part, parsed; None when the document has none."""
        limit = min(self.left, WHOLE_PART_BYTES)
        try:
            with self.zf.open(name) as f:
                data = f.read(limit + 1)
        except KeyError:
            return None
        if len(data) > limit:
            raise ExtractionError(f"{name} unpacks past the limit of {limit} bytes", "too_large")
        self.left -= len(data)
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


_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def _slides(parts: _Parts, presentation: ET.Element) -> list[str]:
    """Each slide in the deck's order: "## Slide n: its title", then its other text, a line
    per paragraph (bullets as list items)."""
    rels = parts.get("ppt/_rels/presentation.xml.rels")
    targets = {r.get("Id"): r.get("Target") or "" for r in rels.iter(f"{_REL}Relationship")} if rels is not None else {}
    order = [targets.get(s.get(f"{_R}id"), "") for s in presentation.iter(f"{_P}sldId")]
    lines: list[str] = []
    for n, target in enumerate(order[:MAX_SLIDES], 1):
        slide = parts.get("ppt/" + target.lstrip("/").removeprefix("ppt/")) if target else None
        if slide is None:
            continue
        title, body = "", []
        for shape in slide.iter(f"{_P}sp"):
            kind = shape.find(f".//{_P}ph")
            paragraphs = ["".join(t.text or "" for t in p.iter(f"{_A}t")).strip() for p in shape.iter(f"{_A}p")]
            paragraphs = [p for p in paragraphs if p]
            if kind is not None and kind.get("type") in ("title", "ctrTitle") and not title:
                title = " ".join(paragraphs)
            else:
                body += [f"- {p}" if kind is not None and kind.get("type") in (None, "body") else p for p in paragraphs]
        if title or body:  # a slide of pictures or charts only says nothing here
            lines.append(f"## Slide {n}" + (f": {title}" if title else ""))
            lines += body
    return lines


def _row(cells: Iterable[str]) -> str:
    """A table row as a markdown one (a "|" inside a cell would split it: written "/")."""
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def _docx_paragraph(p: ET.Element) -> str:
    parts = []
    for node in p.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{_W}tab":
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


def _core_info(root: ET.Element) -> dict[str, Any]:
    """Title, author and dates of an Office document (docProps/core.xml, in Word, Excel, PowerPoint)."""
    return _said(
        title=root.findtext(f"{_DC}title"),
        author=root.findtext(f"{_DC}creator"),
        created_at=root.findtext(f"{_DCTERMS}created"),
        modified_at=root.findtext(f"{_DCTERMS}modified"),
    )


def _said(**found: str | None) -> dict[str, Any]:
    """The properties that say something, trimmed."""
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
            parts.append(" " * min(int(child.get(f"{_TEXT}c", "1") or 1), MAX_SPACES))
        else:
            parts.append(_odt_text(child))
        parts.append(child.tail or "")
    return "".join(parts).strip()


def _odt_info(root: ET.Element) -> dict[str, Any]:
    meta = root.find("{urn:oasis:names:tc:opendocument:xmlns:office:1.0}meta")
    if meta is None:
        return {}
    return _said(
        title=meta.findtext(f"{_DC}title"),
        author=meta.findtext(f"{_META}initial-creator") or meta.findtext(f"{_DC}creator"),
        created_at=meta.findtext(f"{_META}creation-date"),
        modified_at=meta.findtext(f"{_DC}date"),
    )


# -- Excel workbooks (.xlsx, .xlsm): the first sheet, as the CSV the dataset reader takes ----------

WORKBOOKS = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
}
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
WORKBOOK_ROWS = 100_000  # rows of a sheet read: the dataset reader samples far fewer
PROLOG_BYTES = 65536  # where a part's root element must begin: a DTD before it is refused
_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})  # Excel's built-in date/time ids
_CELL_REF = re.compile(r"([A-Z]+)")


def workbook_csv(path: str, max_bytes: int, max_rows: int) -> tuple[str, dict[str, Any]]:
    """(the first sheet's rows as CSV, facts: the sheets' names, the one read, the properties).
    Shared strings resolved, dates (numbers in a date format) written as ISO dates."""
    try:
        with zipfile.ZipFile(path) as zf:
            parts = _Parts(zf, max_bytes)
            book = parts.get("xl/workbook.xml")
            if book is None:
                raise ExtractionError("not a workbook: it holds no xl/workbook.xml", "corrupt")
            every = [(s.get("name") or "", s.get(f"{_R}id") or "", s.get("state")) for s in book.iter(f"{_S}sheet")]
            # The first sheet a person sees: hidden ones hold lookups and scratch work.
            sheets = [(n, r) for n, r, state in every if state not in ("hidden", "veryHidden")] or [
                e[:2] for e in every
            ]
            target = _first_sheet(parts, sheets)
            props = parts.get("docProps/core.xml")
            strings = _shared_strings(parts.get("xl/sharedStrings.xml"))
            dates = _date_styles(parts.get("xl/styles.xml"))
            pr = book.find(f"{_S}workbookPr")
            epoch = datetime(1904, 1, 1) if pr is not None and pr.get("date1904") in ("1", "true") else _EPOCH_1900
            rows = _sheet_rows(zf, target, strings, dates, epoch, parts.left, max_rows)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ET.ParseError, ValueError, OSError) as e:
        raise ExtractionError(f"corrupt or truncated workbook: {e}", "corrupt") from None
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    facts: dict[str, Any] = {"sheets": [name for name, _ in sheets][:50]}
    if len(rows) >= max_rows:
        facts["rows_cut_at"] = max_rows
    if sheets:
        facts["sheet"] = sheets[0][0]
    facts.update(_core_info(props) if props is not None else {})
    return out.getvalue(), facts


_EPOCH_1900 = datetime(1899, 12, 30)  # serial 1 is 1900-01-01, past Excel's phantom 1900-02-29


def _first_sheet(parts: _Parts, sheets: list[tuple[str, str]]) -> str:
    rels = parts.get("xl/_rels/workbook.xml.rels")
    targets = {r.get("Id"): r.get("Target") or "" for r in rels.iter(f"{_REL}Relationship")} if rels is not None else {}
    target = targets.get(sheets[0][1], "") if sheets else ""
    if not target:
        return "xl/worksheets/sheet1.xml"
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _shared_strings(root: ET.Element | None) -> list[str]:
    if root is None:
        return []
    # A string's text is its t elements', less the phonetic guides (rPh) some add.
    return ["".join(t.text or "" for t in si.iter(f"{_S}t") if t not in _phonetic(si)) for si in root.iter(f"{_S}si")]


def _phonetic(si: ET.Element) -> set[ET.Element]:
    return {t for ph in si.iter(f"{_S}rPh") for t in ph.iter(f"{_S}t")}


def _date_styles(root: ET.Element | None) -> set[int]:
    """Indexes of the cell formats that show a number as a date or time."""
    if root is None:
        return set()
    custom = set()
    for fmt in root.iter(f"{_S}numFmt"):
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", (fmt.get("formatCode") or "").lower())
        if re.search(r"[dy]|h.*[ms]", code):
            custom.add(int(fmt.get("numFmtId") or -1))
    xfs = root.find(f"{_S}cellXfs")
    ids = [int(xf.get("numFmtId") or 0) for xf in (xfs if xfs is not None else [])]
    return {i for i, fmt_id in enumerate(ids) if fmt_id in _DATE_FORMATS or fmt_id in custom}


def _sheet_rows(
    zf: zipfile.ZipFile,
    name: str,
    strings: list[str],
    dates: set[int],
    epoch: datetime,
    max_bytes: int,
    max_rows: int,
) -> list[list[str]]:
    """The sheet's rows (cells at their columns, gaps empty), read as a stream: up to max_rows."""
    try:
        stream = zf.open(name)
    except KeyError:
        raise ExtractionError(f"not a workbook: it holds no {name}", "corrupt") from None
    rows: list[list[str]] = []
    with stream:
        prolog = stream.read(PROLOG_BYTES)
        if _DTD.search(prolog) or (b"<worksheet" not in prolog and b":worksheet" not in prolog):
            raise ExtractionError(f"{name} declares a DTD or is no worksheet: not parsed", "corrupt")
        parser: ET.XMLPullParser[Any] = ET.XMLPullParser(events=("end",))
        read = len(prolog)
        chunk = prolog
        while chunk and len(rows) < max_rows:
            parser.feed(chunk)
            for event in parser.read_events():
                el: Any = event[-1]  # ("end", element)
                if isinstance(el, ET.Element) and el.tag == f"{_S}row":
                    rows.append(_row_cells(el, strings, dates, epoch))
                    el.clear()
                    if len(rows) >= max_rows:
                        break
            chunk = stream.read(1 << 16)
            read += len(chunk)
            if read > max_bytes:
                raise ExtractionError(f"{name} unpacks to more than {max_bytes} bytes", "too_large")
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _row_cells(row: ET.Element, strings: list[str], dates: set[int], epoch: datetime) -> list[str]:
    cells: list[str] = []
    for c in row.iter(f"{_S}c"):
        ref = _CELL_REF.match(c.get("r") or "")
        col = _column(ref.group(1)) if ref else len(cells)
        if col > 16383:
            continue  # past Excel's last column: a hostile reference
        cells.extend([""] * (col + 1 - len(cells)))
        cells[col] = _cell_value(c, strings, dates, epoch)
    return cells


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _cell_value(c: ET.Element, strings: list[str], dates: set[int], epoch: datetime) -> str:
    kind, value = c.get("t", "n"), c.findtext(f"{_S}v")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{_S}t"))
    if value is None:
        return ""
    if kind == "s":
        i = int(value)
        return strings[i] if 0 <= i < len(strings) else ""
    if kind == "b":
        return "TRUE" if value == "1" else "FALSE"
    if kind == "n" and int(c.get("s") or 0) in dates:
        try:
            when = epoch + timedelta(days=float(value))
        except (OverflowError, ValueError):
            return value
        return when.date().isoformat() if when.time() == datetime.min.time() else when.isoformat(timespec="seconds")
    return value
