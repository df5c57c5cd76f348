"""system.* handlers."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import msgspec

from .. import __version__
from ..backup import backup as backup_database
from ..errors import NotFound
from ..protocol import system as p
from ..protocol.registry import METHODS
from ..rpc.router import CallContext, handles, help_of
from ..storage import mask_url

if TYPE_CHECKING:
    from ..service import Daemon


@handles(p.HEALTH)
async def health(ctx: CallContext, params: p.NoParams) -> p.Health:
    """Answers whether the daemon is up and can read and write its database (reads: known
    from the daemon's own reads and writes of the last second, else tried, within 2 seconds,
    at most once a second; writes are known to fail once one has failed, until a probe gets
    through).

    ``status`` is "ok" when both work, "degraded" when either does not, "starting" while the
    socket answers but ingestion and the jobs are not running yet, and ``reason`` says why;
    ``query_sql`` says whether operator SQL is offered. ``notices`` says what an operator
    should know, e.g. schema-file changes left pending at start (README, "Upgrades").
    ``search_index`` says whether the full-text indexes are ready or how many rows are left."""
    d = ctx.daemon
    reasons: list[str] = []
    ok, why = await d.store.reachable()
    if not ok:
        reasons.append(why)
    notices: list[str] = []
    if ok and d.governance.upgrade_pending:
        waiting = await d.store.read(d.governance.still_pending, d.governance.upgrade_pending)
        if waiting:
            notices.append(
                f"{len(waiting)} change(s) in the schema files wait for an operator: proposals "
                f"{', '.join(map(str, waiting))} (proposals.pending kind=schema)"
            )
    write_error = d.store.write_error
    if write_error is not None:
        reasons.append(f"writes fail: {write_error}")
    if reasons:
        status = "degraded"
    elif not d.started:
        status = "starting"
        reasons.append("starting: the watched folders and the periodic jobs are not running yet")
    else:
        status = "ok"
    return p.Health(
        status=status,
        database=d.store.backend,
        database_ok=ok,
        uptime_s=round(time.monotonic() - d.started_monotonic, 3),
        version=__version__,
        connections=len(d.rpc.connections),
        notices=notices,
        database_writable=write_error is None,
        reason="; ".join(reasons),
        query_sql=d.store.operator_sql.status,
        search_index=_search_index(d),
    )


def _search_index(d: Daemon) -> p.SearchIndexHealth:
    s = d.search_index.progress
    return p.SearchIndexHealth(
        state=s.state, tables_pending=s.tables_pending, rows_done=s.rows_done, rows_total=s.rows_total, error=s.error
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


@handles(p.BACKUP)
async def backup(ctx: CallContext, params: p.BackupParams) -> p.Backup:
    """Backs up the database, while the daemon keeps serving, into ``path``: an absolute path
    to a file that does not exist yet, in a folder you may write (the daemon checks your
    permissions, not only its own; under systemd it can reach only its state folder and
    ReadWritePaths=). SQLite: a consistent copy through SQLite's online backup API, one
    self-contained database file. PostgreSQL: ``pg_dump --format=custom`` of the daemon's
    schema (pg_dump must be installed). The file is yours when the daemon runs as root, else
    the daemon's, mode 0640. ``clarity restore PATH`` puts it back, with the daemon stopped.
    INVALID_PARAMS for a relative or existing path, FORBIDDEN for a folder you may not
    write, INVALID_STATE when the copy fails."""
    store = ctx.daemon.store
    schema = None
    if store.backend == "postgresql":  # the schema the daemon's tables live in (first on its search_path)
        schema = await store.read(lambda: store.db.execute_sql("SELECT current_schema()").fetchone()[0])
    result = await asyncio.get_running_loop().run_in_executor(
        None, backup_database, ctx.daemon.config.database, schema, params.path, ctx.identity
    )
    return p.Backup(**result)
