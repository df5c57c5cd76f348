"""alerts.* handlers."""

from __future__ import annotations

import msgspec

from ..alerts.rules import masked
from ..protocol import alerts as p
from ..protocol.registry import NoParams
from ..rpc.router import CallContext, handles


@handles(p.RULES)
async def rules(ctx: CallContext, params: NoParams) -> p.Rules:
    """The alert rules of the configuration in force (``alerts:``; SIGHUP reloads them), each
    with the events it matched since the daemon started, and the deliveries' counts."""
    alerts = ctx.daemon.alerts
    d = alerts.deliveries
    return p.Rules(
        rules=[
            p.Rule(
                name=r.name,
                on=r.on_,
                where=r.where,
                webhook=masked(r.webhook),
                command=r.command,
                timeout_s=r.timeout_s,
                max_attempts=r.max_attempts,
                matched=alerts.matched.get(r.name, 0),
            )
            for r in ctx.daemon.config.alerts
        ],
        queued=d.pending,
        delivered=d.stats["delivered"],
        failed=d.stats["failed"],
        dropped=d.stats["dropped"],
    )


@handles(p.DELIVERIES)
async def deliveries(ctx: CallContext, params: p.ListDeliveries) -> list[p.Delivery]:
    """The latest alert deliveries, newest first: one record per try (``retrying`` until one
    succeeds, ``delivered``, ``failed`` when the rule's tries ran out or the receiver refused,
    ``dropped`` when the queue was full), with the HTTP status or exit code in ``detail``. The
    daemon keeps the last 1,000; its log has every one."""
    out = []
    for record in reversed(ctx.daemon.alerts.deliveries.records):
        if (params.rule is None or record["rule"] == params.rule) and (
            params.status is None or record["status"] == params.status
        ):
            out.append(record)
            if len(out) >= params.limit:
                break
    return msgspec.convert(out, list[p.Delivery])
