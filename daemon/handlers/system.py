"""system.* handlers."""

from __future__ import annotations

import asyncio
import time

import msgspec

from .. import __version__
from ..errors import NotFound
from ..protocol import system as p
from ..protocol.registry import METHODS
from ..rpc.router import CallContext, handles, help_of
from ..storage import mask_url


@handles(p.HEALTH)
async def health(ctx: CallContext, params: p.NoParams) -> p.Health:
    """Answers whether the daemon is up and can read and write its database (reads are
    tried, within 2 seconds; writes are known to fail once one has failed, until a probe
    gets through).

    ``status`` is "ok" when both work, "degraded" when either does not, and ``reason``
    says why; ``query_sql`` says whether operator SQL is offered."""
    d = ctx.daemon
    reasons = []
    try:
        ok = await asyncio.wait_for(d.store.read(d.store.ping), 2.0)
    except Exception as e:
        ok = False
        reasons.append(getattr(e, "message", None) or f"the database did not answer: {type(e).__name__}")
    write_error = d.store.write_error
    if write_error is not None:
        reasons.append(f"writes fail: {write_error}")
    return p.Health(
        status="ok" if ok and write_error is None else "degraded",
        database=d.store.backend,
        database_ok=ok,
        uptime_s=round(time.monotonic() - d.started_monotonic, 3),
        version=__version__,
        connections=len(d.rpc.connections),
        database_writable=write_error is None,
        reason="; ".join(reasons),
        query_sql=d.store.operator_sql.status,
    )


@handles(p.INFO)
async def info(ctx: CallContext, params: p.NoParams) -> p.Info:
    """The daemon's version, pid, paths, database (password masked), watched folders, the
    caller's identity and role as the daemon sees them, and whether (and as which
    PostgreSQL role) query.sql is offered."""
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
        query_sql=d.store.operator_sql.status,
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
