"""Matching events against the configured alert rules, and the conditions events do not carry.

The event bus calls :meth:`Alerts.on_event` on the loop for each committed event; it only
queues the event (bounded) when some rule is on its type, so the bus never waits. One task
matches queued events against the rules of the configuration in force (a SIGHUP reload takes
effect at once), reading the row a row.* event is about when a rule asks about a field the
payload lacks (``trust_score``), and hands matches to :class:`Deliveries`.

A proposal that waits is not an event: every ``WAIT_CHECK_S`` the pending proposals are
looked at and each is offered once as ``proposal.waiting`` with ``waiting_minutes``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, UTC
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from ..governance.models import Proposal
from ..storage.models import utcnow
from ..storage.rows import dict_rows, row_to_dict
from .claims import AlertClaim, claim
from .delivery import Deliveries
from .rules import AlertRule

if TYPE_CHECKING:
    from ..events import EventBus
    from ..storage import Store

log = logging.getLogger("clarityd.alerts")
INBOX = 10_000  # events waiting to be matched; more are dropped (and logged)
WAIT_CHECK_S = 5.0
WAITING = "proposal.waiting"


class Alerts:
    def __init__(self, store: Store, events: EventBus, rules: Callable[[], list[AlertRule]]) -> None:
        self.store, self.events = store, events
        store.register(AlertClaim)  # before create_tables
        self.rules = rules  # read afresh each time: a reload changes them
        self.deliveries = Deliveries()
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(INBOX)
        self.matched: dict[str, int] = {}  # rule name -> events matched since start
        self.dropped = 0
        self._waiting_sent: set[tuple[str, int]] = set()  # (rule, proposal id) already alerted
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.events.listeners.add(self.on_event)
        self.deliveries.start()
        self._tasks = [asyncio.create_task(self._match()), asyncio.create_task(self._watch_waiting())]

    def stop(self) -> None:
        self.events.listeners.discard(self.on_event)
        for t in self._tasks:
            t.cancel()
        self.deliveries.stop()

    def on_event(self, event: dict[str, Any]) -> None:
        """From the event bus, on the loop: queue the event if any rule is on its type."""
        if not any(rule.wants(event["type"]) for rule in self.rules()):
            return
        try:
            self.inbox.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                log.warning("alerts: %d events not matched (more than %d waiting)", self.dropped, INBOX)

    async def _match(self) -> None:
        while True:
            event = await self.inbox.get()
            try:
                await self._dispatch(event)
            except Exception:
                log.exception("alerts: matching event %s failed", event.get("id"))

    async def _dispatch(self, event: dict[str, Any]) -> None:
        rules = [r for r in self.rules() if r.wants(event["type"])]
        row = await self._row_of(event) if any(r.needs_row(event) for r in rules) else None
        for rule in rules:
            if rule.matches(event, row):
                self.matched[rule.name] = self.matched.get(rule.name, 0) + 1
                await self._send_once(rule, event, f"{rule.name}|{event['id']}")

    async def _send_once(self, rule: AlertRule, event: dict[str, Any], key: str) -> None:
        """Send unless another daemon (or this one, before a restart) already did."""
        if await self.store.write(claim, key):
            self.deliveries.send(rule, event)

    async def _row_of(self, event: dict[str, Any]) -> dict[str, Any] | None:
        table, _, row_id = str(event.get("subject", "")).partition("/")
        store = self.store
        model = store.models.get(table)
        if model is None or not row_id.isdigit():
            return None
        found = await store.read(lambda: model.select().where(model.id == int(row_id)).dicts().first())
        return row_to_dict(found) if found else None

    async def _watch_waiting(self) -> None:
        while True:
            await asyncio.sleep(WAIT_CHECK_S)
            try:
                await self._check_waiting()
            except Exception:
                log.exception("alerts: checking waiting proposals failed")

    async def _check_waiting(self) -> None:
        rules = [r for r in self.rules() if r.wants(WAITING)]
        if not rules:
            return

        def pending() -> list[dict[str, Any]]:
            return dict_rows(
                Proposal.select(
                    Proposal.id,
                    Proposal.table,
                    Proposal.kind,
                    Proposal.confidence,
                    Proposal.source,
                    Proposal.created_at,
                )
                .where(Proposal.status == "pending")
                .order_by(Proposal.id)
                .limit(10_000)
            )

        now = utcnow()
        waiting = await self.store.read(pending)
        still = {p["id"] for p in waiting}
        self._waiting_sent = {k for k in self._waiting_sent if k[1] in still}  # decided ones are forgotten
        for p in waiting:
            minutes = (now - p["created_at"]).total_seconds() / 60
            event = {
                "id": None,
                "type": WAITING,
                "subject": f"proposal/{p['id']}",
                "actor": None,
                "created_at": datetime.now(UTC),
                "payload": {
                    "proposal": p["id"],
                    "table": p["table"],
                    "kind": p["kind"],
                    "confidence": p["confidence"],
                    "source": p["source"],
                    "waiting_minutes": round(minutes, 2),
                },
            }
            for rule in rules:
                if (rule.name, p["id"]) not in self._waiting_sent and rule.matches(event):
                    self._waiting_sent.add((rule.name, p["id"]))
                    self.matched[rule.name] = self.matched.get(rule.name, 0) + 1
                    await self._send_once(rule, event, f"{rule.name}|{WAITING}|{event['subject']}")
