"""What operator SQL (``query.sql``) may say, checked before and while it runs.

Two layers, because the text alone cannot be trusted (quoting, escapes) and the database
alone cannot refuse everything (a PostgreSQL superuser may read files inside a read-only
transaction):

* :func:`check_statement` looks at the text: exactly one statement, starting with SELECT,
  WITH, VALUES or TABLE; no transaction control, SET/RESET, COPY, ATTACH or PRAGMA ever
  gets to the database; on PostgreSQL no function that changes the session's role or
  settings or takes advisory locks, and no ``U&`` escapes that could spell one.
* :func:`sqlite_authorizer` is installed on the SQLite connection that runs operator SQL:
  it allows SELECT, reads of the tables it is given, recursive CTEs and ordinary functions,
  and denies everything else (ATTACH, PRAGMA, writes, load_extension...). On PostgreSQL the
  same job is done by running the statement as a role that may only read the memory tables
  (see :mod:`.operator_sql`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from ..errors import InvalidParams

# The statements a read-only query may start with (EXPLAIN is not one: PostgreSQL's EXPLAIN
# ANALYZE runs the statement, and neither backend can stream it through a cursor).
FIRST_WORDS = {"select", "with", "values", "table"}

# PostgreSQL functions refused by name: set_config can switch the role (SET ROLE) or the
# session's limits back; advisory locks outlive the transaction; ts_stat, ts_rewrite and
# the *_to_xml family run SQL given as a string, which the checks here cannot see into;
# the rest reach the server. (The reader role refuses most of these anyway.)
PG_DENIED = re.compile(
    r"\b(set_config|pg_advisory\w*|pg_try_advisory\w*|pg_read\w*|pg_ls_\w*|pg_stat_file|lo_\w+|"
    r"pg_reload_conf|pg_rotate_logfile|pg_terminate_backend|pg_cancel_backend|pg_promote|"
    r"pg_switch_wal|dblink\w*|pg_file_\w+|pg_logdir_ls|query_to_xml\w*|table_to_xml\w*|"
    r"cursor_to_xml\w*|schema_to_xml\w*|database_to_xml\w*|ts_stat|ts_rewrite|pg_notify)\b"
)

# SQLite functions refused even though the connection never enables extensions.
SQLITE_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
# Tables every SQLite statement may read: the schema (names and CREATE statements only).
SQLITE_ALWAYS_READABLE = {"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"}


def _code_of(sql: str) -> str:
    """The statement with string literals emptied, comments blanked and quoted identifiers
    unquoted (so ``"set_config"`` is still seen), lower-cased. Raises InvalidParams on a
    ``U&`` escape, whose meaning the text does not show."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "uU" and sql[i + 1 : i + 2] == "&" and sql[i + 2 : i + 3] in ("'", '"'):
            raise InvalidParams("U& escapes are not allowed in query.sql")
        if c == "'":  # a string: '' inside is an escaped quote
            j = i + 1
            while j < n:
                if sql[j] == "'":
                    if sql[j + 1 : j + 2] == "'":
                        j += 2
                        continue
                    break
                j += 1
            out.append("''")
            i = j + 1
        elif c == '"':
            j = sql.find('"', i + 1)
            j = n if j < 0 else j
            out.append(" " + sql[i + 1 : j] + " ")
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
            out.append(" ")
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif (
            c == "$"
            and (m := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:]))
            and not (i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_"))
        ):  # a PostgreSQL dollar-quoted string $tag$...$tag$
            tag = m.group(0)
            j = sql.find(tag, i + len(tag))
            i = n if j < 0 else j + len(tag)
            out.append("''")
        else:
            out.append(c)
            i += 1
    return "".join(out).lower()


def check_statement(sql: str, postgres: bool) -> None:
    """Refuse (InvalidParams) anything but one read-only query; see the module's docstring."""
    code = _code_of(sql).strip()
    body = code.rstrip("; \t\r\n")
    if ";" in body:
        raise InvalidParams("one statement at a time")
    first = re.match(r"[(\s]*([a-z_]+)", body)
    if first is None or first.group(1) not in FIRST_WORDS:
        raise InvalidParams("query.sql runs queries only: SELECT, WITH, VALUES or TABLE")
    if postgres and (m := PG_DENIED.search(body)):
        raise InvalidParams(f"{m.group(1)}() is not allowed in query.sql")


def sqlite_authorizer(readable: frozenset[str]) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    """An authorizer for ``sqlite3.Connection.set_authorizer``: SELECT from the tables in
    ``readable`` (and the schema table), ordinary functions, nothing else."""

    def authorize(action: int, arg1: str | None, arg2: str | None, dbname: str | None, source: str | None) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            # A CTE's rows come with no database name; real tables always have one.
            ok = dbname is None or (dbname == "main" and (arg1 in readable or arg1 in SQLITE_ALWAYS_READABLE))
            return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            return sqlite3.SQLITE_DENY if (arg2 or "").lower() in SQLITE_DENIED_FUNCTIONS else sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY  # ATTACH, PRAGMA, transactions, every write and DDL

    return authorize
