"""sub_agents.* handlers: thin calls into the sub-agent service."""

from __future__ import annotations

from msgspec import UNSET

from ..protocol import sub_agents as p
from ..protocol.registry import NoParams
from ..rpc.router import CallContext, handles
from ..subsystems import fleet
from ..subsystems.sub_agents import SubAgents


def _service(ctx: CallContext) -> SubAgents:
    return ctx.daemon.subsystems.sub_agents


@handles(p.REGISTER)
async def register(ctx: CallContext, params: p.RegisterAgent) -> p.Agent:
    """Registers an agent: ``agent_id`` (yours to choose, unique), ``agent_name``, ``agent_type``
    (shard, specialist, orchestrator, worker), and optionally ``mission``, ``capabilities``,
    ``parent_agent``, ``model`` and ``heartbeat_interval_s`` (how often you will call
    sub_agents.heartbeat; the daemon's default otherwise).

    Registering a known ``agent_id`` again updates it in place (never a duplicate) and sets it
    idle: fields you leave out keep their value. A retired agent cannot come back:
    INVALID_STATE. New agents start with trust 0.5. Emits agent.registered or agent.updated."""
    svc = _service(ctx)
    return await svc.write(svc.register, params, ctx.actor)


@handles(p.STATUS)
async def status(ctx: CallContext, params: p.SetAgentStatus) -> p.Agent:
    """Sets an agent's ``status`` (idle, active, busy, error, offline) and, when given, its
    ``current_task`` (null clears it). Counts as a sign of life. Emits agent.status (or
    agent.offline / agent.online when it goes or comes back). Unknown agent: NOT_FOUND;
    retired: INVALID_STATE."""
    svc = _service(ctx)
    return await svc.write(svc.set_status, params, ctx.actor)


@handles(p.TASK_COMPLETION)
async def task_completion(ctx: CallContext, params: p.TaskCompletion) -> p.Agent:
    """Records a finished task (``success``, optionally ``task``, ``duration_ms``, ``error``)
    and returns the agent with its new trust:

        trust = 0.7 x (tasks succeeded / tasks completed) + 0.3 x previous trust

    An offline agent that reports is back online. Emits agent.task_completed."""
    svc = _service(ctx)
    return await svc.write(svc.task_completion, params, ctx.actor)


@handles(p.HEARTBEAT)
async def heartbeat(ctx: CallContext, params: p.Heartbeat) -> p.Beat:
    """A sign of life; may also set ``status`` and ``current_task``. An agent that misses
    ``sub_agents.missed_heartbeats`` intervals (configuration, default 2) is marked offline by a
    periodic sweep (event agent.offline); its next heartbeat brings it back with the status it
    had (event agent.online, ``back_online`` true). A bare beat emits no event."""
    svc = _service(ctx)
    if params.status is UNSET and params.current_task is UNSET:
        # An agent known online: answered from memory, written with the next batch (within a
        # second, and before anything reads it).
        status = svc.live.beat(params.agent_id)
        if status is not None:
            return p.Beat(agent_id=params.agent_id, status=status, back_online=False)
    return await svc.write(svc.heartbeat, params, ctx.actor)


@handles(p.RETIRE)
async def retire(ctx: CallContext, params: p.RetireAgent) -> p.Agent:
    """Takes an agent out of the fleet for good (status retired); its row, tasks and events are
    kept. It can no longer report or register again. Already retired: INVALID_STATE.
    Emits agent.retired."""
    svc = _service(ctx)
    return await svc.write(svc.retire, params, ctx.actor)


@handles(p.STATS)
async def stats(ctx: CallContext, params: p.AgentRef) -> p.AgentStats:
    """One agent with its counts, success rate and trust, tasks in the last hour, mean task
    duration, last task, seconds since its heartbeat and whether that is late (online and
    more than one interval ago)."""
    svc = _service(ctx)
    interval = ctx.daemon.config.sub_agents.default_heartbeat_interval_s
    await svc.live.flush()
    return await ctx.daemon.store.read(fleet.agent_stats, svc.model, params.agent_id, interval)


@handles(p.ACTIVE)
async def active(ctx: CallContext, params: p.ActiveAgents) -> list[p.Agent]:
    """Agents online now (idle, active, busy, error), by agent_id; narrow with ``agent_type``
    and ``status`` (a list)."""
    svc = _service(ctx)
    interval = ctx.daemon.config.sub_agents.default_heartbeat_interval_s
    await svc.live.flush()
    return await ctx.daemon.store.read(fleet.active_agents, svc.model, params, interval)


@handles(p.FLEET_STATS)
async def fleet_stats(ctx: CallContext, params: NoParams) -> p.FleetStats:
    """The whole fleet: ``total`` (retired agents included), counts ``by_status`` and
    ``by_type``, ``online``, ``mean_trust`` (agents not retired), tasks completed in the last
    hour (and how many succeeded or failed), and ``late``: online agents more than one
    heartbeat interval past their last beat, latest first."""
    svc = _service(ctx)
    interval = ctx.daemon.config.sub_agents.default_heartbeat_interval_s
    await svc.live.flush()
    return await ctx.daemon.store.read(fleet.fleet_stats, svc.model, interval)
