"""The daemon's life: start the parts in order, serve, and stop them in reverse.

One signal map: SIGTERM and SIGINT drain and stop; SIGHUP reloads the configuration.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import logging
import os
import signal
import time
from collections.abc import Callable
from datetime import datetime, UTC

import peewee

from . import handlers  # noqa: F401  (binds every RPC handler)
from . import sdnotify, state_dir
from .alerts.engine import Alerts
from .catalog import load_catalog
from .config import Config, ConfigError, load_config
from .dropfolder import ensure_drop_folder
from .errors import InvalidState
from .events import EventBus
from .governance import Governance, PolicyError, load_policy, policy_path
from .inference.learning import Learner
from .ingest import Ingest
from .ingest.batches import Batches
from .jobs import Jobs
from .logs import set_level
from .rpc.server import RpcServer
from .storage import Store, mask_url, open_database
from .storage.fulltext import SearchIndexState
from .storage.indexer import SearchIndexer
from .subsystems import Subsystems

STOP_SLACK_S = 5.0  # beyond the two drains, for closing the store and the rest

log = logging.getLogger("clarityd")


class Daemon:
    """The daemon's parts, built and started in order by :meth:`start`; handlers reach them here.
    The services exist from the moment the RPC server answers."""

    store: Store
    events: EventBus
    governance: Governance
    learner: Learner
    jobs: Jobs
    ingest: Ingest
    ingest_batches: Batches
    subsystems: Subsystems
    alerts: Alerts
    search_index: SearchIndexer
    rpc: RpcServer

    def __init__(self, config: Config) -> None:
        self.config = config
        self.pid = os.getpid()
        self.started_at = datetime.now(UTC)
        self.started_monotonic = time.monotonic()
        self.stopping = False
        self.started = False
        self._stop = asyncio.Event()
        self._reload_when_started = False
        self._state_lock: int | None = None

    # -- start ------------------------------------------------------------------------

    async def start(self) -> None:
        c = self.config
        loop = asyncio.get_running_loop()
        # Signals first: a SIGTERM while starting must wait for start to finish, then stop.
        for sig, action in self._signal_map().items():
            loop.add_signal_handler(sig, action)
        # The state folder first, private and locked: nothing is opened in it before the lock.
        state_dir.prepare(c.state_dir, c.socket_group)
        self._state_lock = state_dir.lock(c.state_dir)
        if str(c.inbox) in c.watch:  # the group drops files there (2770), also into an inbox made before
            try:
                ensure_drop_folder(str(c.inbox), repair=True)
            except OSError as e:  # the watcher reports the folder as missing and tries again
                log.error("inbox %s: %s", c.inbox, e.strerror or e)
        # Watched folders are created (or reported missing) by the ingest watcher.
        # The services, built once here in dependency order, each given only what it uses. Those
        # keeping tables register them as they are built, so before create_tables; none does any
        # work before its start below. The live catalog is store.catalog: schema changes replace it.
        self.store = Store(open_database(c.database), load_catalog(c.schemas_dir))
        self.events = EventBus(self.store, loop)
        self.governance = Governance(self.store, self.events, load_policy(policy_path(c)))
        self.learner = Learner(self.store, self.events)  # learns routing from operators' decisions
        self.jobs = Jobs(self.store)
        self.ingest = Ingest(
            self.store, self.events, self.governance, self.learner, self.jobs, self._current_config
        )  # read at use: SIGHUP replaces the configuration
        self.ingest_batches = Batches(self.ingest)  # ingest.batch: many files in one call
        self.subsystems = Subsystems(self)  # agents, work orders, playbooks, event stream
        self.alerts = Alerts(self.store, self.events, lambda: self.config.alerts)
        self.store.register(SearchIndexState)
        self.search_index = SearchIndexer(self.store)  # full-text indexes, built in the background once started
        self.rpc = RpcServer(self)
        async with self.store.schema_lock():  # daemons starting together on one PostgreSQL take turns
            # Before the memory tables are created: an upgrade's new tables come through proposals
            # (prepare also replays schema changes made at run time).
            await self.store.write(self.governance.prepare)
            await loop.run_in_executor(None, self.store.create_tables)
            if isinstance(self.store.db, peewee.SqliteDatabase):
                state_dir.narrow_sqlite_files(self.store.db.database)
            await self.store.operator_sql.prepare()  # query.sql's read-only role (PostgreSQL)
        await self.subsystems.prepare()  # indexes and the PostgreSQL event relay, before any call
        await self.rpc.start(c.socket, c.socket_group)
        self.jobs.start()
        self.governance.schedule(self.jobs, c.governance.schema_sync_s)
        await self.ingest.start()
        await self.subsystems.start()  # sweep and retention jobs
        self.alerts.start()
        self.started = True
        self.search_index.start()
        if self._reload_when_started:
            asyncio.ensure_future(self._reload_on_signal())
        log.info(
            "serving %d tables from %s on %s; watching %s",
            len(self.store.catalog),
            mask_url(c.database),
            c.socket,
            ", ".join(c.watch),
        )
        sdnotify.notify("READY=1", f"STATUS=serving on {c.socket}")
        # What start-up built (modules, catalog, models, compiled statements) lives as long as
        # the daemon: out of the collector's sight, a full collection no longer walks it all.
        # Such a collection stopped every call and write for ~45 ms, a few times a minute under load.
        gc.collect()
        gc.freeze()

    def _signal_map(self) -> dict[signal.Signals, Callable[[], object]]:
        return {
            signal.SIGTERM: self.request_stop,
            signal.SIGINT: self.request_stop,
            signal.SIGHUP: lambda: asyncio.ensure_future(self._reload_on_signal()),
        }

    async def _reload_on_signal(self) -> None:
        if not self.started:
            # The socket answers before start ends: a SIGHUP then is kept and done once started.
            log.info("SIGHUP while starting: reloading once started")
            self._reload_when_started = True
            return
        try:
            await self.reload()
        except InvalidState:
            pass  # already logged; the running configuration stays

    def _current_config(self) -> Config:
        return self.config

    # -- run and stop -----------------------------------------------------------------

    async def run(self) -> None:
        await self.start()
        await self._stop.wait()
        await self.stop()

    def request_stop(self) -> None:
        if not self.stopping:
            log.info("stopping: draining in-flight requests")
            self.stopping = True
            sdnotify.notify("STOPPING=1")
            self._stop.set()

    async def stop(self) -> None:
        self.stopping = True
        loop = asyncio.get_running_loop()
        # Past both drains' time, something is stuck: every thread's stack goes to stderr (the
        # journal), so whoever finds a daemon that will not stop sees where it waits.
        faulthandler.dump_traceback_later(2 * self.config.limits.drain_timeout_s + STOP_SLACK_S)
        for sig in self._signal_map():
            loop.remove_signal_handler(sig)
        self.jobs.stop()
        self.alerts.stop()
        self.subsystems.stop()  # ends event streams
        await self.ingest.stop(self.config.limits.drain_timeout_s)
        await self.rpc.drain(self.config.limits.drain_timeout_s)
        await self.store.settle()  # what waits in memory (agents' heartbeats) is written before closing
        await loop.run_in_executor(None, self.search_index.stop)
        await loop.run_in_executor(None, self.store.close)
        try:
            os.unlink(self.config.socket)
        except FileNotFoundError:
            pass
        if self._state_lock is not None:
            os.close(self._state_lock)  # releases the state folder for the next daemon
            self._state_lock = None
        faulthandler.cancel_dump_traceback_later()
        log.info("stopped")

    # -- reload -----------------------------------------------------------------------

    async def reload(self) -> list[str]:
        """Re-read configuration; apply what can change live, say what needs a restart."""
        sdnotify.reloading()
        try:
            new = load_config()
        except ConfigError as e:
            log.error("reload refused, keeping the running configuration: %s", e)
            sdnotify.notify("READY=1", "STATUS=reload failed; old configuration kept")
            raise InvalidState(f"configuration not reloaded, the running one stays: {e}") from e
        old, changes = self.config, []
        if old.ingest.folders != new.ingest.folders:
            log.warning("ingest.folders changed in the configuration: restart clarityd to apply it")
            new.ingest.folders = old.ingest.folders
        for name in ("roles", "limits", "log_level", "ingest", "queries", "alerts"):
            if getattr(old, name) != getattr(new, name):
                changes.append(name)
        for name in ("socket", "database", "state_dir", "schemas_dir", "watch"):
            if getattr(old, name) != getattr(new, name):
                log.warning("%s changed in the configuration: restart clarityd to apply it", name)
                setattr(new, name, getattr(old, name))
        try:
            policy = load_policy(policy_path(new))
        except PolicyError as e:
            log.error("reload refused, keeping the running configuration and policy: %s", e.message)
            sdnotify.notify("READY=1", "STATUS=reload failed; old policy kept")
            raise InvalidState(f"policy not reloaded, the running one stays: {e.message}") from e
        if self.governance.use_policy(policy):
            changes.append("policy")
        self.config = new
        set_level(new.log_level)
        self.rpc.refresh_identities()
        log.info("configuration reloaded (%s)", ", ".join(changes) or "no live changes")
        sdnotify.notify("READY=1", f"STATUS=serving on {new.socket}")
        return changes
