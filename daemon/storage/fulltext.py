"""Full-text indexes over the memory tables, kept by the database itself.

SQLite: one FTS5 table per memory table (``<db_table>_fts``, rowid = the row's id, one FTS
column per text column), filled by AFTER INSERT / UPDATE OF / DELETE triggers, as Datasette
and sqlite-utils do it (``enable_fts(create_triggers=True)``). The FTS table keeps its own copy
of the text (SQLite 3.40 has no ``contentless_delete``, and an external-content index is
corrupted by a delete of values it never indexed, which a background backfill cannot rule out).

PostgreSQL: a GIN expression index on ``to_tsvector('simple', <text columns joined>)``; the
database keeps it in step with every write, whoever makes it. Its name carries a hash of the
column list, so a schema change builds a new one (CONCURRENTLY) and drops the old; queries
stay correct meanwhile, only slower.

Both backends match words by prefix ("quart rep" finds "Quarterly report"), all words required,
case ignored (accents too on SQLite); the database ranks, Python picks the column and the snippet from
the matching rows.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import peewee

from ..catalog import TableSpec
from .models import TEXT_TYPES, MemoryModel
from .rows import dict_rows, field_types, row_to_dict

SNIPPET = 60  # characters either side of the first match
MARK = ("<mark>", "</mark>")
_WORD = re.compile(r"[^\W_]+")
# SQLite tables whose index a schema change dropped in this process, until it is rebuilt: a
# search must not be sent to an FTS table that is gone (the indexer notices within seconds).
DETACHED: set[str] = set()
PG_CONCURRENT_ROWS = 50_000  # PostgreSQL: tables bigger than this get their index CONCURRENTLY


class SearchIndexState(peewee.Model):
    """How far each table's index is built (SQLite: rows backfilled; PostgreSQL: the index name)."""

    table = peewee.TextField(primary_key=True)  # the database table
    signature = peewee.TextField()  # the indexed columns, comma-separated
    backfill_to = peewee.BigIntegerField(default=0)  # rows with id <= this predate the triggers
    backfilled = peewee.BigIntegerField(default=0)  # ... and those with id <= this are indexed
    ready = peewee.BooleanField(default=False)

    class Meta:
        table_name = "clarity_search_index"


def text_columns(spec: TableSpec) -> list[str]:
    """The columns search looks in: every string or text column, common ones first."""
    return [name for name, ftype in field_types(spec).items() if ftype in TEXT_TYPES]


def signature(spec: TableSpec) -> str:
    return ",".join(text_columns(spec))


def words(text: str) -> list[str]:
    """The words of a query, lowercased (punctuation and underscores separate words)."""
    return [w.lower() for w in _WORD.findall(text)]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fts_table(db_table: str) -> str:
    return f"{db_table}_fts"


# -- SQLite: FTS5 table and triggers ---------------------------------------------------------


def detach(db: peewee.Database, db_table: str) -> None:
    """Drop a table's index and its triggers (inside the caller's transaction): before a schema
    change on SQLite, whose DROP COLUMN refuses a column a trigger names. The indexer builds
    the index again for the new columns."""
    if isinstance(db, peewee.PostgresqlDatabase):
        return  # an expression index goes with its column; the indexer rebuilds it
    DETACHED.add(db_table)
    for suffix in ("ai", "ad", "au"):
        db.execute_sql(f"DROP TRIGGER IF EXISTS {_q(f'{db_table}_fts_{suffix}')}")
    db.execute_sql(f"DROP TABLE IF EXISTS {_q(fts_table(db_table))}")
    SearchIndexState.delete().where(SearchIndexState.table == db_table).execute()


def attach_sqlite(db: peewee.Database, model: type[MemoryModel], spec: TableSpec) -> None:
    """(Re)create the FTS5 table and its triggers for the table's current text columns; the
    rows already there are left for :func:`backfill_chunk` (inside the caller's transaction)."""
    detach(db, spec.db_table)
    cols = text_columns(spec)
    t, f = _q(spec.db_table), _q(fts_table(spec.db_table))
    col_list = ", ".join(_q(c) for c in cols)
    new_values = ", ".join(f"new.{_q(c)}" for c in cols)
    db.execute_sql(f"CREATE VIRTUAL TABLE {f} USING fts5({col_list}, tokenize='unicode61 remove_diacritics 2')")
    db.execute_sql(
        f"CREATE TRIGGER {_q(spec.db_table + '_fts_ai')} AFTER INSERT ON {t} BEGIN "
        f"INSERT INTO {f}(rowid, {col_list}) VALUES (new.id, {new_values}); END"
    )
    db.execute_sql(
        f"CREATE TRIGGER {_q(spec.db_table + '_fts_ad')} AFTER DELETE ON {t} BEGIN "
        f"DELETE FROM {f} WHERE rowid = old.id; END"
    )
    # Only a change to a text column re-indexes the row (trust updates do not).
    db.execute_sql(
        f"CREATE TRIGGER {_q(spec.db_table + '_fts_au')} AFTER UPDATE OF {col_list} ON {t} BEGIN "
        f"DELETE FROM {f} WHERE rowid = old.id; "
        f"INSERT INTO {f}(rowid, {col_list}) VALUES (new.id, {new_values}); END"
    )
    DETACHED.discard(spec.db_table)
    top = model.select(peewee.fn.MAX(model.id)).scalar() or 0
    SearchIndexState.insert(
        table=spec.db_table, signature=signature(spec), backfill_to=top, backfilled=0, ready=top == 0
    ).execute()


def backfill_chunk(db: peewee.Database, spec: TableSpec, size: int) -> tuple[int, bool]:
    """Index the next ``size`` rows that predate the triggers (inside the caller's transaction,
    on the writer: no trigger runs beside it). Idempotent: the range is deleted first.
    Returns (rows indexed so far, done)."""
    state = SearchIndexState.get_or_none(SearchIndexState.table == spec.db_table)
    if state is None or state.ready:
        return (state.backfilled if state else 0), True
    cols = ", ".join(_q(c) for c in text_columns(spec))
    t, f = _q(spec.db_table), _q(fts_table(spec.db_table))
    row = db.execute_sql(
        f"SELECT id FROM {t} WHERE id > ? AND id <= ? ORDER BY id LIMIT 1 OFFSET ?",
        (state.backfilled, state.backfill_to, size - 1),
    ).fetchone()
    upper = row[0] if row else state.backfill_to
    db.execute_sql(f"DELETE FROM {f} WHERE rowid > ? AND rowid <= ?", (state.backfilled, upper))
    db.execute_sql(
        f"INSERT INTO {f}(rowid, {cols}) SELECT id, {cols} FROM {t} WHERE id > ? AND id <= ?", (state.backfilled, upper)
    )
    done = upper >= state.backfill_to
    SearchIndexState.update(backfilled=upper, ready=done).where(SearchIndexState.table == spec.db_table).execute()
    return upper, done


# -- PostgreSQL: a GIN expression index ------------------------------------------------------


def pg_vector(spec: TableSpec, alias: str = "") -> str:
    """The tsvector expression the index is built on; queries must use the same text."""
    prefix = f"{alias}." if alias else ""
    joined = " || ' ' || ".join(f"coalesce({prefix}{_q(c)}, '')" for c in text_columns(spec))
    return f"to_tsvector('simple'::regconfig, {joined})"


def pg_index_name(spec: TableSpec) -> str:
    digest = hashlib.sha1(signature(spec).encode()).hexdigest()[:8]
    return f"{spec.db_table[:48]}_fts_{digest}"


def _pg_rows_beyond(db: peewee.Database, table: str, limit: int) -> bool:
    """Whether ``table`` has more than ``limit`` rows: the planner's estimate, or a bounded
    count when the table was never analyzed (reltuples -1, as after a restore)."""
    estimate = db.execute_sql("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (_q(table),)).fetchone()
    if estimate and estimate[0] >= 0:
        return bool(estimate[0] > limit)
    counted = db.execute_sql(f"SELECT count(*) FROM (SELECT 1 FROM {_q(table)} LIMIT %s) s", (limit + 1,)).fetchone()
    return bool(counted[0] > limit)


def pg_build_index(db: peewee.Database, spec: TableSpec) -> bool:
    """Build the table's GIN index if missing and drop the indexes of older column lists.
    A big table's is built CONCURRENTLY (outside any transaction), so writers never wait on
    it; a small table's plainly, which takes a moment and, unlike CONCURRENTLY, never waits
    for other sessions' transactions to end. True when one was built."""
    name = pg_index_name(spec)
    existing = [
        r[0]
        for r in db.execute_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexname LIKE %s",
            (spec.db_table, f"{spec.db_table[:48]}_fts_%"),
        ).fetchall()
    ]
    how = "CONCURRENTLY " if _pg_rows_beyond(db, spec.db_table, PG_CONCURRENT_ROWS) else ""
    built = False
    if name in existing:
        valid = db.execute_sql(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass", (_q(name),)
        ).fetchone()
        if valid and not valid[0]:  # an interrupted CONCURRENTLY build leaves an invalid index
            db.execute_sql(f"DROP INDEX {how}IF EXISTS {_q(name)}")
            existing.remove(name)
    if name not in existing:
        db.execute_sql(
            f"CREATE INDEX {how}IF NOT EXISTS {_q(name)} ON {_q(spec.db_table)} USING gin (({pg_vector(spec)}))"
        )
        built = True
    for old in existing:
        if old != name:
            db.execute_sql(f"DROP INDEX {how}IF EXISTS {_q(old)}")
    return built


# -- querying --------------------------------------------------------------------------------


def matching_ids(db: peewee.Database, spec: TableSpec, text: str) -> peewee.SQL | None:
    """A ``id IN (...)`` condition for rows.list's ``search``; None when ``text`` has no word."""
    terms = words(text)
    if not terms:
        return None
    if isinstance(db, peewee.PostgresqlDatabase):
        return peewee.SQL(f"{pg_vector(spec)} @@ to_tsquery('simple', %s)", [_pg_query(terms)])
    return peewee.SQL(
        f"id IN (SELECT rowid FROM {_q(fts_table(spec.db_table))} WHERE {_q(fts_table(spec.db_table))} MATCH ?)",
        [_fts_query(terms)],
    )


def _fts_query(terms: list[str]) -> str:
    return " AND ".join('"' + t.replace('"', '""') + '"*' for t in terms)


def _pg_query(terms: list[str]) -> str:
    return " & ".join("'" + t.replace("'", "''").replace("\\", "\\\\") + "':*" for t in terms)


def ranked_ids(
    db: peewee.Database, spec: TableSpec, terms: list[str], limit: int, since: datetime | None, until: datetime | None
) -> list[tuple[int, float]]:
    """(id, score) of the best ``limit`` rows with every term; a higher score is a better match."""
    t = _q(spec.db_table)
    where, params = [], []
    for op, when in ((">=", since), ("<", until)):
        if when is not None:
            where.append(f"t.updated_at {op} {'%s' if isinstance(db, peewee.PostgresqlDatabase) else '?'}")
            params.append(when)
    extra = "".join(f" AND {w}" for w in where)
    if isinstance(db, peewee.PostgresqlDatabase):
        sql = (
            f"SELECT t.id, ts_rank({pg_vector(spec, 't')}, q) FROM {t} t, to_tsquery('simple', %s) q "
            f"WHERE {pg_vector(spec, 't')} @@ q{extra} ORDER BY 2 DESC, t.id DESC LIMIT %s"
        )
        args = [_pg_query(terms), *params, limit]
    else:
        f = _q(fts_table(spec.db_table))
        sql = (
            f"SELECT t.id, -bm25({f}) FROM {f} JOIN {t} t ON t.id = {f}.rowid "
            f"WHERE {f} MATCH ?{extra} ORDER BY 2 DESC, t.id DESC LIMIT ?"
        )
        args = [_fts_query(terms), *params, limit]
    return [(int(i), float(s)) for i, s in db.execute_sql(sql, args).fetchall()]


def _find(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans of the words of ``text`` that start with one of ``terms`` (case ignored)."""
    spans = []
    for m in _WORD.finditer(text):
        w = m.group().lower()
        if any(w.startswith(t) for t in terms):
            spans.append(m.span())
    return spans


def describe_hit(table: str, row: dict[str, Any], cols: list[str], terms: list[str], score: float) -> dict[str, Any]:
    """A hit as query.search returns it: the column matched and a snippet around the match,
    plain and with the matched words between <mark> and </mark>."""
    column, spans, text = "", [], ""
    for c in sorted(cols, key=lambda c: c == "source"):  # the text matched before its file's path
        value = row.get(c)
        if isinstance(value, str) and value:
            spans = _find(value, terms)
            if spans:
                column, text = c, value
                break
    title = next((str(row[c]) for c in cols if c != "source" and row.get(c)), f"#{row['id']}")
    snippet = highlighted = ""
    if column:
        start = max(0, spans[0][0] - SNIPPET)
        end = min(len(text), spans[0][1] + SNIPPET)
        pieces, at = [], start
        for a, b in spans:
            if a < start or b > end:
                continue
            pieces += [text[at:a], MARK[0], text[a:b], MARK[1]]
            at = b
        pieces.append(text[at:end])
        lead, tail = ("…" if start else ""), ("…" if end < len(text) else "")
        highlighted = lead + " ".join("".join(pieces).split()) + tail
        snippet = lead + " ".join(text[start:end].split()) + tail
    updated = row["updated_at"]
    return {
        "table": table,
        "id": row["id"],
        "title": title[:200],
        "column": column,
        "snippet": snippet,
        "highlighted": highlighted,
        "score": round(score, 6),
        "updated_at": updated.isoformat() if isinstance(updated, datetime) else str(updated),
    }


def search(
    db: peewee.Database,
    tables: list[tuple[str, type[MemoryModel], TableSpec]],
    text: str,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The best ``limit`` hits across ``tables``, best first (scores of different tables are
    compared as they are: both ranks grow with how often and how densely the words occur);
    and the tables whose index could not be read (dropped by a schema change a moment ago)."""
    terms = words(text)
    if not terms:
        return [], []
    found: list[tuple[float, str, int]] = []
    unreadable: list[str] = []
    for name, _model, spec in tables:
        try:
            found += [(score, name, row_id) for row_id, score in ranked_ids(db, spec, terms, limit, since, until)]
        except peewee.DatabaseError:
            unreadable.append(name)
    found.sort(key=lambda h: (-h[0], h[1], -h[2]))
    found = found[:limit]
    by_table: dict[str, list[int]] = {}
    for _, name, row_id in found:
        by_table.setdefault(name, []).append(row_id)
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    specs = {name: (model, spec) for name, model, spec in tables}
    for name, ids in by_table.items():
        model = specs[name][0]
        for r in dict_rows(model.select().where(model.id.in_(ids))):
            rows[(name, r["id"])] = row_to_dict(r)
    hits = [
        describe_hit(name, rows[(name, row_id)], text_columns(specs[name][1]), terms, score)
        for score, name, row_id in found
        if (name, row_id) in rows
    ]
    return hits, unreadable
