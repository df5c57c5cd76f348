"""Proposals in, decisions and applied rows out. Every decision is audited and evented.

This is the minimal core (insert proposals with the > 0.90 auto-approval rule); the
governance issue grows it into the full policy, edits, schema changes and undo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import peewee

from ..errors import InvalidParams
from ..storage.models import utcnow
from ..storage.rows import coerce, field_types, row_to_dict
from .models import Proposal

if TYPE_CHECKING:
    from ..events import EventBus
    from ..storage import Store

AUTO_APPROVE_THRESHOLD = 0.90  # strictly greater than: the original system's rule
SYSTEM_ACTOR = "clarityd"


class Draft(msgspec.Struct, kw_only=True):
    """What a producer (ingestion, an agent, an operator) proposes."""

    kind: str = "insert"
    table: str
    fields: dict[str, Any]
    confidence: float
    reasoning: str = ""
    source: str | None = None
    actor: str = SYSTEM_ACTOR
    row_id: int | None = None


class Governance:
    def __init__(self, store: "Store", events: "EventBus") -> None:
        self.store = store
        self.events = events
        store.register(Proposal)

    # -- called inside Store.write (writer thread) ------------------------------------

    def propose(self, draft: Draft) -> dict[str, Any]:
        """Record a proposal; apply it at once when the policy auto-approves it."""
        if draft.kind != "insert":
            raise InvalidParams(f"proposal kind {draft.kind!r} is not supported yet")
        spec = self.store.spec(draft.table)
        fields = self._clean(draft.table, draft.fields)
        missing = [f.name for f in spec.fields if f.required and fields.get(f.name) in (None, "")]
        proposal = Proposal.create(
            kind=draft.kind,
            table=draft.table,
            payload=fields,
            confidence=draft.confidence,
            reasoning=draft.reasoning,
            source=draft.source,
            created_by=draft.actor,
        )
        self.events.emit("proposal.created", f"proposal/{proposal.id}",
                         {"table": draft.table, "kind": draft.kind, "confidence": draft.confidence}, draft.actor)
        if draft.confidence > AUTO_APPROVE_THRESHOLD and not missing:
            self._decide(proposal, "approved", SYSTEM_ACTOR, "auto-approve: confidence > 0.90", None)
            self._apply(proposal)
        else:
            proposal.policy_rule = "pending: needs a person" + (f" (missing {', '.join(missing)})" if missing else "")
            proposal.save()
        return row_to_dict(proposal)

    def _clean(self, table: str, fields: dict[str, Any]) -> dict[str, Any]:
        types = field_types(self.store.spec(table))
        unknown = sorted(set(fields) - set(types))
        if unknown:
            raise InvalidParams(f"{table} has no column(s) {', '.join(unknown)}")
        return {k: msgspec.to_builtins(coerce(v, types[k], k)) for k, v in fields.items()}

    def _decide(self, proposal: Proposal, status: str, actor: str, rule: str, note: str | None) -> None:
        proposal.status, proposal.decided_by, proposal.decided_at = status, actor, utcnow()
        proposal.policy_rule, proposal.note, proposal.updated_at = rule, note, utcnow()
        proposal.save()
        self._audit(proposal, actor, status, rule, note)

    def _apply(self, proposal: Proposal) -> None:
        model = self.store.model(proposal.table)
        types = field_types(self.store.spec(proposal.table))
        values = {k: coerce(v, types[k], k) for k, v in proposal.payload.items()}
        try:
            with self.store.db.atomic():  # a savepoint: a failed insert leaves the table untouched
                row = model.create(source=proposal.source, trust_score=proposal.confidence, **values)
        except peewee.DatabaseError as e:
            proposal.status, proposal.error = "failed", str(e)
            proposal.save()
            self.events.emit("proposal.failed", f"proposal/{proposal.id}", {"error": str(e)}, SYSTEM_ACTOR)
            return
        proposal.status, proposal.row_id, proposal.updated_at = "applied", row.id, utcnow()
        proposal.save()
        self.events.emit("row.inserted", f"{proposal.table}/{row.id}", {"proposal": proposal.id}, proposal.decided_by)
        self.events.emit("proposal.applied", f"proposal/{proposal.id}", {"row_id": row.id}, proposal.decided_by)

    def _audit(self, proposal: Proposal, actor: str, decision: str, rule: str, note: str | None) -> None:
        audit = self.store.models["governance"]
        audit.create(
            actor=actor,
            action=f"{proposal.kind}:{decision}",
            proposal_id=proposal.id,
            target_table=proposal.table,
            target_row=proposal.row_id,
            decision=decision,
            reason=note,
            policy_rule=rule,
            details={"confidence": proposal.confidence, "source": proposal.source},
            decided_at=utcnow(),
            source="governance",
            trust_score=1.0,
        )
        self.events.emit(f"proposal.{decision}", f"proposal/{proposal.id}", {"rule": rule}, actor)
