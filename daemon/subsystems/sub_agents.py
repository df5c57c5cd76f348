"""The sub-agent fleet: registration, status, tasks and trust, heartbeats and the offline sweep.

Agents report facts about themselves, so the service writes ``memory_sub_agents`` directly
(no proposal) and every change emits an event (subject ``agent/<agent_id>``):
agent.registered, agent.updated, agent.status, agent.task_completed, agent.offline,
agent.online, agent.retired. A bare heartbeat changes nothing worth an event.

Every method here runs inside ``Store.write`` (the writer thread), except :meth:`sweep`. The
handlers hand them to :attr:`SubAgents.commits` (group commit: the reports that queue up while
the writer is busy share one transaction, each in its own savepoint, all durable before any
reply); bare heartbeats of agents known online are answered from memory (:mod:`.live_beats`).
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import peewee
from msgspec import UNSET

from ..errors import InvalidState, NotFound
from ..governance import SYSTEM_ACTOR
from ..protocol import sub_agents as p
from ..storage.models import utcnow
from .figures import INITIAL_TRUST, next_trust
from .live_beats import LiveBeats
from .records import TableService, aware, find, find_all, lock, lock_all

if TYPE_CHECKING:
    from ..config import SubAgentsConfig
    from ..events import EventBus
    from ..storage import Store

log = logging.getLogger(__name__)

TABLE = "sub_agents"
T = TypeVar("T")


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


def agent_of(key: str) -> str:
    """The agent_id of a :func:`subject`."""
    return key.removeprefix("agent/")


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
        # An agent's reports lock it (records.lock, keyed as the group commit's writes are)
        # and read it: a group takes all its locks and reads all its agents at once.
        super().__init__(store, events, prepare=self._prepare)
        self.settings = settings  # read at use: SIGHUP may change them
        self.live = LiveBeats(store, lambda: self.model)
        store.defer_writes(TABLE, self.live.flush)
        store.register(AgentTask)

    async def write(self, fn: Callable[..., T], params: Any, actor: str) -> T:
        """Run a report (``fn(params, actor)``) in the agents' next group transaction."""
        return await self.commits.write(subject(params.agent_id), fn, params, actor)

    def result(self, row: Any) -> p.Agent:
        self._note(row)
        return to_agent(row, self.settings().default_heartbeat_interval_s)

    def _note(self, row: Any) -> None:
        """Once this write commits, the live state learns the agent's status."""
        agent_id, row_id, status = row.agent_id, row.id, row.status
        self.store.after_commit(lambda: self.live.note(agent_id, row_id, status))

    # -- reports from agents (writer thread) ----------------------------------------------

    def _prepare(self, keys: list[str]) -> None:
        """First in a group's transaction: lock its agents, and read them in one statement
        (a report then finds its agent in :meth:`Store.memo` instead of a SELECT of its own)."""
        lock_all(self.store, keys)
        if len(keys) < 2:
            return  # alone: find() is the cheaper statement
        model, memo = self.model, self.store.memo()
        for row in find_all(model, "agent_id", [agent_of(k) for k in keys]):
            memo.setdefault((model, row.agent_id), row)  # the oldest, as find() takes

    def _find(self, agent_id: str) -> Any:
        """The agent's row as this write has it: read by the group (or by an earlier report
        in it, which changed it in place), else from the database."""
        model, memo = self.model, self.store.memo()
        row = memo.get((model, agent_id))
        if row is None:
            row = find(model, "agent_id", agent_id)
            if row is not None:
                memo[(model, agent_id)] = row
        return row

    def register(self, params: p.RegisterAgent, actor: str) -> p.Agent:
        """Create the agent, or update it in place; a retired agent stays retired."""
        lock(self.store, subject(params.agent_id))
        now = utcnow()
        optional = {
            name: getattr(params, name)
            for name in ("mission", "capabilities", "parent_agent", "model", "heartbeat_interval_s")
            if getattr(params, name) is not UNSET
        }
        row = self._find(params.agent_id)
        if row is None:
            row = self.model.create(
                agent_id=params.agent_id,
                agent_name=params.agent_name,
                agent_type=params.agent_type,
                status="idle",
                tasks_completed=0,
                tasks_succeeded=0,
                tasks_failed=0,
                last_heartbeat=now,
                registered_at=now,
                source=actor,
                trust_score=INITIAL_TRUST,
                **{"capabilities": [], **optional},
            )
            self.events.emit(
                "agent.registered",
                subject(row.agent_id),
                {"row_id": row.id, "agent_type": row.agent_type, "agent_name": row.agent_name},
                actor,
            )
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
            self.events.emit(
                "agent.offline", subject(row.agent_id), {**payload, "reason": "reported by the agent"}, actor
            )
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
        # With the group's other tasks in one statement, as its events are.
        self.store.insert_later(
            AgentTask,
            {
                "agent_id": row.agent_id,
                "success": params.success,
                "task": params.task,
                "duration_ms": params.duration_ms,
                "error": params.error,
                "created_at": now,
            },
        )
        self.events.emit(
            "agent.task_completed",
            subject(row.agent_id),
            {
                "success": params.success,
                "task": params.task,
                "duration_ms": params.duration_ms,
                "trust_score": row.trust_score,
                "previous_trust": previous,
                "success_rate": row.tasks_succeeded / row.tasks_completed,
            },
            actor,
        )
        return self.result(row)

    def heartbeat(self, params: p.Heartbeat, actor: str) -> p.Beat:
        """The written heartbeat: with a status or task, or of an agent not known online
        (bare beats of online agents are answered from memory by the handler)."""
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
                self.events.emit(
                    "agent.offline", subject(row.agent_id), {**payload, "reason": "reported by the agent"}, actor
                )
            else:
                self.events.emit("agent.status", subject(row.agent_id), payload, actor)
        # A bare beat only moves last_heartbeat: no version bump, no event (agents beat often).
        if back or row.status != old_status or row.current_task != old_task:
            self._save(row, now)
        else:
            self._write_later(row)  # last_heartbeat, the one column that changed
        self._note(row)
        return p.Beat(agent_id=row.agent_id, status=row.status, back_online=back)

    def retire(self, params: p.RetireAgent, actor: str) -> p.Agent:
        row = self._need(params.agent_id)
        if row.status == "retired":
            raise InvalidState(f"agent {params.agent_id!r} is already retired")
        now = utcnow()
        old = row.status
        row.status, row.current_task, row.retired_at = "retired", None, now
        self._save(row, now)
        self.events.emit("agent.retired", subject(row.agent_id), {"from": old, "reason": params.reason}, actor)
        return self.result(row)

    # -- the heartbeat sweep (on the loop, from the scheduler) ----------------------------

    async def sweep(self) -> int:
        """Mark offline every online agent that missed ``missed_heartbeats`` intervals."""
        cfg = self.settings()
        model = self.model
        await self.live.flush()  # the beats answered from memory count
        now = utcnow()

        def overdue() -> list[tuple[int, str, str, Any, float]]:
            rows = (
                model.select(model.id, model.agent_id, model.status, model.last_heartbeat, model.heartbeat_interval_s)
                .where(model.status.in_(p.ONLINE_STATUSES), model.last_heartbeat.is_null(False))
                .tuples()
            )
            late = []
            for rid, agent_id, status, beat, interval in rows:
                interval = interval or cfg.default_heartbeat_interval_s
                if now - beat > timedelta(seconds=interval * cfg.missed_heartbeats):
                    late.append((rid, agent_id, status, beat, interval))
            return late

        # In row-id order, the order every writer locks agents' rows in (Store._update_pending).
        late = sorted(a for a in await self.store.read(overdue) if a[1] not in self.live.pending)  # beat just now
        if not late:
            return 0

        def mark() -> int:
            marked = 0
            for rid, agent_id, status, beat, interval in late:
                # Conditional: a beat that arrived meanwhile, or another host's sweep, wins.
                n = (
                    model.update(
                        status="offline", status_before_offline=status, updated_at=utcnow(), version=model.version + 1
                    )
                    .where(model.id == rid, model.status == status, model.last_heartbeat == beat)
                    .execute()
                )
                if n:
                    marked += 1
                    self.store.after_commit(functools.partial(self.live.forget, agent_id))
                    self.events.emit(
                        "agent.offline",
                        subject(agent_id),
                        {
                            "from": status,
                            "reason": f"missed {cfg.missed_heartbeats} heartbeats",
                            "last_heartbeat": aware(beat),
                            "heartbeat_interval_s": interval,
                        },
                        SYSTEM_ACTOR,
                    )
            return marked

        marked = await self.store.write(mark)
        if marked:
            log.info("heartbeat sweep: %d agent(s) offline", marked)
        return marked

    # -- helpers --------------------------------------------------------------------------

    def _need(self, agent_id: str) -> Any:
        lock(self.store, subject(agent_id))
        row = self._find(agent_id)
        if row is None:
            raise NotFound(f"no agent {agent_id!r}")
        return row

    def _live_row(self, agent_id: str) -> Any:
        row = self._need(agent_id)
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
        self._write_later(row)

    def _write_later(self, row: Any) -> None:
        """The columns that changed, written with the group's other changes in one call at
        its end; meanwhile the write's memo holds the row as changed, for its next report."""
        self.store.memo().setdefault((type(row), row.agent_id), row)
        self.store.update_later(type(row), row.id, {name: row.__data__.get(name) for name in row._dirty})
        row._dirty.clear()
