"""Schema matching: a structured file's keys mapped onto each table's fields.

A key matches a field when their normalised names meet (case, separators, plurals,
common abbreviations, unit suffixes such as ``_minutes``) or when the key is one of the
names the schema declares for the field (``aliases:``), the labels people write for it
(:data:`~daemon.inference.fields.LABELS`) or the table's column hints. Each match is then
checked against the values sampled from the file: an ``rpo`` column of numbers fits
``rpo_minutes``; an ``owner`` column of dates does not.

A key that names a field of many tables ("name", "status") says little about which table
the file belongs in; its weight is its specificity, ``log(1 + T/n) / log(1 + T)`` for a key
that fits n of T tables. A table's match reports its **strength** (sum of the weights of
the keys it maps), its **coverage** (share of its fields the file fills) and how much of
the file it **explains** (share of the file's keys it maps).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..catalog import TableSpec
from ..extract.dataset import value_type
from .fields import LABELS
from .shapes import Shape
from .values import coerce_to, parse_date

# Abbreviations people use in column names, read as the word (general English, not a corpus list).
ABBREVIATIONS = {
    "qty": "quantity",
    "amt": "amount",
    "desc": "description",
    "descr": "description",
    "num": "number",
    "no": "number",
    "nbr": "number",
    "dt": "date",
    "ts": "timestamp",
    "sev": "severity",
    "pct": "percent",
    "perc": "percent",
    "env": "environment",
    "cfg": "config",
    "conf": "config",
    "acct": "account",
    "addr": "address",
    "dept": "department",
    "mgr": "manager",
    "svc": "service",
    "src": "source",
    "dst": "destination",
    "dest": "destination",
    "msg": "message",
    "err": "error",
    "lr": "learning_rate",
    "ccy": "currency",
    "cur": "currency",
    "curr": "currency",
    "bal": "balance",
    "txn": "transaction",
    "tx": "transaction",
    "org": "organisation",
    "organization": "organisation",
    "freq": "frequency",
    "bs": "batch_size",
    "hb": "heartbeat",
    "params": "parameter",
    "param": "parameter",
}
# Words a heading adds to a field's name ("The plays", "Our tools").
ARTICLES = {"the", "a", "an", "our", "your", "their"}
# Unit and time-point words that qualify a name without changing what it is
# ("retention_days" ~ "retention", "started_at" ~ "started").
UNIT_TOKENS = {
    "minute",
    "min",
    "mins",
    "second",
    "sec",
    "secs",
    "ms",
    "millisecond",
    "hour",
    "hr",
    "hrs",
    "day",
    "week",
    "month",
    "year",
    "percent",
    "usd",
    "eur",
    "gb",
    "mb",
    "kb",
    "tb",
    "at",
    "on",
    "utc",
    "iso",
    "in",
}

EXACT = 1.0  # the key is the field's name, or a name the schema gives it
CORE = 0.85  # equal once units and time-point words are dropped
CONTAINS = 0.7  # the key holds all the words of a multi-word field name ("backup_retention_days")
TYPE_MISFIT = 0.25  # a name that fits whose values do not: weak evidence
NO_VALUES = 0.8  # only the name to go on (a header-only file, an empty key)


_QUALIFIER_RE = re.compile(r"\s*[(\[]([^()\[\]]{1,40})[)\]]")
_CAMEL_RE = re.compile(r"([a-z0-9])([A-Z])")
_ACRONYM_RE = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_RE = re.compile(r"[a-z0-9]+")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def name_tokens(name: str) -> tuple[str, ...]:
    """A key or field name as words: camelCase split, lowercased, singular, abbreviations read."""
    name = _CAMEL_RE.sub(r"\1_\2", str(name).strip().lstrip("\ufeff"))
    name = _ACRONYM_RE.sub(r"\1_\2", name)
    out: list[str] = []
    for word in _WORD_RE.findall(name.lower()):
        if word in ARTICLES:
            continue
        word = ABBREVIATIONS.get(word, word)
        out.extend(_singular(w) for w in word.split("_"))
    return tuple(out)


def _core(toks: tuple[str, ...]) -> tuple[str, ...]:
    core = tuple(t for t in toks if t not in UNIT_TOKENS)
    return core if core != toks else ()


@dataclass(frozen=True)
class Target:
    table: str
    field: str  # a field name, or "" for a column hint that names no field
    ftype: str | None


@dataclass
class SchemaIndex:
    """Every table's field names, aliases, labels and column hints, by normalised form."""

    exact: dict[tuple[str, ...], set[Target]] = field(default_factory=dict)
    core: dict[tuple[str, ...], set[Target]] = field(default_factory=dict)
    # Multi-word names by their first word in sorted order: a key holding all of a name's
    # words holds that one, so only those names are checked.
    multi: dict[str, list[tuple[frozenset[str], Target]]] = field(default_factory=dict)
    tables: int = 0
    _memo: dict[str, dict[Target, float]] = field(default_factory=dict)

    def add(self, term: str, target: Target) -> None:
        toks = name_tokens(term)
        if not toks:
            return
        self.exact.setdefault(toks, set()).add(target)
        core = _core(toks)
        if core:
            self.core.setdefault(core, set()).add(target)
        if len(toks) >= 2:
            self.multi.setdefault(min(toks), []).append((frozenset(toks), target))

    def lookup(self, key: str) -> dict[Target, float]:
        """Every (table, field) the key may name, with how well the names meet."""
        memo = self._memo.get(key)
        if memo is not None:
            return memo
        toks = name_tokens(key)
        found: dict[Target, float] = {}
        if toks:
            for t in self.exact.get(toks, ()):
                found[t] = EXACT
            core = _core(toks) or toks
            for t in self.core.get(core, ()):
                found.setdefault(t, CORE)
            for t in self.exact.get(core, ()):
                found.setdefault(t, CORE)
            if len(toks) >= 2:
                have = set(toks)
                for word in have:
                    for words, t in self.multi.get(word, ()):
                        if t not in found and words <= have:
                            found[t] = CONTAINS
        qualified = _QUALIFIER_RE.search(key)
        if qualified and key.strip() != qualified.group(0).strip():
            # "schedule (cron)", "assignee (agent)", "duration (ms)": the name and its qualifier
            # are each a name the column may go by, as sure as a name with a unit dropped.
            for part in (key[: qualified.start()] + key[qualified.end() :], qualified.group(1)):
                for t, fit in self.lookup(part).items():
                    found.setdefault(t, min(fit, CORE))
        # In one order whatever the hash seed (the sets above iterate in a per-process one):
        # of two fields a key names equally well, the same one wins in every worker process.
        found = dict(sorted(found.items(), key=lambda item: (item[0].table, item[0].field)))
        if len(self._memo) >= MEMO_KEYS:
            self._memo.clear()
        self._memo[key] = found
        return found


MEMO_KEYS = 20_000  # key names remembered with their matches (keys repeat across files)


def build_index(catalog: dict[str, TableSpec]) -> SchemaIndex:
    index = SchemaIndex(tables=len(catalog))
    for spec in catalog.values():
        by_tokens = {name_tokens(f.name): f for f in spec.fields}
        for f in spec.fields:
            target = Target(spec.name, f.name, f.type)
            for term in [f.name, *f.aliases, *LABELS.get(f.name, [])]:
                index.add(term, target)
        for hint in spec.hints.columns:
            hinted = by_tokens.get(name_tokens(hint))
            index.add(hint, Target(spec.name, hinted.name, hinted.type) if hinted else Target(spec.name, "", None))
    return index


_index_cache: dict[int, tuple[tuple[Any, ...], SchemaIndex]] = {}


def index_for(catalog: dict[str, TableSpec]) -> SchemaIndex:
    """The index of a catalog, built once per catalog object (rebuilt if it changes)."""
    signature = tuple((name, id(spec)) for name, spec in catalog.items())
    cached = _index_cache.get(id(catalog))
    if cached and cached[0] == signature:
        return cached[1]
    index = build_index(catalog)
    if len(_index_cache) > 8:
        _index_cache.clear()
    _index_cache[id(catalog)] = (signature, index)
    return index


def type_fit(ftype: str | None, values: list[Any]) -> float:
    """Share of the sampled values that read as ``ftype`` (1.0 when nothing can be checked)."""
    vals = [v for v in values if v is not None and str(v).strip() != ""]
    if ftype is None or not vals:
        return 1.0
    ok = 0
    for v in vals:
        vt = value_type(v)
        if ftype in ("integer", "float"):
            good = vt in ("integer", "float") or (
                isinstance(v, str) and coerce_to(ftype, v) is not None and len(v) <= 24 and bool(re.search(r"\d", v))
            )
        elif ftype == "datetime":
            good = vt == "datetime" or (isinstance(v, (str, int)) and parse_date(str(v)) is not None)
        elif ftype == "boolean":
            good = vt == "boolean" or (isinstance(v, int) and v in (0, 1))
        elif ftype == "string":
            good = not isinstance(v, (dict, list)) and len(str(v)) <= 300
        else:  # text, list, json: anything a person writes
            good = True
        ok += good
    return ok / len(vals)


@functools.lru_cache(maxsize=256)
def specificity(tables_named: int, tables: int) -> float:
    """1.0 for a key that fits one table's fields, falling towards 0 as it fits more."""
    if tables_named <= 0:
        return 0.0
    return math.log(1 + tables / tables_named) / math.log(1 + tables)


@dataclass
class TableMatch:
    table: str
    strength: float = 0.0  # sum over mapped keys of name fit x value fit x specificity
    coverage: float = 0.0  # share of the table's fields the file fills
    explains: float = 0.0  # share of the file's keys mapped onto the table
    mapping: dict[str, str] = field(default_factory=dict)  # key -> field ("" for a column hint)
    fit: dict[str, float] = field(default_factory=dict)  # key -> name fit x value fit (per-field confidence)
    weight: dict[str, float] = field(default_factory=dict)  # key -> what it adds to strength
    distinct: int = 0  # mapped keys that are specific (fit few tables)

    def strength_beyond(self, other: TableMatch) -> float:
        """The strength of the keys ``other`` does not map: this table's own evidence against it."""
        return sum(w for k, w in self.weight.items() if k not in other.mapping)

    def describe(self, keys: list[str]) -> str:
        pairs = ", ".join(f"{k}->{f or '(hint)'}" for k, f in list(self.mapping.items())[:12])
        unmapped = [k for k in keys if k not in self.mapping]
        more = f"; unmapped: {', '.join(unmapped[:12])}" + (" ..." if len(unmapped) > 12 else "") if unmapped else ""
        return (
            f"keys fit {self.table} (strength {self.strength:.1f}, explains {self.explains:.0%} of the file's "
            f"{len(keys)} keys, covers {self.coverage:.0%} of the table): {pairs}{more}"
        )


SPECIFIC = 0.5  # a key at least this specific (fits at most ~5 of 33 tables) tells a table


def match_tables(shape: Shape, catalog: dict[str, TableSpec]) -> list[TableMatch]:
    """Every table some of the file's keys map onto, strongest first."""
    index = index_for(catalog)
    per_table: dict[str, TableMatch] = {}
    fits: dict[tuple[str, str | None], float] = {}
    for key in shape.keys:
        found = index.lookup(key)
        if not found:
            continue
        spec_w = specificity(len({t.table for t in found}), index.tables)
        best: dict[str, tuple[float, Target]] = {}
        for target, name_fit in found.items():
            if (target.ftype is not None) and (key, target.ftype) not in fits:
                fits[(key, target.ftype)] = type_fit(target.ftype, shape.values.get(key, []))
            vfit = fits.get((key, target.ftype), 1.0)
            if not any(v is not None for v in shape.values.get(key, [])):
                vfit = min(vfit, NO_VALUES)
            elif vfit < 0.5:
                vfit = TYPE_MISFIT
            score = name_fit * vfit
            held = best.get(target.table)
            # The better fit wins; on a tie a field beats a column hint that names none.
            if held is None or (score, bool(target.field)) > (held[0], bool(held[1].field)):
                best[target.table] = (score, target)
        for table, (score, target) in best.items():
            m = per_table.setdefault(table, TableMatch(table))
            if target.field and target.field in m.mapping.values():
                continue  # each field takes one key: the first, in file order
            m.mapping[key] = target.field
            m.fit[key] = round(score, 3)
            m.weight[key] = score * spec_w
            m.strength += score * spec_w
            m.distinct += spec_w >= SPECIFIC
    n_keys = max(len(shape.keys), 1)
    for m in per_table.values():
        m.explains = len(m.mapping) / n_keys
        fields = {f for f in m.mapping.values() if f}
        m.coverage = len(fields) / max(len(catalog[m.table].fields), 1)
    return sorted(per_table.values(), key=lambda m: (-m.strength, m.table))


def row_of(spec: TableSpec, mapping: dict[str, str], record: dict[str, Any]) -> dict[str, Any]:
    """One record (or a flattened object) as the table's fields, each in its type."""
    types = {f.name: f.type for f in spec.fields}
    row: dict[str, Any] = {}
    for key, name in mapping.items():
        if not name or name in row or key not in record:
            continue
        value = convert(types[name], record[key])
        if value is not None:
            row[name] = value
    return row


def convert(ftype: str, value: Any) -> Any:
    """A value from a file as the catalog type, or None when it does not read as one."""
    if value is None:
        return None
    if isinstance(value, str):
        return coerce_to(ftype, value)
    if ftype == "list":
        return [str(x) for x in value] if isinstance(value, list) else coerce_to("list", str(value))
    if ftype in ("string", "text"):
        if isinstance(value, (dict, list)):
            return None if ftype == "string" else coerce_to("text", value if isinstance(value, list) else str(value))
        return str(value)
    if ftype == "datetime":
        return parse_date(str(value))
    if ftype in ("integer", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return int(value) if ftype == "integer" else float(value)
    if ftype == "boolean":
        return value if isinstance(value, bool) else (bool(value) if value in (0, 1) else None)
    return msgspec.to_builtins(value)  # json: dates and the like as strings
