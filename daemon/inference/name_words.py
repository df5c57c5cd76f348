"""Domain words in a structured file's key or column names.

Schema matching maps whole names onto fields; a register's columns often use a table's words
without being any field's name ("Control owner", "Last internal audit" in a compliance
register). The words of each table's field names, aliases, column hints and keywords that
few tables use are its vocabulary; key names using several of one table's words are a domain
signal that keeps a generic routing (datasets, codebases) below sure.
"""

from __future__ import annotations

import re

from ..catalog import TableSpec
from .lexicon import tokens

GENERIC_TABLES = frozenset({"documents", "datasets", "codebases", "media"})
# A word of at most this many tables' vocabularies is telling ("audit", "rpo"); one of more
# ("owner", "status", "date") is what any register has.
SPECIFIC_TABLES = 3
MIN_WORD = 4  # shorter words ("id", "at", "ref") are parts of names, not vocabulary
# Several distinct words of one table, not one word seen twice...
NAME_WORDS_DISTINCT = 2
# ...in a fair share of the names: 2 of a taxi-trip export's 18 columns (vendor_id,
# payment_type) are a coincidence, 2 of a compliance register's 8 its subject.
NAME_WORDS_SHARE = 0.2
MAX_NAME_KEYS = 60  # key names read: a file's vocabulary is in its first keys

_cache: dict[int, tuple[object, dict[str, frozenset[str]]]] = {}


def _vocabulary(catalog: dict[str, TableSpec]) -> dict[str, frozenset[str]]:
    """word -> the domain tables whose names, aliases, column hints or keywords use it."""
    signature = tuple((name, id(spec)) for name, spec in catalog.items())
    cached = _cache.get(id(catalog))
    if cached and cached[0] == signature:
        return cached[1]
    users: dict[str, set[str]] = {}
    for name, spec in catalog.items():
        if name in GENERIC_TABLES:
            continue
        names = [f.name for f in spec.fields] + [a for f in spec.fields for a in f.aliases]
        names += list(spec.hints.columns) + list(spec.hints.keywords)
        for word in {w for n in names for w in tokens(re.sub(r"[_\-]+", " ", n)) if len(w) >= MIN_WORD}:
            users.setdefault(word, set()).add(name)
    vocab = {w: frozenset(t) for w, t in users.items() if len(t) <= SPECIFIC_TABLES}
    if len(_cache) > 8:
        _cache.clear()
    _cache[id(catalog)] = (signature, vocab)
    return vocab


def domain_words_in_names(keys: list[str], catalog: dict[str, TableSpec]) -> tuple[str, list[str]] | None:
    """(table, its words) when the key names use at least NAME_WORDS_DISTINCT distinct words of
    one domain table's vocabulary (the table with most), else None."""
    vocab = _vocabulary(catalog)
    named = {k: set(tokens(re.sub(r"[_\-]+|(?<=[a-z])(?=[A-Z])", " ", k))) for k in keys[:MAX_NAME_KEYS]}
    per_table: dict[str, list[str]] = {}
    for w in sorted(set().union(*named.values())):
        for table in vocab.get(w, ()):
            per_table.setdefault(table, []).append(w)
    if not per_table:
        return None
    table, found = max(per_table.items(), key=lambda kv: (len(kv[1]), kv[0]))
    using = sum(1 for words in named.values() if words.intersection(found))
    return (table, found) if len(found) >= NAME_WORDS_DISTINCT and using >= NAME_WORDS_SHARE * len(named) else None
