"""Datasets: CSV and TSV (dialect sniffed, header detected), JSON arrays of records, JSON Lines.

A JSON file that is not a list of records (a config, a single object, a list of numbers)
is not a dataset: :func:`parse_json` says so by returning None, and the file is a document.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from typing import Any

import msgspec

from .csv_dialect import Sniffer
from .quality import formula_cells
from .types import MAX_RECORDS, ExtractionError

SAMPLE_ROWS = 5
SNIFF_CHARS = 4096
TYPE_SAMPLE = 2000  # rows looked at to infer a column's type
MAX_COLUMNS = 2000

_INT_RE = re.compile(r"^[+-]?\d{1,18}$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_MONEY_RE = re.compile(r"^[+-]?[$€£¥]?\s?\d{1,3}(,\d{3})*(\.\d+)?%?$|^[+-]?\d+(\.\d+)?%$")
_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")  # 7,4 in a ;-delimited European file
_DATE_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|"
    r"^\d{1,2}/\d{1,2}/\d{2,4}$"
)
# A column name: short, no digit first, none of the marks of an address, e-mail or URL.
_HASH_COLUMN_RE = re.compile(r"#[,;\t|]")
# A value that is a figure whatever its decoration: "115%", "<14", "$1,200", "3.5k".
_FIGURE_RE = re.compile(r"[<>~≈]?\s*[-+]?[$€£¥]?\s*\d[\d,.]*\s*(%|[kKmMbB]|bn)?")
_LABEL_RE = re.compile(r"^(?![\d+-])[^@,;\n]{1,60}$(?<!://)")
# A column name as people type them: words of letters, digits and underscores (``unit price``,
# ``amount_eur``); a cell below that is not one (a formula, a sentence with punctuation) is a value.
_WORDS_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*( [A-Za-z0-9_]+){0,3}$")
_BOOL = {"true", "false", "yes", "no", "y", "n", "t", "f"}
NULLS = {"", "null", "none", "nan", "n/a", "na", "-", "nil"}


def value_type(value: Any) -> str | None:
    """The catalog-style type of one cell (None for an empty cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, dict)):
        return "json"
    s = str(value).strip()
    if s.lower() in NULLS:
        return None
    if _INT_RE.match(s):
        return "integer"
    if _FLOAT_RE.match(s) or _MONEY_RE.match(s) or _DECIMAL_COMMA_RE.match(s):
        return "float"
    if s.lower() in _BOOL:
        return "boolean"
    if _DATE_RE.match(s):
        return "datetime"
    return "string"


def column_types(columns: list[str], rows: list[list[Any]]) -> tuple[dict[str, str], dict[str, int]]:
    """Per column: the narrowest type that fits every non-empty cell, and the empty-cell count."""
    types: dict[str, str] = {}
    nulls: dict[str, int] = {}
    for i, name in enumerate(columns):
        seen: set[str] = set()
        empty = 0
        for row in rows:
            t = value_type(row[i]) if i < len(row) else None
            if t is None:
                empty += 1
            else:
                seen.add(t)
        if not seen:
            types[name] = "string"
        elif len(seen) == 1:
            types[name] = seen.pop()
        elif seen <= {"integer", "float"}:
            types[name] = "float"
        else:
            types[name] = "string"
        nulls[name] = empty
    return types, nulls


def _clean_header(names: list[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        name = name.lstrip("\ufeff").strip()
        out.append(name or f"column_{i + 1}")
    return out


def _has_header(first: list[str], rest: list[list[str]], sniffer: Callable[[], bool | None]) -> bool:
    """A header row is all non-empty, non-numeric labels, usually unlike the rows below it.
    ``sniffer()``: the stdlib sniffer's vote (None: it could not tell), asked only when the
    rows do not settle it (it sniffs the sample again: ~0.6 ms on a three-line file)."""
    labels = [c.strip() for c in first]
    if not labels or any(not c for c in labels):
        return bool(sniffer()) and sum(1 for c in labels if c) > len(labels) / 2
    if any(value_type(c) in ("integer", "float", "datetime") or _FIGURE_RE.fullmatch(c) for c in labels):
        return False  # a figure ("$5", "12%") is a value, not a column's name
    # A column whose name is a word while its values are numbers or dates: a header.
    for i, label in enumerate(labels):
        values = [r[i].strip() for r in rest[:50] if i < len(r) and r[i].strip()]
        below = {"figure" if _FIGURE_RE.fullmatch(v) else value_type(v) for v in values} - {None}
        if below and below <= {"integer", "float", "datetime", "boolean", "figure"} and _LABEL_RE.match(label):
            return True
    if any(not _LABEL_RE.match(c) for c in labels):
        return False  # an address, a sentence, an e-mail, a code: data, not a column name
    for i, label in enumerate(labels):
        if len(rest) >= 2 and label in {r[i].strip() for r in rest[:200] if i < len(r)}:
            return False  # a column's name does not come back as one of its values
    if len(set(labels)) < len(labels):
        return bool(sniffer())
    if not rest:
        return True
    if all(_WORDS_RE.match(c) for c in labels):
        # The stdlib sniffer votes on cell lengths and types; in a table of text only it often
        # says "no header". Names made of words above columns whose cells are not: a header.
        unlike = sum(
            1 for i in range(len(labels)) if any(i < len(r) and not _WORDS_RE.match(r[i].strip()) for r in rest[:50])
        )
        if unlike * 2 >= len(labels):
            return True
    sniffer_says = sniffer()
    if sniffer_says is not None:
        return sniffer_says
    return all(len(c) <= 40 for c in labels)


def parse_delimited(text: str, ext: str, deadline: float, max_columns: int = MAX_COLUMNS) -> dict[str, Any]:
    """Format, delimiter, columns, row count, types and a sample of a CSV or TSV text."""
    text = text.lstrip("\ufeff")
    cr_only = "\r" in text and "\n" not in text
    if cr_only:
        text = text.replace("\r", "\n")  # classic Mac OS line ends: each CR ends a row
    if text.startswith("#") and not _HASH_COLUMN_RE.match(text):
        # A file that opens with a '#' comment (zone.tab, many exports) comments with '#'
        # throughout: those lines are notes, not rows. "#,Name,..." is a header whose first
        # column is called '#' (a row number), not a comment.
        text = "".join(ln for ln in text.splitlines(keepends=True) if not ln.startswith("#"))
    if not text.strip():
        raise ExtractionError("empty dataset: no rows", "empty")
    # The stdlib sniffer's regexes take time growing with the square of the sample (60 KB of
    # '"a,' took 50 s): a few KB tell the dialect of any real file.
    sample = text[:SNIFF_CHARS]
    if "\n" in sample[:-1]:
        sample = sample[: sample.rfind("\n")]  # a cut last line confuses the sniffer
    delimiters = "\t" if ext in (".tsv", ".tab") else ",;\t|"
    try:
        dialect: Any = Sniffer().sniff(sample, delimiters=delimiters)
    except csv.Error:
        dialect = csv.excel_tab if ext in (".tsv", ".tab") else csv.excel

    def sniffed_header() -> bool | None:
        try:
            return Sniffer().has_header(sample)
        except csv.Error:
            return None

    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[list[str]] = []
    count = 0
    widths: dict[int, int] = {}
    try:
        first = next(reader, None)
        if first is None:
            raise ExtractionError("empty dataset: no rows", "empty")
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank lines are not records
            count += 1
            widths[len(row)] = widths.get(len(row), 0) + 1
            if len(rows) < TYPE_SAMPLE:
                rows.append(row)
            if count % 4096 == 0 and time.monotonic() > deadline:
                raise ExtractionError("dataset extraction ran out of time", "timeout", permanent=False)
    except csv.Error as e:
        raise ExtractionError(f"malformed CSV: {e}", "corrupt") from None
    if len(first) > max_columns:
        raise ExtractionError(f"{len(first)} columns is more than the limit of {max_columns}", "too_large")
    header = _has_header(first, rows, sniffed_header)
    if header:
        columns = _clean_header(first)
    width = len(first)
    if not header:
        # No header to say how many columns there are: the widest row does (zone.tab's optional
        # last column is a column, not fields with no column).
        widths[len(first)] = widths.get(len(first), 0) + 1
        width = min(max(widths), max_columns)
        columns = [f"column_{i + 1}" for i in range(width)]
        rows.insert(0, first)
        count += 1
    delimiter = dialect.delimiter
    fmt = "tsv" if delimiter == "\t" else "csv"
    # Ragged: fields with no column, or rows missing most of theirs (a few empty trailing
    # fields left out, as many exports do, is not ragged).
    ragged = sum(n for w, n in widths.items() if w > width or w * 2 < width)
    total = max(1, sum(widths.values()))
    # With a header, rows of its width; with none, rows that are not ragged against the widest.
    consistent = (widths.get(width, 0) if header else total - ragged) / total
    types, nulls = column_types(columns, rows)
    sample_rows = [dict(zip(columns, r, strict=False)) for r in rows[:SAMPLE_ROWS]]
    return {
        "format": fmt,
        "delimiter": delimiter,
        "has_header": header,
        "cr_line_ends": cr_only,
        "row_count": count,
        "columns": columns,
        "column_types": types,
        "null_counts": nulls,
        "sample_rows": sample_rows,
        "consistent_rows": round(consistent, 3),
        "ragged_rows": ragged,
        "formula_cells": formula_cells(rows),
        "records": [dict(zip(columns, r, strict=False)) for r in rows[:MAX_RECORDS]],
    }


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a decoded JSON value, walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            stack.extend((child, d + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def decode_json(data: bytes | str, max_depth: int) -> Any:
    """Decode JSON, refusing documents nested deeper than ``max_depth``."""
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        if "depth" in str(e).lower() or "recursion" in str(e).lower():
            raise ExtractionError(f"JSON nested deeper than the limit of {max_depth} levels", "too_large") from None
        raise
    except RecursionError:
        raise ExtractionError(f"JSON nested deeper than the limit of {max_depth} levels", "too_large") from None
    if _depth(value, max_depth) > max_depth:
        raise ExtractionError(f"JSON nested deeper than the limit of {max_depth} levels", "too_large")
    return value


def _records(items: list[Any], fmt: str) -> dict[str, Any]:
    columns: dict[str, None] = {}
    for item in items[:TYPE_SAMPLE]:
        for key in item:
            if len(columns) < MAX_COLUMNS:
                columns.setdefault(str(key), None)
    names = list(columns)
    rows = [[item.get(k) for k in names] for item in items[:TYPE_SAMPLE]]
    types, nulls = column_types(names, rows)
    return {
        "format": fmt,
        "row_count": len(items),
        "columns": names,
        "column_types": types,
        "null_counts": nulls,
        "sample_rows": [{k: v for k, v in item.items()} for item in items[:SAMPLE_ROWS]],
        "records": items[:MAX_RECORDS],
    }


def is_records(value: Any) -> bool:
    """A JSON array whose items are all objects (an empty array counts)."""
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


# JSON with comments and trailing commas (JSONC: tsconfig.json, VS Code's tasks.json,
# devcontainer.json): the strings kept whole, the comments and the commas before a closing
# bracket dropped.
_JSONC_COMMENTS = re.compile(r'("(?:[^"\\\n]|\\.)*")|//[^\n]*|/\*[\s\S]*?\*/')
_JSONC_COMMAS = re.compile(r'("(?:[^"\\\n]|\\.)*")|,(\s*[}\]])')


def strip_jsonc(text: str) -> str:
    """``text`` without the comments and trailing commas JSONC allows (unchanged if it has none)."""
    text = _JSONC_COMMENTS.sub(lambda m: m.group(1) or "", text)
    return _JSONC_COMMAS.sub(lambda m: m.group(1) or m.group(2), text)


def parse_json(data: bytes, max_depth: int) -> tuple[dict[str, Any] | None, Any]:
    """(dataset facts, decoded value): facts are None when the JSON is not records."""
    value = decode_json(data, max_depth)
    if is_records(value) and value:
        return _records(value, "json"), value
    return None, value


def parse_jsonl(text: str, max_depth: int, deadline: float, strict: bool) -> dict[str, Any] | None:
    """Records of a JSON Lines file; None when the lines are not JSON objects (unless strict,
    where a bad line is an error naming its number)."""
    items: list[dict[str, Any]] = []
    count = 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = decode_json(line, max_depth)
        except msgspec.DecodeError as e:
            if strict:
                raise ExtractionError(f"line {n} is not JSON: {e}", "corrupt") from None
            return None
        if not isinstance(item, dict):
            if strict:
                raise ExtractionError(f"line {n} is not a JSON object", "corrupt")
            return None
        count += 1
        if len(items) < TYPE_SAMPLE:
            items.append(item)
        if count % 4096 == 0 and time.monotonic() > deadline:
            raise ExtractionError("dataset extraction ran out of time", "timeout", permanent=False)
    if count == 0:
        return (
            None
            if not strict
            else {
                "format": "jsonl",
                "row_count": 0,
                "columns": [],
                "column_types": {},
                "null_counts": {},
                "sample_rows": [],
                "records": [],
            }
        )
    facts = _records(items, "jsonl")
    facts["row_count"] = count
    return facts
