"""What the three subsystem services share: finding a row by its natural key, locking it across
hosts, times in and out (the indexes their lookups need come with the models: storage/links.py)."""

from __future__ import annotations

from datetime import datetime, UTC
from typing import TYPE_CHECKING, Any, overload
from collections.abc import Callable


from ..errors import InvalidParams, NotFound
from ..ingest.commits import GroupCommit
from ..storage import compiled

if TYPE_CHECKING:
    from ..events import EventBus
    from ..storage import Store
    from ..storage.models import MemoryModel


class TableService:
    """A service that records into one memory table, named by ``table``."""

    table: str

    def __init__(self, store: Store, events: EventBus, prepare: Callable[[list[str]], None] | None = None) -> None:
        self.store = store
        self.events = events
        # Reports are durable before their reply, and the ones that queue up while the writer
        # is busy share one transaction (in one savepoint, or each in its own should one fail;
        # keyed by record, for lock order). Their writes only touch the database: rerunnable.
        self.commits = GroupCommit(store, rerunnable=True, prepare=prepare)

    @property
    def model(self) -> Any:
        # Looked up at each use: an approved schema change replaces the model.
        return self.store.model(self.table)


def lock(store: Store, key: str) -> None:
    """Inside a write: serialize changes to one record across daemons sharing a PostgreSQL.

    A transaction-scoped advisory lock also covers records that do not exist yet (two hosts
    registering one agent at once). SQLite needs nothing: one daemon, one writer thread."""
    if store.backend == "postgresql" and key not in store.held_locks():
        store.db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))


def lock_all(store: Store, keys: list[str]) -> None:
    """At the start of a write, outside any savepoint (whose rollback would release them): the
    locks of :func:`lock` on every key, in the order given, in one round trip, held to the
    write's end; :func:`lock` then skips them. A group of agents' reports saves a round trip each."""
    if store.backend != "postgresql" or not keys:
        return
    keys = list(dict.fromkeys(keys))
    store.db.execute_sql(
        "SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM "
        "(SELECT k FROM unnest(%s::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i) AS ordered",
        (keys,),
    )
    store.held_locks().update(keys)


_FIND_SQL: dict[tuple[type, str, int], tuple[str, list[Any]]] = {}


def find(model: type[MemoryModel], column: str, value: str) -> Any:
    """The row whose ``column`` is ``value`` (the oldest, should ingestion have added another), or None."""
    rows = find_all(model, column, [value], first=True)
    return rows[0] if rows else None


def find_all(model: type[MemoryModel], column: str, values: list[str], first: bool = False) -> list[Any]:
    """The rows whose ``column`` is one of ``values``, oldest first (only the oldest: ``first``).

    The SQL is built once per model, column and number of values (rounded up to a power of
    two, the last value repeated: few shapes): Peewee spends far longer writing a query of
    some 25 columns than SQLite spends running it, and agents call this on every report."""
    n = 1 if first else 1 << max(len(values) - 1, 0).bit_length()
    key = (model, column, 0 if first else n)
    if key not in _FIND_SQL:
        field = getattr(model, column)
        q = model.select().order_by(model.id)
        q = q.where(field == "\0").limit(1) if first else q.where(field.in_(["\0"] * n))
        sql, params = q.sql()
        _FIND_SQL[key] = (sql, params)
    sql, params = _FIND_SQL[key]
    wanted = iter(values + values[-1:] * (n - len(values)))
    cursor = model._meta.database.execute_sql(sql, [next(wanted) if v == "\0" else v for v in params])
    return compiled.instances(model, cursor)


def need(model: type[MemoryModel], column: str, value: str, what: str) -> Any:
    row = find(model, column, value)
    if row is None:
        raise NotFound(f"no {what} {value!r}")
    return row


@overload
def aware(value: datetime) -> datetime: ...


@overload
def aware(value: None) -> None: ...


@overload
def aware(value: datetime | None) -> datetime | None: ...


def aware(value: datetime | None) -> datetime | None:
    """A stored (naive UTC) time as an aware one, for results."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def naive_utc(value: datetime | None) -> datetime | None:
    """An incoming time as stored: UTC without tzinfo (a naive input is taken as UTC)."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01 with a positive offset is before the first UTC time
        raise InvalidParams(f"time {value.isoformat()} is out of range") from None
