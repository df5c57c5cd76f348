"""The fields of the chosen table, from the extractor's measurements and the text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from ..catalog import TableSpec
from ..extract.types import Extraction, file_stem
from .fields import PATTERN, SECTION, fill_from_text, pattern_fields, title_like
from .literals import holds, needles
from .schema_match import TableMatch, name_tokens, row_of, type_fit
from .shapes import Shape

MAX_ROWS = 1000
# What each catalog type must convert to (as the store will convert it; kept here so that
# inference does not import the storage layer).
_PY_TYPES: dict[str, Any] = {
    "string": str,
    "text": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "datetime": datetime,
    "json": Any,
    "list": list,
}
_STOPWORDS = {
    "english": {"the", "and", "of", "to", "is", "in", "that", "for", "with", "this", "are", "be", "on", "it"},
    "german": {"der", "die", "und", "das", "ist", "nicht", "mit", "den", "ein", "zu", "von", "sie", "auf"},
    "french": {"le", "la", "les", "et", "des", "est", "une", "pour", "que", "dans", "pas", "sur", "du"},
    "spanish": {"el", "la", "los", "las", "y", "que", "es", "por", "para", "una", "con", "del", "se"},
    "italian": {"il", "di", "che", "non", "per", "una", "sono", "della", "con", "gli", "del", "le"},
    "portuguese": {"o", "os", "que", "não", "uma", "para", "com", "do", "da", "em", "se", "por"},
    "dutch": {"de", "het", "een", "en", "van", "ik", "niet", "dat", "op", "te", "zijn", "met"},
}
_ANY_STOPWORD = frozenset().union(*_STOPWORDS.values())
_DOC_TYPES = [
    (name, re.compile(pattern))
    for name, pattern in (
        ("readme", r"\breadme\b"),
        ("license", r"\b(licen[cs]e|copying)\b"),
        ("changelog", r"\b(changelog|changes|news|history)\b"),
        ("manual", r"\b(manual|guide|handbook|documentation|reference|howto|how-to)\b"),
        ("specification", r"\b(spec|specification|rfc|standard)\b"),
        ("whitepaper", r"\bwhite ?paper\b"),
        ("memo", r"\bmemo(randum)?\b"),
        ("report", r"\breport\b"),
        ("article", r"\barticle\b"),
        ("faq", r"\bfaq\b"),
        ("notes", r"\bnotes\b"),
    )
]
_DOC_TYPE_NEEDLES = [(name, pattern, needles(pattern)) for name, pattern in _DOC_TYPES]  # see .literals
_WORD_RE = re.compile(r"[a-zà-ÿ]+")
_PARAGRAPH_RE = re.compile(r"\n\s*\n")
_NOT_PROSE_RE = re.compile(r"^(#|[-*+|>]|\d+[.)]|=+$|-+$|\*\*[^*]+\*\*:?$)")  # a heading, list, rule, label
_LABEL_START_RE = re.compile(r"^[\w ]{1,30}:\s")


def natural_language(text: str) -> str | None:
    """The language a document is written in, from its commonest short words."""
    words = _WORD_RE.findall(text[:20_000].lower())
    if len(words) < 20:
        return None
    stops = [w for w in words if w in _ANY_STOPWORD]  # the few that count, then each language's
    counts = {lang: sum(map(stop.__contains__, stops)) for lang, stop in _STOPWORDS.items()}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] >= max(3, 0.05 * len(words)) else None


def _document_type(ex: Extraction) -> str | None:
    where = f"{file_stem(ex.path)} {ex.title or ''}".lower()
    for name, pattern, needs in _DOC_TYPE_NEEDLES:
        if holds(where, needs) and pattern.search(where):
            return name
    return None


def _headings(ex: Extraction) -> list[str]:
    return [h[1] if isinstance(h, (list, tuple)) else str(h) for h in ex.metadata.get("headings", [])][:40]


def _summary(ex: Extraction) -> str | None:
    """The first real paragraph: not a heading, not a label line, not a list."""
    for block in _PARAGRAPH_RE.split(ex.text[:20_000]):
        lines = [ln.strip() for ln in block.strip().splitlines()]
        lines = [ln for ln in lines if ln and not _NOT_PROSE_RE.match(ln)]
        para = " ".join(lines)
        if len(para) >= 60 and not _LABEL_START_RE.match(para):
            return para[:1000]
    excerpt = ex.metadata.get("excerpt")
    return excerpt[:1000] if excerpt else None


def _measured(spec: TableSpec, ex: Extraction) -> dict[str, Any]:
    """What the extractor measured, under the names the table uses."""
    m = ex.metadata
    names = {f.name for f in spec.fields}
    out: dict[str, Any] = {}
    common = {
        "path": ex.path,
        "sha256": ex.sha256,
        "size_bytes": ex.size_bytes,
        "mime_type": ex.mime_type,
        "page_count": m.get("page_count"),
        "word_count": m.get("word_count"),
        "line_count": m.get("line_count"),
        "format": m.get("format"),
        "row_count": m.get("row_count"),
        "columns": m.get("columns"),
        "column_types": m.get("column_types"),
        "null_counts": m.get("null_counts"),
        "media_type": m.get("media_type"),
        "width": m.get("width"),
        "height": m.get("height"),
        "duration_seconds": m.get("duration_seconds"),
        "sample_rate": m.get("sample_rate"),
        "frame_rate": m.get("frame_rate"),
        "codec": m.get("codec"),
        "encoding": m.get("encoding"),
    }
    if ex.kind == "code":
        common.update(
            language=m.get("language"),
            functions=m.get("functions"),
            classes=m.get("classes"),
            imports=m.get("imports"),
            dependencies=m.get("dependencies"),
            todo_count=m.get("todo_count"),
            is_test=m.get("is_test"),
        )
        doc = m.get("docstring")
        if doc:
            common["summary"] = doc.strip().split("\n\n")[0][:1000]
    if ex.kind == "dataset":
        common["sample_rows"] = (m.get("sample_rows") or [])[:3]
        common["name"] = file_stem(ex.path)
    if ex.kind in ("text", "markdown", "pdf"):
        common["title"] = ex.title
        common["headings"] = _headings(ex) or None
        common["author"] = m.get("author")
        common["published_at"] = m.get("created_at")
        common["document_type"] = _document_type(ex)
        common["language"] = natural_language(ex.text)
        common["summary"] = _summary(ex)
    if ex.kind == "media":
        common["title"] = m.get("tag_title") or ex.title
    for key, value in common.items():
        if key in names and value not in (None, "", []):
            out[key] = value
    return out


def _clean(spec: TableSpec, fields: dict[str, Any]) -> dict[str, Any]:
    """Only the table's columns, each in its type (a value that does not fit is dropped)."""
    types = {f.name: f.type for f in spec.fields}
    out: dict[str, Any] = {}
    for key, value in fields.items():
        ftype = types.get(key)
        if ftype is None or value is None:
            continue
        try:
            msgspec.convert(value, _PY_TYPES[ftype], strict=False)
        except msgspec.ValidationError:
            continue
        out[key] = value
    return out


# Confidence in a field by where it came from (see also fields.LABELLED/SECTION/PATTERN):
MEASURED = 0.99  # counted or read by the extractor (pages, rows, hash, size, duration)
TITLE = 0.8  # the document's own title standing for a required name
FILE_NAME = 0.5  # nothing better than the file name
MAPPED = 0.95  # at most, for a key whose name and values fit a field: a name can still mean something else
# A column no field took whose name ends in one of these words ("job_name", "Title", "label") names
# each row: it fills the table's required name rather than "file #3". Not evidence of the table
# (any register has one), so it plays no part in routing.
NAME_WORDS = ("name", "title", "label")
NAME_COLUMN = 0.7


@dataclass
class Built:
    """The fields of a proposal, with the confidence in each and where they came from."""

    fields: dict[str, Any]
    rows: list[dict[str, Any]] | None = None  # a record file routed to a domain table: one row per record
    notes: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    mapping: dict[str, str] | None = None  # key or column -> field, for a structured file


def _name_column(spec: TableSpec, match: TableMatch, shape: Shape) -> tuple[str, str] | None:
    """(column, field) when the table's required name is unmapped and a column named like a
    name, of short text values, is left over: the one whose last word the field shares, else the first."""
    wanted = [f for f in title_like(spec) if f not in match.mapping.values() and f not in ("content", "path")]
    if not wanted:
        return None
    candidates = [
        k
        for k in shape.keys
        if k not in match.mapping
        and name_tokens(k)[-1:] in [(w,) for w in NAME_WORDS]
        and any(v is not None for v in shape.values.get(k, []))
        and type_fit("string", shape.values.get(k, [])) == 1.0
    ]
    if not candidates:
        return None
    for key in candidates:
        for f in wanted:
            if name_tokens(f)[-1:] == name_tokens(key)[-1:]:
                return key, f
    return candidates[0], wanted[0]


def build_fields(spec: TableSpec, ex: Extraction, match: TableMatch | None = None, shape: Shape | None = None) -> Built:
    """The table's fields for one extraction: measured facts, mapped keys, labelled values."""
    out = Built({})
    generic = spec.name in ("documents", "codebases", "datasets", "media")
    fields = _measured(spec, ex) if generic or ex.kind in ("media", "code") else {}
    conf = dict.fromkeys(fields, MEASURED)
    if match is not None and shape is not None and match.table == spec.name:
        # A structured file whose keys name this table's fields: map them, record by record.
        out.mapping = {k: f for k, f in match.mapping.items() if f}
        key_conf = {f: min(match.fit[k], MAPPED) for k, f in out.mapping.items()}
        named = _name_column(spec, match, shape)
        if named is not None:
            out.mapping[named[0]] = named[1]
            key_conf[named[1]] = NAME_COLUMN
        if shape.records is not None:
            out.rows = [_clean(spec, row_of(spec, out.mapping, r)) for r in shape.records[:MAX_ROWS]]
            fields.update(out.rows[0] if out.rows else {})
            if len(out.rows) > 1:
                out.notes.append(f"{len(shape.records)} records, one proposal each (fields shown: the first's)")
        else:
            fields.update(row_of(spec, out.mapping, shape.flat))
        conf.update({f: c for f, c in key_conf.items() if f in fields})
        out.notes.insert(0, "mapped " + ", ".join(f"{k}->{f}" for k, f in list(out.mapping.items())[:12]))
    elif ex.kind in ("text", "markdown", "pdf"):
        found, how, found_conf = fill_from_text(spec, ex)
        for key, value in found.items():
            if key not in fields:
                fields[key] = value
                conf[key] = found_conf[key]
        out.notes.extend(how)
        before = dict(fields)
        pattern_fields(spec, ex, fields)
        conf.update({k: PATTERN for k in fields if k not in before})
        if not generic:
            measured = _measured(spec, ex)
            for key in ("path", "sha256", "summary", "headings", "word_count", "mime_type", "page_count"):
                if key in measured and key not in fields:
                    fields[key] = measured[key]
                    conf[key] = MEASURED if key != "summary" else SECTION
    # Required names and titles: the document's title, else the file name.
    for name in title_like(spec):
        if not fields.get(name):
            if name == "content":
                fields[name] = ex.text[:4000] or ex.title or file_stem(ex.path)
                conf[name] = MEASURED if ex.text else FILE_NAME
            elif name in ("path",):
                fields[name] = ex.path
                conf[name] = MEASURED
            else:
                fields[name] = (ex.title or file_stem(ex.path))[:300]
                conf[name] = TITLE if ex.title and ex.title != file_stem(ex.path) else FILE_NAME
    if out.rows:
        # A record without its required name is named by its file and position: "incidents #3".
        stem = file_stem(ex.path)
        for i, row in enumerate(out.rows, 1):
            for name in title_like(spec):
                if not row.get(name):
                    row[name] = ex.path if name == "path" else f"{stem} #{i}"
        fields.update(out.rows[0])  # the fields shown are the first record's, as proposed
    out.fields = _clean(spec, fields)
    out.confidence = {k: round(v, 2) for k, v in conf.items() if k in out.fields}
    return out
