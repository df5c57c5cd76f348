"""Reading the fleet: one agent's stats, the online agents, the fleet's figures.

Functions here run on reader threads (``Store.read``)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import peewee

from ..protocol import sub_agents as p
from ..storage.models import utcnow
from ..storage.rows import tuple_rows
from .figures import mean
from .records import aware, need
from .sub_agents import AgentTask, to_agent

HOUR = timedelta(hours=1)


def _since_beat(beat: datetime | None, now: datetime) -> float | None:
    return (now - beat).total_seconds() if beat is not None else None


def _late(status: str | None, since: float | None, interval: float) -> bool:
    return status in p.ONLINE_STATUSES and since is not None and since > interval


def agent_stats(model: Any, agent_id: str, default_interval: float) -> p.AgentStats:
    row = need(model, "agent_id", agent_id, "agent")
    now = utcnow()
    agent = to_agent(row, default_interval)
    tasks = AgentTask.select().where(AgentTask.agent_id == agent_id)
    recent = tasks.where(AgentTask.created_at >= now - HOUR).count()
    timed = tasks.select(AgentTask.duration_ms).where(AgentTask.duration_ms.is_null(False))
    durations = [d for (d,) in tuple_rows(timed)]
    last = tasks.select(peewee.fn.MAX(AgentTask.created_at)).scalar()
    since = _since_beat(row.last_heartbeat, now)
    return p.AgentStats(
        agent=agent,
        tasks_last_hour=recent,
        mean_task_ms=mean(durations),
        last_task_at=aware(_as_datetime(last)),
        seconds_since_heartbeat=since,
        heartbeat_late=_late(row.status, since, agent.heartbeat_interval_s),
    )


def active_agents(model: Any, params: p.ActiveAgents, default_interval: float) -> list[p.Agent]:
    statuses = list(params.status or p.ONLINE_STATUSES)
    query = model.select().where(model.status.in_(statuses))
    if params.agent_type is not None:
        query = query.where(model.agent_type == params.agent_type)
    return [to_agent(r, default_interval) for r in query.order_by(model.agent_id, model.id).limit(params.limit)]


def fleet_stats(model: Any, default_interval: float) -> p.FleetStats:
    now = utcnow()
    rows = list(
        model.select(
            model.agent_id,
            model.status,
            model.agent_type,
            model.trust_score,
            model.last_heartbeat,
            model.heartbeat_interval_s,
        ).tuples()
    )
    by_status: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    trusts, late = [], []
    for agent_id, status, agent_type, trust, beat, interval in rows:
        by_status[status or "unknown"] += 1
        by_type[agent_type or "unknown"] += 1
        if status != "retired":
            trusts.append(trust)
        interval = interval or default_interval
        since = _since_beat(beat, now)
        if _late(status, since, interval):
            late.append(
                p.LateAgent(
                    agent_id=agent_id,
                    status=status,
                    last_heartbeat=aware(beat),
                    seconds_since_heartbeat=since,
                    heartbeat_interval_s=interval,
                )
            )
    recent = tuple_rows(
        AgentTask.select(AgentTask.success, peewee.fn.COUNT(AgentTask.id))
        .where(AgentTask.created_at >= now - HOUR)
        .group_by(AgentTask.success)
    )
    outcomes = {bool(success): n for success, n in recent}
    late.sort(key=lambda a: -(a.seconds_since_heartbeat or 0))
    return p.FleetStats(
        total=len(rows),
        by_status=dict(sorted(by_status.items())),
        by_type=dict(sorted(by_type.items())),
        online=sum(n for s, n in by_status.items() if s in p.ONLINE_STATUSES),
        mean_trust=mean(trusts),
        tasks_last_hour=sum(outcomes.values()),
        tasks_succeeded_last_hour=outcomes.get(True, 0),
        tasks_failed_last_hour=outcomes.get(False, 0),
        late=late,
    )


def _as_datetime(value: Any) -> datetime | None:
    # MAX() over a DateTimeField comes back as text on SQLite.
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
