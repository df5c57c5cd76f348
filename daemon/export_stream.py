"""Streaming exports: rows.export with ``stream: true`` sends a table in chunks.

The reply names the stream; then ``rows.export_chunk`` notifications carry the file in order
(``{stream, seq, rows, content}``) and one ``rows.export_done`` ends it (``{stream, rows}``,
or ``{stream, rows, error: {code, message}}``). One task per stream reads a keyset page on a
reader thread, renders it and writes it, waiting while the peer's socket is full: the daemon
holds one page at a time whatever the table's size, and a slow reader slows only its own
export. Closing the connection ends the stream.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

from .errors import DaemonError
from .protocol.errors import ErrorCode
from .protocol.rows import EXPORT_CHUNK, EXPORT_DONE
from .storage.export import render_chunk
from .storage.rows import list_rows

if TYPE_CHECKING:
    from .catalog import TableSpec
    from .rpc.connection import Connection
    from .storage import Store
    from .storage.models import MemoryModel

log = logging.getLogger(__name__)
PAGE = 2000  # rows per chunk
_ids = itertools.count(1)


def start_export(
    conn: Connection,
    store: Store,
    model: type[MemoryModel],
    spec: TableSpec,
    fmt: str,
    query: dict[str, Any],
    limit: int | None = None,
) -> int:
    """Begin streaming to ``conn``; returns the stream id. Call from the handler with no await
    after it, so the reply goes out before the first chunk."""
    sid = next(_ids)
    conn.streams += 1  # no idle timeout while it streams
    task = asyncio.create_task(_pump(conn, sid, store, model, spec, fmt, query, limit))
    conn.on_close.append(task.cancel)
    return sid


async def _pump(
    conn: Connection,
    sid: int,
    store: Store,
    model: type[MemoryModel],
    spec: TableSpec,
    fmt: str,
    query: dict[str, Any],
    limit: int | None,
) -> None:
    sent, seq, cursor = 0, 0, None
    try:
        while not conn.closed:
            size = PAGE if limit is None else min(PAGE, limit - sent)
            rows, cursor, _ = await store.read(
                lambda c=cursor, n=size: list_rows(model, spec, limit=n, cursor=c, count=False, **query)
            )
            if limit is not None and sent + len(rows) >= limit:
                cursor = None
            content = render_chunk(rows, spec, fmt, first=seq == 0, last=cursor is None)
            await conn.notify(EXPORT_CHUNK, {"stream": sid, "seq": seq, "rows": len(rows), "content": content})
            sent += len(rows)
            seq += 1
            if cursor is None:
                await conn.notify(EXPORT_DONE, {"stream": sid, "rows": sent})
                return
    except asyncio.CancelledError:
        pass
    except Exception as e:  # the stream ends with the error; the daemon and the connection go on
        if isinstance(e, DaemonError):
            error = {"code": int(e.code), "message": str(e)}
        else:
            log.exception("export stream %d of %s failed", sid, spec.name)
            error = {"code": int(ErrorCode.INTERNAL_ERROR), "message": "export failed; the daemon's log says why"}
        await conn.notify(EXPORT_DONE, {"stream": sid, "rows": sent, "error": error})
    finally:
        conn.streams = max(0, conn.streams - 1)
