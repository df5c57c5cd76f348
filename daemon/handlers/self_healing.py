"""self_healing.* handlers: thin calls into the playbook-run service."""

from __future__ import annotations

from ..protocol import self_healing as p
from ..rpc.router import CallContext, handles
from ..subsystems.self_healing import SelfHealing


def _service(ctx: CallContext) -> SelfHealing:
    return ctx.daemon.subsystems.self_healing


@handles(p.LOG)
async def log_run(ctx: CallContext, params: p.LogPlaybookRun) -> p.PlaybookRun:
    """Records one run of a playbook: ``playbook_name``, ``success``, and optionally
    ``trigger_conditions``, ``trigger_event``, ``actions`` (in order), ``target_components``,
    ``duration_ms``, ``risk_level`` (low, medium, high, critical), ``error``, ``rolled_back``,
    ``approved_by``, ``attempt``, ``health_before``/``health_after`` and ``executed_at``
    (default now). The outcome may come nested as in the original integration:
    ``execution_result={success, duration_ms, risk_level, error}``; a field given both ways
    with different values is INVALID_PARAMS. Returns the run with the playbook's run count,
    success rate and new trust:

        trust = 0.7 x (successful runs / runs) + 0.3 x trust before this run   (0.5 at first)

    Emits playbook.run."""
    svc = _service(ctx)
    return await svc.commits.write(params.playbook_name, svc.log, params, ctx.actor)


@handles(p.STATS)
async def stats(ctx: CallContext, params: p.PlaybookRef) -> p.PlaybookStats:
    """One playbook's runs (all, or those executed within ``window_s`` seconds): successes,
    failures, success rate, mean and p95 duration in ms (nearest rank, over runs that gave a
    duration), rollbacks, last run and its outcome, and the playbook's current trust. A
    playbook that never ran is NOT_FOUND."""
    svc = _service(ctx)
    return await ctx.daemon.store.read(svc.stats, params)


@handles(p.TOP_PLAYBOOKS)
async def top_playbooks(ctx: CallContext, params: p.TopPlaybooks) -> list[p.PlaybookStats]:
    """Playbooks ranked ``by`` runs (default), success_rate or trust, highest first, counting
    runs within ``window_s`` seconds when given; those with fewer than ``min_runs`` runs are
    left out; at most ``limit``. Ties: more runs first, then by name."""
    svc = _service(ctx)
    return await ctx.daemon.store.read(svc.top, params)
