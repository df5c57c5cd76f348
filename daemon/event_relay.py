"""Events across hosts: every clarityd on one PostgreSQL hears the others' events.

:meth:`EventBus.emit` adds ``pg_notify`` to the transaction that records an event, so the
notice goes out exactly when (and only if) it commits. Here each daemon LISTENs on one extra
connection, watched by the event loop (no thread), and hands events written by other daemons
to its own listeners: subscribers on any host see every host's changes. The channel is named
after the database and schema, so deployments sharing a server do not hear each other.

Events sent while this connection was down are not replayed here; a console that reconnects
subscribes with ``after_id`` and gets them from the table.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import TYPE_CHECKING, Any

import msgspec

from .events import Event
from .storage.rows import row_to_dict

if TYPE_CHECKING:
    from .events import EventBus
    from .storage import Store

log = logging.getLogger(__name__)

RETRY_S = 5.0


class PgEventRelay:
    def __init__(self, bus: EventBus, store: Store) -> None:
        self.bus = bus
        self.store = store
        self.loop = asyncio.get_running_loop()
        self.channel: str | None = None
        self.conn: Any = None
        self._fd = -1
        self.received = 0  # events from other daemons, published here
        self._retry: asyncio.TimerHandle | None = None
        self._stopped = False

    async def start(self) -> None:
        """Name the channel, tell the bus to NOTIFY on it, and start listening."""
        db_name, schema = await self.store.read(
            lambda: self.store.db.execute_sql("SELECT current_database(), current_schema()").fetchone()
        )
        self.channel = "clarity_events_" + hashlib.sha1(f"{db_name}/{schema}".encode()).hexdigest()[:20]
        self.bus.notify_channel = self.channel
        await self._connect()

    def stop(self) -> None:
        self._stopped = True
        if self._retry is not None:
            self._retry.cancel()
        self._close()

    # -- the listening connection ---------------------------------------------------------

    async def _connect(self) -> None:
        self._retry = None
        if self._stopped:
            return
        try:
            conn = await self.loop.run_in_executor(None, self._open)
        except Exception as e:
            log.warning("event relay: cannot LISTEN on PostgreSQL (%s); retrying in %.0fs", e, RETRY_S)
            self._schedule_retry()
            return
        if self._stopped:
            conn.close()
            return
        self.conn = conn
        self._fd = conn.fileno()  # kept: a connection the server killed no longer tells its fileno()
        self.loop.add_reader(self._fd, self._on_readable)
        log.debug("event relay listening on %s", self.channel)

    def _open(self) -> Any:
        conn = self.store.db._connect()  # type: ignore[attr-defined]  # a new connection with the daemon's own parameters (autocommit)
        if not hasattr(conn, "poll"):
            conn.close()
            raise RuntimeError("events across hosts need psycopg2")
        with conn.cursor() as cur:
            cur.execute(f'LISTEN "{self.channel}"')
        return conn

    def _close(self) -> None:
        if self.conn is not None:
            try:
                self.loop.remove_reader(self._fd)
            except (ValueError, OSError):  # already closed underneath
                pass
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def _schedule_retry(self) -> None:
        if not self._stopped and self._retry is None:
            self._retry = self.loop.call_later(RETRY_S, lambda: asyncio.ensure_future(self._connect()))

    def _on_readable(self) -> None:
        conn = self.conn
        if conn is None:
            return
        try:
            conn.poll()  # reads what arrived; never blocks
        except Exception as e:
            log.warning("event relay: lost the LISTEN connection (%s); reconnecting", e)
            self._close()
            self._schedule_retry()
            return
        while conn.notifies:
            self._handle(conn.notifies.pop(0).payload)

    # -- one notice -----------------------------------------------------------------------

    def _handle(self, payload: str) -> None:
        try:
            message = msgspec.json.decode(payload)
        except msgspec.DecodeError:
            log.warning("event relay: unreadable notice %r", payload[:200])
            return
        if message.get("origin") == self.bus.origin:
            return  # ours: already published at commit
        self.received += 1
        if "event" in message:
            self.bus.publish(message["event"])
        elif "id" in message:  # too big for a notice: read it
            asyncio.ensure_future(self._fetch(int(message["id"])))

    async def _fetch(self, event_id: int) -> None:
        row = await self.store.read(lambda: Event.select().where(Event.id == event_id).dicts().first())
        if row is not None:
            self.bus.publish(row_to_dict(row))
