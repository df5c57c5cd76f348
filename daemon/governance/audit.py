"""The audit trail: one row in the ``governance`` memory table per decision.

Rows are written here directly (never through a proposal, which would itself need an
audit row), and the API refuses to update or delete them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..storage import compiled
from ..storage.models import utcnow
from .models import SCHEMA_KINDS, Proposal
from .policy import AUDIT_TABLE

if TYPE_CHECKING:
    from ..storage import Store


def risk_of(proposal: Proposal) -> str:
    """How much a change could hurt: schema changes, deletes and flagged content are high."""
    if proposal.kind in SCHEMA_KINDS or proposal.kind == "delete" or proposal.flags:
        return "high"
    return "medium" if proposal.kind == "update" else "low"


def write_audit(store: "Store", proposal: Proposal, *, actor: str, action: str, decision: str, rule: str | None,
                reason: str | None = None, reviewer: str | None = None, before: Any = None, after: Any = None,
                details: dict[str, Any] | None = None) -> None:
    """Record who decided what about ``proposal``, when, why, and under which policy rule."""
    info: dict[str, Any] = {"kind": proposal.kind, "confidence": proposal.confidence, "source": proposal.source,
                            "created_by": proposal.created_by}
    if proposal.flags:
        info["flags"] = proposal.flags
    if proposal.reverts:
        info["reverts"] = proposal.reverts  # the link from an undo to what it undoes
    info.update(details or {})
    compiled.create(  # .create with its SQL built once: every decision writes one
        store.models[AUDIT_TABLE],
        actor=actor,
        action=action,
        proposal_id=proposal.id,
        target_table=proposal.table,
        target_row=proposal.row_id,
        decision=decision,
        reason=reason,
        policy_rule=rule,
        risk_level=risk_of(proposal),
        reviewer=reviewer,
        before_value=before,
        after_value=after,
        details=info,
        decided_at=utcnow(),
        source="governance",
        trust_score=1.0,
    )
