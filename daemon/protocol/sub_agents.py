"""sub_agents.*: the fleet of local agents — registration, status, tasks, heartbeats, trust."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from .registry import Method, NoParams, Role

AgentId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
AgentType = Literal["shard", "specialist", "orchestrator", "worker"]
# What an agent may say it is. "retired" is set only by sub_agents.retire; "offline" is also
# set by the daemon when heartbeats stop.
AgentStatus = Literal["idle", "active", "busy", "error", "offline"]
ONLINE_STATUSES = ("idle", "active", "busy", "error")


class RegisterAgent(msgspec.Struct, forbid_unknown_fields=True):
    """Register an agent, or update it when ``agent_id`` is known (never a duplicate).

    Optional fields left out keep their stored value on an update."""

    agent_id: AgentId
    agent_name: Annotated[str, msgspec.Meta(min_length=1)]
    agent_type: AgentType
    mission: str | None | UnsetType = UNSET
    capabilities: list[str] | UnsetType = UNSET
    parent_agent: str | None | UnsetType = UNSET
    model: str | None | UnsetType = UNSET
    # How often the agent promises to beat; the daemon's default when left out.
    heartbeat_interval_s: Annotated[float, msgspec.Meta(gt=0, le=86400)] | None | UnsetType = UNSET


class Agent(msgspec.Struct):
    id: int  # row id in memory_sub_agents
    agent_id: str
    agent_name: str | None
    agent_type: str | None
    status: str | None  # idle, active, busy, error, offline, retired
    current_task: str | None
    mission: str | None
    capabilities: list[str]
    parent_agent: str | None
    model: str | None
    trust_score: float
    tasks_completed: int
    tasks_succeeded: int
    tasks_failed: int
    success_rate: float | None  # tasks_succeeded / tasks_completed; null before the first task
    heartbeat_interval_s: float  # the declared interval, else the daemon's default
    last_heartbeat: datetime | None
    registered_at: datetime | None
    retired_at: datetime | None


class SetAgentStatus(msgspec.Struct, forbid_unknown_fields=True):
    agent_id: AgentId
    status: AgentStatus
    current_task: str | None | UnsetType = UNSET  # left out: unchanged


class TaskCompletion(msgspec.Struct, forbid_unknown_fields=True):
    agent_id: AgentId
    success: bool
    task: str | None = None
    duration_ms: Annotated[float, msgspec.Meta(ge=0)] | None = None
    error: str | None = None


class Heartbeat(msgspec.Struct, forbid_unknown_fields=True):
    agent_id: AgentId
    status: AgentStatus | UnsetType = UNSET  # also set the status (left out: unchanged)
    current_task: str | None | UnsetType = UNSET


class Beat(msgspec.Struct):
    agent_id: str
    status: str
    back_online: bool  # the agent had been marked offline and this beat brought it back


class AgentRef(msgspec.Struct, forbid_unknown_fields=True):
    agent_id: AgentId


class RetireAgent(msgspec.Struct, forbid_unknown_fields=True):
    agent_id: AgentId
    reason: str | None = None


class AgentStats(msgspec.Struct):
    agent: Agent
    tasks_last_hour: int
    mean_task_ms: float | None  # over tasks that reported a duration
    last_task_at: datetime | None
    seconds_since_heartbeat: float | None
    heartbeat_late: bool  # online, and more than one interval since the last beat


class ActiveAgents(msgspec.Struct, forbid_unknown_fields=True):
    """Online agents (idle, active, busy, error), optionally of one type or statuses."""

    agent_type: AgentType | None = None
    status: list[Literal["idle", "active", "busy", "error"]] = []
    limit: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 1000


class LateAgent(msgspec.Struct):
    agent_id: str
    status: str | None
    last_heartbeat: datetime | None
    seconds_since_heartbeat: float | None
    heartbeat_interval_s: float


class FleetStats(msgspec.Struct):
    total: int  # every agent, retired ones included
    by_status: dict[str, int]
    by_type: dict[str, int]
    online: int
    mean_trust: float | None  # over agents that are not retired
    tasks_last_hour: int
    tasks_succeeded_last_hour: int
    tasks_failed_last_hour: int
    late: list[LateAgent]  # online agents more than one interval past their last beat


REGISTER = Method(
    "sub_agents.register",
    RegisterAgent,
    Agent,
    Role.agent,
    "Register an agent (or update it: same agent_id, never a duplicate).",
    aliases=("register_agent",),
)
STATUS = Method(
    "sub_agents.status",
    SetAgentStatus,
    Agent,
    Role.agent,
    "Report an agent's status and current task.",
    aliases=("update_status", "update_agent_status"),
)
TASK_COMPLETION = Method(
    "sub_agents.task_completion",
    TaskCompletion,
    Agent,
    Role.agent,
    "Report a finished task; trust = 0.7 x success rate + 0.3 x previous trust.",
    aliases=("log_task_completion", "task_completed"),
)
HEARTBEAT = Method(
    "sub_agents.heartbeat",
    Heartbeat,
    Beat,
    Role.agent,
    "An agent's sign of life; brings an offline agent back.",
    aliases=("send_heartbeat",),
)
STATS = Method(
    "sub_agents.stats",
    AgentRef,
    AgentStats,
    Role.reader,
    "One agent: counts, success rate, trust, heartbeat.",
    aliases=("get_agent_stats",),
)
ACTIVE = Method(
    "sub_agents.active",
    ActiveAgents,
    list[Agent],
    Role.reader,
    "Agents that are online now.",
    aliases=("get_active_agents",),
)
FLEET_STATS = Method(
    "sub_agents.fleet_stats",
    NoParams,
    FleetStats,
    Role.reader,
    "The fleet: counts by status and type, mean trust, tasks in the last hour, late heartbeats.",
    aliases=("get_fleet_stats",),
)
RETIRE = Method(
    "sub_agents.retire",
    RetireAgent,
    Agent,
    Role.operator,
    "Take an agent out of the fleet for good, keeping its history.",
    aliases=("retire_agent",),
)
