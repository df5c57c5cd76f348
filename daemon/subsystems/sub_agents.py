"""The sub-agent fleet: registration, status, tasks and trust, heartbeats and the offline sweep.

Agents report facts about themselves, so the service writes ``memory_sub_agents`` directly
(no proposal) and every change emits an event (subject ``agent/<agent_id>``):
agent.registered, agent.updated, agent.status, agent.task_completed, agent.offline,
agent.online, agent.retired. A bare heartbeat changes nothing worth an event.

Every method here runs inside ``Store.write`` (the writer thread), except :meth:`sweep`.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

import peewee
from msgspec import UNSET

from ..errors import InvalidState
from ..governance import SYSTEM_ACTOR
from ..protocol import sub_agents as p
from ..storage.models import utcnow
from .figures import INITIAL_TRUST, next_trust
from .records import TableService, aware, find, lock, need

if TYPE_CHECKING:
    from ..config import SubAgentsConfig
    from ..events import EventBus
    from ..storage import Store

log = logging.getLogger(__name__)

TABLE = "sub_agents"


class AgentTask(peewee.Model):
    """One finished task of an agent: the history behind its trust and the fleet's hourly figures."""

    id = peewee.BigAutoField()
    agent_id = peewee.TextField(index=True)
    success = peewee.BooleanField()
    task = peewee.TextField(null=True)
    duration_ms = peewee.DoubleField(null=True)
    error = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "clarity_agent_tasks"


def subject(agent_id: str) -> str:
    return f"agent/{agent_id}"


def to_agent(row: Any, default_interval: float) -> p.Agent:
    done = row.tasks_completed or 0
    return p.Agent(
        id=row.id,
        agent_id=row.agent_id,
        agent_name=row.agent_name,
        agent_type=row.agent_type,
        status=row.status,
        current_task=row.current_task,
        mission=row.mission,
        capabilities=list(row.capabilities or []),
        parent_agent=row.parent_agent,
        model=row.model,
        trust_score=row.trust_score,
        tasks_completed=done,
        tasks_succeeded=row.tasks_succeeded or 0,
        tasks_failed=row.tasks_failed or 0,
        success_rate=(row.tasks_succeeded or 0) / done if done else None,
        heartbeat_interval_s=row.heartbeat_interval_s or default_interval,
        last_heartbeat=aware(row.last_heartbeat),
        registered_at=aware(row.registered_at),
        retired_at=aware(row.retired_at),
    )


class SubAgents(TableService):
    table = TABLE

    def __init__(self, store: Store, events: EventBus, settings: Callable[[], SubAgentsConfig]) -> None:
        super().__init__(store, events)
        self.settings = settings  # read at use: SIGHUP may change them
        self._beat_sql: tuple[Any, str, str | None] | None = None  # (model, UPDATE, SELECT) of a bare heartbeat
        store.register(AgentTask)

    def result(self, row: Any) -> p.Agent:
        return to_agent(row, self.settings().default_heartbeat_interval_s)

    # -- reports from agents (writer thread) ----------------------------------------------

    def register(self, params: p.RegisterAgent, actor: str) -> p.Agent:
        """Create the agent, or update it in place; a retired agent stays retired."""
        lock(self.store, subject(params.agent_id))
        now = utcnow()
        optional = {
            name: getattr(params, name)
            for name in ("mission", "capabilities", "parent_agent", "model", "heartbeat_interval_s")
            if getattr(params, name) is not UNSET
        }
        row = find(self.model, "agent_id", params.agent_id)
        if row is None:
            row = self.model.create(
                agent_id=params.agent_id, agent_name=params.agent_name, agent_type=params.agent_type,
                status="idle", tasks_completed=0, tasks_succeeded=0, tasks_failed=0,
                last_heartbeat=now, registered_at=now, source=actor, trust_score=INITIAL_TRUST,
                **{"capabilities": [], **optional},
            )
            self.events.emit("agent.registered", subject(row.agent_id),
                             {"row_id": row.id, "agent_type": row.agent_type, "agent_name": row.agent_name}, actor)
            return self.result(row)
        if row.status == "retired":
            raise InvalidState(f"agent {params.agent_id!r} was retired; register it under a new agent_id")
        was_offline = row.status == "offline"
        changes = {"agent_name": params.agent_name, "agent_type": params.agent_type, **optional}
        changed = sorted(k for k, v in changes.items() if getattr(row, k) != v)
        for name, value in changes.items():
            setattr(row, name, value)
        # Registering again is a restart: the agent is alive, idle, and on no task.
        row.status, row.current_task, row.last_heartbeat = "idle", None, now
        self._save(row, now)
        self.events.emit("agent.updated", subject(row.agent_id), {"row_id": row.id, "changed": changed}, actor)
        if was_offline:
            self.events.emit("agent.online", subject(row.agent_id), {"from": "offline", "to": "idle"}, actor)
        return self.result(row)

    def set_status(self, params: p.SetAgentStatus, actor: str) -> p.Agent:
        row = self._live_row(params.agent_id)
        now = utcnow()
        old_status, old_task = row.status, row.current_task
        row.status = params.status
        if params.current_task is not UNSET:
            row.current_task = params.current_task
        if params.status == "offline" and old_status != "offline":
            row.status_before_offline = old_status
        row.last_heartbeat = now
        self._save(row, now)
        payload = {"from": old_status, "to": row.status, "current_task": row.current_task}
        if old_status == "offline" and row.status != "offline":
            self.events.emit("agent.online", subject(row.agent_id), payload, actor)
        elif row.status == "offline" and old_status != "offline":
            self.events.emit("agent.offline", subject(row.agent_id),
                             {**payload, "reason": "reported by the agent"}, actor)
        elif old_status != row.status or old_task != row.current_task:
            self.events.emit("agent.status", subject(row.agent_id), payload, actor)
        return self.result(row)

    def task_completion(self, params: p.TaskCompletion, actor: str) -> p.Agent:
        """Count the task and recompute trust = 0.7 x success rate + 0.3 x previous trust."""
        row = self._live_row(params.agent_id)
        now = utcnow()
        row.tasks_completed = (row.tasks_completed or 0) + 1
        row.tasks_succeeded = (row.tasks_succeeded or 0) + (1 if params.success else 0)
        row.tasks_failed = (row.tasks_failed or 0) + (0 if params.success else 1)
        previous = row.trust_score
        row.trust_score = next_trust(row.tasks_succeeded, row.tasks_completed, previous)
        if not self._come_back(row, None, actor) and row.status is None:
            row.status = "idle"  # recorded without a status (an ingested file): reporting makes it live
        row.last_heartbeat = now
        self._save(row, now)
        AgentTask.create(agent_id=row.agent_id, success=params.success, task=params.task,
                         duration_ms=params.duration_ms, error=params.error, created_at=now)
        self.events.emit("agent.task_completed", subject(row.agent_id), {
            "success": params.success, "task": params.task, "duration_ms": params.duration_ms,
            "trust_score": row.trust_score, "previous_trust": previous,
            "success_rate": row.tasks_succeeded / row.tasks_completed,
        }, actor)
        return self.result(row)

    def heartbeat(self, params: p.Heartbeat, actor: str) -> p.Beat:
        if params.status is UNSET and params.current_task is UNSET:
            status = self._bare_beat(params.agent_id)
            if status is not None:
                return p.Beat(agent_id=params.agent_id, status=status, back_online=False)
        row = self._live_row(params.agent_id)
        now = utcnow()
        old_status, old_task = row.status, row.current_task
        back = self._come_back(row, None if params.status is UNSET else params.status, actor)
        if not back and params.status is not UNSET:
            if params.status == "offline" and old_status != "offline":
                row.status_before_offline = old_status  # restored by its next report, as with sub_agents.status
            row.status = params.status
        elif not back and row.status is None:
            row.status = "idle"  # a row recorded without a status (an ingested file): reporting makes it live
        if params.current_task is not UNSET:
            row.current_task = params.current_task
        row.last_heartbeat = now
        if not back and (row.status != old_status or row.current_task != old_task):
            payload = {"from": old_status, "to": row.status, "current_task": row.current_task}
            if row.status == "offline" and old_status != "offline":
                self.events.emit("agent.offline", subject(row.agent_id), {**payload, "reason": "reported by the agent"},
                                 actor)
            else:
                self.events.emit("agent.status", subject(row.agent_id), payload, actor)
        # A bare beat only moves last_heartbeat: no version bump, no event (agents beat often).
        if back or row.status != old_status or row.current_task != old_task:
            self._save(row, now)
        else:
            self.model.update(last_heartbeat=now).where(self.model.id == row.id).execute()
        return p.Beat(agent_id=row.agent_id, status=row.status, back_online=back)

    def retire(self, params: p.RetireAgent, actor: str) -> p.Agent:
        lock(self.store, subject(params.agent_id))
        row = need(self.model, "agent_id", params.agent_id, "agent")
        if row.status == "retired":
            raise InvalidState(f"agent {params.agent_id!r} is already retired")
        now = utcnow()
        old = row.status
        row.status, row.current_task, row.retired_at = "retired", None, now
        self._save(row, now)
        self.events.emit("agent.retired", subject(row.agent_id), {"from": old, "reason": params.reason}, actor)
        return self.result(row)

    def _bare_beat(self, agent_id: str) -> str | None:
        """The common case, kept cheap (agents beat often): an online agent's bare beat is one
        prepared UPDATE … RETURNING, no row loaded, no event. None when the agent is not online
        (unknown, offline, retired): the full path then answers or brings it back.

        One statement is atomic on its own, so no lock: a sweep that marked the agent offline
        first makes this match nothing, and one that comes after sees the new beat."""
        m = self.model
        db = self.store.db
        if self._beat_sql is None or self._beat_sql[0] is not m:
            self._beat_sql = (m, *self._bare_beat_sql(m))
        _, update, select = self._beat_sql
        cursor = db.execute_sql(update, (m.last_heartbeat.db_value(utcnow()), agent_id))
        if select is None:  # RETURNING gave the status
            found = cursor.fetchone()
            return found[0] if found else None
        if cursor.rowcount != 1:
            return None
        status: str | None = db.execute_sql(select, (agent_id,)).fetchone()[0]
        return status

    def _bare_beat_sql(self, m: Any) -> tuple[str, str | None]:
        table, ph = f'"{m._meta.table_name}"', self.store.db.param
        oldest = f'(SELECT "id" FROM {table} WHERE "agent_id" = {ph} ORDER BY "id" LIMIT 1)'
        online = ", ".join(f"'{s}'" for s in p.ONLINE_STATUSES)
        update = f'UPDATE {table} SET "last_heartbeat" = {ph} WHERE "id" = {oldest} AND "status" IN ({online})'
        if self.store.backend == "postgresql":
            # A lost beat is harmless (the next one replaces it): do not wait for the WAL flush.
            return f'SET LOCAL synchronous_commit = off; {update} RETURNING "status"', None
        if sqlite3.sqlite_version_info >= (3, 35):
            return f'{update} RETURNING "status"', None
        return update, f'SELECT "status" FROM {table} WHERE "id" = {oldest}'

    # -- the heartbeat sweep (on the loop, from the scheduler) ----------------------------

    async def sweep(self) -> int:
        """Mark offline every online agent that missed ``missed_heartbeats`` intervals."""
        cfg = self.settings()
        model = self.model
        now = utcnow()

        def overdue() -> list[tuple[int, str, str, Any, float]]:
            rows = (model.select(model.id, model.agent_id, model.status, model.last_heartbeat,
                                 model.heartbeat_interval_s)
                    .where(model.status.in_(p.ONLINE_STATUSES), model.last_heartbeat.is_null(False)).tuples())
            late = []
            for rid, agent_id, status, beat, interval in rows:
                interval = interval or cfg.default_heartbeat_interval_s
                if now - beat > timedelta(seconds=interval * cfg.missed_heartbeats):
                    late.append((rid, agent_id, status, beat, interval))
            return late

        late = await self.store.read(overdue)
        if not late:
            return 0

        def mark() -> int:
            marked = 0
            for rid, agent_id, status, beat, interval in late:
                # Conditional: a beat that arrived meanwhile, or another host's sweep, wins.
                n = (model.update(status="offline", status_before_offline=status, updated_at=utcnow(),
                                  version=model.version + 1)
                     .where(model.id == rid, model.status == status, model.last_heartbeat == beat).execute())
                if n:
                    marked += 1
                    self.events.emit("agent.offline", subject(agent_id), {
                        "from": status, "reason": f"missed {cfg.missed_heartbeats} heartbeats",
                        "last_heartbeat": aware(beat), "heartbeat_interval_s": interval,
                    }, SYSTEM_ACTOR)
            return marked

        marked = await self.store.write(mark)
        if marked:
            log.info("heartbeat sweep: %d agent(s) offline", marked)
        return marked

    # -- helpers --------------------------------------------------------------------------

    def _live_row(self, agent_id: str) -> Any:
        lock(self.store, subject(agent_id))
        row = need(self.model, "agent_id", agent_id, "agent")
        if row.status == "retired":
            raise InvalidState(f"agent {agent_id!r} is retired")
        return row

    def _come_back(self, row: Any, status: str | None, actor: str) -> bool:
        """An offline agent that reports is online again (with ``status``, else as it was)."""
        if row.status != "offline":
            return False
        if status == "offline":
            return False  # it says it is still offline
        back_to = status or row.status_before_offline
        back_to = back_to if back_to in p.ONLINE_STATUSES else "idle"
        row.status = back_to
        self.events.emit("agent.online", subject(row.agent_id), {"from": "offline", "to": back_to}, actor)
        return True

    def _save(self, row: Any, now: Any) -> None:
        row.updated_at = now
        row.version = (row.version or 0) + 1
        row.save(only=row.dirty_fields)  # the columns that changed, not all of them
