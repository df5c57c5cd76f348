"""The keys of a structured file and a sample of each key's values, whatever its format.

CSV/TSV and JSON records come from the extractor; YAML, TOML, JSON objects, XML and
markdown front matter are parsed here from the extracted text. Every walk is bounded
(nodes, depth, sampled values), so a hostile file costs no more than a plain one.
"""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import msgspec
import yaml

from ..extract.dataset import strip_jsonc
from ..extract.types import Extraction

MAX_NODES = 5000  # nodes of a parsed document walked: a config never needs more
MAX_DEPTH = 6  # nesting followed: deeper keys are detail, not what the file is
MAX_KEYS = 150  # distinct keys kept
MAX_SAMPLES = 40  # values kept per key to check its type
MAX_RECORDS = 1000  # records of a list of objects kept for one proposal each
MAX_PARSE_CHARS = 400_000  # text parsed as YAML/TOML/JSON/XML (the extractor keeps 200 000)

_XML_DANGER_RE = re.compile(r"<!ENTITY|<!DOCTYPE[^>]*\[", re.I)


@dataclass
class Shape:
    """What matching looks at: key names in file order, sampled values, and records."""

    format: str
    keys: list[str] = field(default_factory=list)
    values: dict[str, list[Any]] = field(default_factory=dict)
    # A list of objects (CSV rows, JSON Lines, a YAML list of jobs): one proposal each.
    records: list[dict[str, Any]] | None = None
    # For a single object: key -> its value (the first found), to fill one row.
    flat: dict[str, Any] = field(default_factory=dict)
    # For records: key -> how many of them hold a value for it (not None, not "").
    present: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, value: Any) -> None:
        if key not in self.values:
            if len(self.keys) >= MAX_KEYS:
                return
            self.keys.append(key)
            self.values[key] = []
        if value is not None and not isinstance(value, dict) and len(self.values[key]) < MAX_SAMPLES:
            self.values[key].append(value)
        if key not in self.flat and value is not None and not isinstance(value, dict):
            self.flat[key] = value


def _records_shape(fmt: str, records: list[dict[str, Any]]) -> Shape:
    shape = Shape(fmt, records=[r for r in records[:MAX_RECORDS] if isinstance(r, dict)])
    for record in shape.records or []:
        held: set[str] = set()
        for key, value in record.items():
            if isinstance(value, dict):  # {"owner": {"name": ...}}: the inner keys count too
                for inner, v in list(value.items())[:50]:
                    shape.add(str(inner), v)
                    if v not in (None, ""):
                        held.add(str(inner))
            else:
                shape.add(str(key), value)
                if value not in (None, ""):
                    held.add(str(key))
        for key in held:
            shape.present[key] = shape.present.get(key, 0) + 1
    return shape


def _record_list(value: Any) -> list[dict[str, Any]] | None:
    """A list of two or more objects that share keys: records, not a config."""
    if not isinstance(value, list) or len(value) < 2:
        return None
    dicts = [v for v in value[:MAX_RECORDS] if isinstance(v, dict)]
    if len(dicts) < 0.8 * min(len(value), MAX_RECORDS):
        return None
    first = set(dicts[0])
    return dicts if first and sum(1 for d in dicts[1:10] if set(d) & first) >= min(len(dicts) - 1, 9) // 2 + 1 else None


def _object_shape(fmt: str, value: Any) -> Shape | None:
    """The keys of a parsed document; a top-level or singly nested list of records is kept as records."""
    if isinstance(value, list):
        records = _record_list(value)
        if records is not None:
            return _records_shape(fmt, records)
        if len(value) == 1 and isinstance(value[0], dict):
            value = value[0]
        else:
            return None
    if not isinstance(value, dict) or not value:
        return None
    # {"incidents": [{...}, {...}]} or {"data": [...]}: the only big list of objects is the content.
    maybe_lists = [(k, _record_list(v)) for k, v in value.items() if isinstance(v, list)]
    lists = [(k, r) for k, r in maybe_lists if r is not None]
    scalars = sum(1 for v in value.values() if not isinstance(v, (list, dict)))
    if len(lists) == 1 and scalars <= 3 and len(value) <= 4:
        shape = _records_shape(fmt, lists[0][1])
        shape.add(str(lists[0][0]), None)
        return shape
    shape = Shape(fmt)
    budget = [MAX_NODES]

    def walk(node: Any, depth: int) -> None:
        if budget[0] <= 0 or depth > MAX_DEPTH:
            return
        budget[0] -= 1
        if isinstance(node, dict):
            for k, v in node.items():
                if budget[0] <= 0:
                    return
                shape.add(str(k), v if not isinstance(v, list) or not all(isinstance(x, dict) for x in v) else None)
                if isinstance(v, (dict, list)):
                    walk(v, depth + 1)
        elif isinstance(node, list):
            for item in node[:50]:
                walk(item, depth + 1)

    walk(value, 0)
    return shape if shape.keys else None


def _yaml(text: str) -> Any:
    docs = []
    for i, doc in enumerate(yaml.load_all(text, Loader=yaml.CSafeLoader)):
        if i >= 20:
            break
        if doc is not None:
            docs.append(doc)
    if len(docs) == 1:
        return docs[0]
    if docs and all(isinstance(d, dict) for d in docs):
        return docs  # a multi-document stream (Kubernetes manifests): records of their own
    return docs[0] if docs else None


def _xml(text: str) -> Shape | None:
    if _XML_DANGER_RE.search(text[:20_000]):
        return None  # entity declarations: not expanded, not parsed
    root = ET.fromstring(text)
    shape = Shape("xml")
    # Children that repeat under one parent are records (<incident>...</incident> x N).
    children = list(root)
    tags = [c.tag for c in children]
    if len(children) >= 2 and len(set(tags)) == 1 and len(children[0]):
        records = []
        for child in children[:MAX_RECORDS]:
            rec: dict[str, Any] = {_local(k): v for k, v in child.attrib.items()}
            for leaf in child:
                rec[_local(leaf.tag)] = (leaf.text or "").strip() or None
            records.append(rec)
        return _records_shape("xml", records)
    for n, el in enumerate(root.iter()):
        if n >= MAX_NODES:
            break
        for k, v in el.attrib.items():
            shape.add(_local(k), v)
        if el is not root:
            shape.add(_local(el.tag), (el.text or "").strip() or None if not len(el) else None)
    return shape if shape.keys else None


_KV_RE = re.compile(r"^\s*([A-Za-z_][\w.-]{0,60})\s*[=:]\s*(.*?)\s*$")
_SECTION_RE = re.compile(r"^\s*\[([^\]]{1,80})\]\s*$")
KEY_VALUE_SHARE = 0.6  # of the lines that are not blank or comments: fewer, and it is not key = value


def _key_value_shape(text: str) -> Shape | None:
    """INI and key = value configs ([section] headers count as keys too); None for other syntaxes
    (nginx blocks, Apache directives), which have no keys to match."""
    shape = Shape("ini")
    lines = [ln for ln in text.splitlines()[:5000] if ln.strip() and not ln.lstrip().startswith(("#", ";"))]
    matched = 0
    for line in lines:
        section = _SECTION_RE.match(line)
        if section:
            shape.add(section.group(1).strip(), None)
            matched += 1
            continue
        kv = _KV_RE.match(line)
        if kv:
            shape.add(kv.group(1), kv.group(2).strip("'\"") or None)
            matched += 1
    if not lines or matched < KEY_VALUE_SHARE * len(lines):
        return None
    return shape if shape.keys else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else str(tag)


def looks_like_xml(ex: Extraction) -> bool:
    head = ex.text[:200].lstrip("\ufeff \t\r\n")
    return (
        ex.metadata.get("extension") in (".xml", ".plist", ".xsd", ".rss", ".atom", ".pom")
        or "xml" in ex.mime_type
        or head.startswith("<?xml")
    )


_recent: dict[tuple[str, str, int], Shape | None] = {}
RECENT = 16  # routing and the learner's features read the same file's shape: parse it once
_unparsed: set[tuple[str, str, int]] = set()  # of the recent files, those that did not parse


def shape_of(ex: Extraction) -> Shape | None:
    """The keys and values of a structured file, or None for prose, code and media."""
    key = (ex.sha256, ex.kind, len(ex.text))
    if key in _recent:
        return _recent[key]
    unparsed = False
    try:
        shape = _shape_of(ex)
    except _Unparsed:
        shape, unparsed = None, True
    if len(_recent) >= RECENT:
        _recent.clear()
        _unparsed.clear()
    _recent[key] = shape
    if unparsed:
        _unparsed.add(key)
    return shape


def did_not_parse(ex: Extraction) -> bool:
    """Whether the file is written in a data language (YAML, TOML, JSON, XML) and does not parse."""
    shape_of(ex)
    return (ex.sha256, ex.kind, len(ex.text)) in _unparsed


class _Unparsed(Exception):
    """The text is not valid in the data language its name or content claims."""


def _shape_of(ex: Extraction) -> Shape | None:
    m = ex.metadata
    if ex.kind == "dataset":
        shape = _records_shape(str(m.get("format") or "data"), list(ex.records or []))
        for column in m.get("columns") or []:  # a header with no rows still names its columns
            shape.add(str(column), None)
        return shape
    text = ex.text[:MAX_PARSE_CHARS]
    try:
        if ex.kind == "code" and m.get("language") == "yaml":
            return _object_shape("yaml", _yaml(text))
        if ex.kind == "code" and m.get("language") == "toml":
            return _object_shape("toml", tomllib.loads(text))
        if ex.kind == "code" and m.get("language") in ("ini", "config"):
            return _key_value_shape(text)
        if ex.kind == "text" and m.get("is_json"):
            body = strip_jsonc(text.lstrip("\ufeff")) if m.get("jsonc") else text.lstrip("\ufeff")
            return _object_shape("json", msgspec.json.decode(body))
        if ex.kind == "text" and looks_like_xml(ex):
            return _xml(text)
    except yaml.constructor.ConstructorError:
        return None  # well-formed YAML with a tool's own tags (!Ref, !REF): a config, read no further
    except (
        yaml.YAMLError,
        tomllib.TOMLDecodeError,
        msgspec.DecodeError,
        ET.ParseError,
        ValueError,
        RecursionError,
        TypeError,
    ):
        raise _Unparsed from None
    front = m.get("front_matter")
    if ex.kind == "markdown" and isinstance(front, dict) and front:
        shape = Shape("front matter")
        for key, value in front.items():
            shape.add(str(key), value)
        return shape
    return None
