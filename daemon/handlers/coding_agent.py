"""coding_agent.* handlers: thin calls into the work-order service."""

from __future__ import annotations

from ..protocol import coding_agent as p
from ..rpc.router import CallContext, handles
from ..subsystems.coding_agent import CodingAgent


def _service(ctx: CallContext) -> CodingAgent:
    return ctx.daemon.subsystems.coding_agent


@handles(p.WORK_ORDER)
async def work_order(ctx: CallContext, params: p.CreateWorkOrder) -> p.WorkOrder:
    """Creates a work order in state pending: ``title``, and optionally ``work_order_id``
    (generated as wo-… when left out; an existing one is CONFLICT), ``description``,
    ``task_type`` (feature, bug_fix, refactor, test, docs, chore), ``priority`` (low, medium,
    high, urgent) and ``assigned_agent``. Emits work_order.created."""
    svc = _service(ctx)
    return await svc.commits.write(params.work_order_id or "", svc.create, params, ctx.actor)


@handles(p.CODE_CHANGES)
async def code_changes(ctx: CallContext, params: p.CodeChanges) -> p.WorkOrder:
    """Adds a report of changes to an open work order: ``files`` (merged into files_changed),
    ``lines_added`` and ``lines_removed`` (summed over reports). ``affected_files`` (the original
    integration's name) may stand for ``files``. A closed work order is INVALID_STATE. Emits
    work_order.code_changes."""
    svc = _service(ctx)
    return await svc.commits.write(params.work_order_id, svc.code_changes, params, ctx.actor)


@handles(p.TEST_RESULTS)
async def test_results(ctx: CallContext, params: p.TestResults) -> p.WorkOrder:
    """Records a test run of an open work order (``total``, ``passed``, ``failed``; passed +
    failed may not exceed total). It replaces the previous run, and its pass rate (passed /
    total) becomes the work order's trust. The counts may come nested, as the original
    integration sends them: ``test_results={total, passed, failed}``; a count given both ways
    with different values is INVALID_PARAMS. Emits work_order.test_results."""
    svc = _service(ctx)
    return await svc.commits.write(params.work_order_id, svc.test_results, params, ctx.actor)


@handles(p.DEPLOYED)
async def deployed(ctx: CallContext, params: p.Deployed) -> p.WorkOrder:
    """Moves a work order from review to deployed, with its ``impact``; sets deployed_at and
    completed_at. From any other state: INVALID_STATE. Emits work_order.deployed."""
    svc = _service(ctx)
    return await svc.commits.write(
        params.work_order_id, svc.move, params.work_order_id, "deployed", ctx.actor, None, params.impact
    )


@handles(p.STATUS)
async def status(ctx: CallContext, params: p.MoveWorkOrder) -> p.WorkOrder:
    """Moves a work order to ``state`` along the lifecycle

        pending -> in_progress -> review -> deployed

    or to failed or cancelled from any open state (pending, in_progress, review). Any other
    move, or a move of a closed work order, is INVALID_STATE. Entering in_progress sets
    started_at; a closing state sets completed_at. Emits work_order.status (work_order.deployed
    for deployed), with ``reason`` in the payload."""
    svc = _service(ctx)
    return await svc.commits.write(
        params.work_order_id, svc.move, params.work_order_id, params.state, ctx.actor, params.reason
    )


@handles(p.GET)
async def get(ctx: CallContext, params: p.WorkOrderRef) -> p.WorkOrder:
    """One work order by ``work_order_id``; NOT_FOUND when there is none."""
    svc = _service(ctx)
    return await ctx.daemon.store.read(svc.get, params.work_order_id)


@handles(p.STATS)
async def stats(ctx: CallContext, params: p.CodingStatsQuery) -> p.CodingStats:
    """Work orders (optionally of one ``assigned_agent``, or created within ``window_s``):
    counts by state and task type; lead time (created -> deployed) and cycle time (in_progress
    -> deployed) of deployed ones as count, mean, p50, p95 seconds (nearest rank); pass rates of
    tested ones (mean of their rates, and all passed / all tests); lines added and removed."""
    svc = _service(ctx)
    return await ctx.daemon.store.read(svc.stats, params)
