"""A schema of its own on the project's PostgreSQL, for a test or a benchmark: made, then dropped."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pg_admin() -> Any:
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def fresh_schema(prefix: str = "t_") -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new schema, dropped (with the daemon's query.sql
    role for it) on the way out."""
    schema = prefix + uuid.uuid4().hex[:12]
    admin = pg_admin()
    with admin.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        drop_reader_role(admin, schema)
        admin.close()


def drop_reader_role(admin: Any, schema: str) -> None:
    """Drop the role a daemon made for query.sql on ``schema`` (roles outlive schemas)."""
    from daemon.storage.operator_sql import reader_role_name

    with admin.cursor() as cur:
        cur.execute("SELECT current_database()")
        role = reader_role_name(cur.fetchone()[0], schema)
        with contextlib.suppress(Exception):  # still in use by a daemon being stopped: harmless to leave
            cur.execute(f'DROP ROLE IF EXISTS "{role}"')
