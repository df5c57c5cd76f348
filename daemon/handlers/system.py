"""system.* handlers."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import msgspec

from .. import __version__
from ..errors import NotFound
from ..protocol import system as p
from ..protocol.registry import METHODS
from ..rpc.router import CallContext, handles, help_of
from ..storage import mask_url

if TYPE_CHECKING:
    from ..service import Daemon


@handles(p.HEALTH)
async def health(ctx: CallContext, params: p.NoParams) -> p.Health:
    """Answers whether the daemon is up and can reach its database (within 2 seconds).

    ``status`` is "ok" when it can, "degraded" when it cannot. ``search_index`` says whether
    the full-text indexes are ready or how many rows are left to index."""
    d = ctx.daemon
    try:
        ok = await asyncio.wait_for(d.store.read(d.store.ping), 2.0)
    except Exception:
        ok = False
    return p.Health(
        status="ok" if ok else "degraded",
        database=d.store.backend,
        database_ok=ok,
        uptime_s=round(time.monotonic() - d.started_monotonic, 3),
        version=__version__,
        connections=len(d.rpc.connections),
        search_index=_search_index(d),
    )


def _search_index(d: "Daemon") -> p.SearchIndexHealth | None:
    indexer = getattr(d, "search_index", None)  # None while the daemon is starting
    if indexer is None:
        return None
    s = indexer.progress
    return p.SearchIndexHealth(state=s.state, tables_pending=s.tables_pending, rows_done=s.rows_done,
                               rows_total=s.rows_total, error=s.error)


@handles(p.INFO)
async def info(ctx: CallContext, params: p.NoParams) -> p.Info:
    """The daemon's version, pid, paths, database (password masked), watched folders, and
    the caller's identity and role as the daemon sees them."""
    d = ctx.daemon
    c = d.config
    return p.Info(
        version=__version__,
        pid=d.pid,
        started_at=d.started_at.isoformat(),
        socket=c.socket,
        state_dir=c.state_dir,
        database=mask_url(c.database),
        watch=c.watch,
        schemas_dir=c.schemas_dir,
        tables=len(d.store.catalog),
        methods=sorted(METHODS),
        caller=ctx.identity,
    )


@handles(p.DESCRIBE)
async def describe(ctx: CallContext, params: p.DescribeMethods) -> list[p.MethodDoc]:
    """The reference of every method (or of ``method``): role needed, params and result as
    JSON Schema, and this help text."""
    names = sorted(METHODS) if params.method is None else [params.method]
    docs = []
    for name in names:
        m = METHODS.get(name)
        if m is None:
            raise NotFound(f"no method {name!r}")
        docs.append(
            p.MethodDoc(
                name=name,
                role=m.role.name,
                summary=m.summary,
                help=help_of(name),
                params=msgspec.json.schema(m.params),
                result=msgspec.json.schema(m.result),
            )
        )
    return docs


@handles(p.RELOAD)
async def reload(ctx: CallContext, params: p.NoParams) -> p.Reloaded:
    """Re-reads the configuration file and environment, as SIGHUP does. Roles, limits and
    the log level change at once; a new socket or database path needs a restart."""
    changes = await ctx.daemon.reload()
    return p.Reloaded(reloaded=True, changes=changes)
