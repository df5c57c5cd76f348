"""The audit trail: one row in the system table ``clarity_audit`` per decision.

Rows are written here directly (never through a proposal, which would itself need an audit
row). The table is not a memory table: no proposal, edit or schema change can touch it, and
it is read with ``proposals.audit``. Until this version the trail lived in the ``governance``
memory table; :func:`migrate_from_governance` moves those rows here once, at start.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

import peewee

from ..storage.models import utcnow
from ..storage.rows import decode_cursor, encode_cursor, row_to_dict
from .models import SCHEMA_KINDS, AuditEntry, Proposal
from .schema import _table_exists

if TYPE_CHECKING:
    from ..storage import Store

log = logging.getLogger(__name__)

OLD_TABLE = "governance"  # the memory table that held the trail before clarity_audit
OLD_SOURCE = "governance"  # the source every old audit row was written with
MIGRATION = "migrate"  # the action of the one entry that records the move


def risk_of(proposal: Proposal) -> str:
    """How much a change could hurt: schema changes, deletes and flagged content are high."""
    if proposal.kind in SCHEMA_KINDS or proposal.kind == "delete" or proposal.flags:
        return "high"
    return "medium" if proposal.kind == "update" else "low"


def write_audit(
    store: Store,
    proposal: Proposal,
    *,
    actor: str,
    action: str,
    decision: str,
    rule: str | None,
    reason: str | None = None,
    reviewer: str | None = None,
    before: Any = None,
    after: Any = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record who decided what about ``proposal``, when, why, and under which policy rule."""
    info: dict[str, Any] = {
        "kind": proposal.kind,
        "confidence": proposal.confidence,
        "source": proposal.source,
        "created_by": proposal.created_by,
    }
    if proposal.flags:
        info["flags"] = proposal.flags
    if proposal.reverts:
        info["reverts"] = proposal.reverts  # the link from an undo to what it undoes
    info.update(details or {})
    # With the write's other audit rows in one statement: every decision writes one.
    store.insert_later(
        AuditEntry,
        {
            "actor": actor,
            "action": action,
            "proposal_id": proposal.id,
            "target_table": proposal.table,
            "target_row": proposal.row_id,
            "decision": decision,
            "reason": reason,
            "policy_rule": rule,
            "risk_level": risk_of(proposal),
            "reviewer": reviewer,
            "before_value": before,
            "after_value": after,
            "details": info,
            "decided_at": utcnow(),
        },
    )


def list_audit(
    *,
    proposal_id: int | None = None,
    table: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    order: str = "desc",
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Audit entries, newest first (``order="asc"``: oldest first), filtered, keyset-paged."""
    where: list[peewee.Expression] = []
    if proposal_id is not None:
        where.append(AuditEntry.proposal_id == proposal_id)
    if table:
        where.append(AuditEntry.target_table == table)
    if actor:
        where.append(AuditEntry.actor == actor)
    if action:
        where.append(AuditEntry.action == action)
    ascending = order == "asc"
    if cursor:
        _, last_id = decode_cursor(cursor)
        where.append(AuditEntry.id > last_id if ascending else AuditEntry.id < last_id)
    query = AuditEntry.select().order_by(AuditEntry.id.asc() if ascending else AuditEntry.id.desc())
    if where:
        query = query.where(*where)
    rows = cast("list[dict[str, Any]]", list(query.limit(limit + 1).dicts()))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(None, rows[-1]["id"])
    return [row_to_dict(r) for r in rows], next_cursor


def migrate_from_governance(store: Store) -> int:
    """Move the audit rows older versions wrote into the ``governance`` memory table to
    ``clarity_audit``, exactly once (writer thread, at start; the caller holds the schema lock
    on PostgreSQL). The move and an entry recording it commit together: after it,
    ``governance`` holds only rows filed there through proposals. Returns the rows moved."""
    if AuditEntry.select().where(AuditEntry.action == MIGRATION).exists():
        return 0
    moved = 0
    old = store.models.get(OLD_TABLE)
    if old is not None and _table_exists(store.db, old._meta.table_name):
        fields = [f for f in AuditEntry._meta.sorted_field_names if f != "id"]
        ids: list[int] = []
        for row in old.select().where(old.source == OLD_SOURCE).order_by(old.id).dicts().iterator():
            values = {f: row.get(f) for f in fields}
            values["actor"] = values["actor"] or "clarityd"
            values["action"] = values["action"] or "unknown"
            values["decided_at"] = values["decided_at"] or row["created_at"]
            values["details"] = {**(values["details"] or {}), "migrated_from": f"{old._meta.table_name}/{row['id']}"}
            AuditEntry.insert(values).execute()
            ids.append(row["id"])
        for start in range(0, len(ids), 500):
            old.delete().where(old.id.in_(ids[start : start + 500])).execute()
        moved = len(ids)
    AuditEntry.create(
        actor="clarityd",
        action=MIGRATION,
        decision="migrated",
        decided_at=utcnow(),
        reason=f"the audit trail moved from the {OLD_TABLE} memory table to clarity_audit",
        details={"rows": moved, "from": OLD_TABLE},
    )
    if moved:
        log.info("audit trail: moved %d row(s) from the %s table to clarity_audit", moved, OLD_TABLE)
    return moved
