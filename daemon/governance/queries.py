"""Reading proposals: the pending queue (oldest first) and the decided history (newest
first), filtered and paged with keyset cursors. Run on reader threads."""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any

import peewee

from ..errors import InvalidParams, NotFound
from ..storage.rows import coerce, decode_cursor, encode_cursor, row_to_dict
from .models import DECIDED, KINDS, SCHEMA_KINDS, Proposal


def get_proposal(proposal_id: int) -> dict[str, Any]:
    p = Proposal.select().where(Proposal.id == proposal_id).dicts().first()
    if p is None:
        raise NotFound(f"no proposal {proposal_id}")
    return row_to_dict(p)


def _kinds(kind: str) -> tuple[str, ...]:
    if kind == "schema":
        return SCHEMA_KINDS
    if kind not in KINDS:
        raise InvalidParams(f"unknown kind {kind!r}; one of {', '.join(KINDS)} or schema")
    return (kind,)


def _filters(
    table: str | None,
    kind: str | None,
    source: str | None,
    min_confidence: float | None,
    max_confidence: float | None,
    flagged: bool | None,
) -> list[peewee.Expression]:
    where: list[peewee.Expression] = []
    if table:
        where.append(Proposal.table == table)
    if kind:
        where.append(Proposal.kind.in_(_kinds(kind)))
    if source:
        where.append(Proposal.source.contains(source))
    if min_confidence is not None:
        where.append(Proposal.confidence >= min_confidence)
    if max_confidence is not None:
        where.append(Proposal.confidence <= max_confidence)
    if flagged is not None:
        where.append(Proposal.flags.is_null(not flagged))
    return where


def _naive_utc(at: datetime) -> datetime:
    """Times are stored as naive UTC: compare like with like."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _page(
    query: peewee.Select, where: list[peewee.Expression], limit: int, count: bool, cursor_of: Any
) -> tuple[list[dict[str, Any]], str | None, int | None]:
    rows = list(query.limit(limit + 1).dicts())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursor_of(rows[-1])
    total = Proposal.select().where(*where).count() if count else None
    return [row_to_dict(r) for r in rows], next_cursor, total


def list_pending(
    *,
    table: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    flagged: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
    count: bool = False,
    created_before: datetime | None = None,
    created_after: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """Pending proposals, oldest first (the order they should be decided in)."""
    where = [Proposal.status == "pending", *_filters(table, kind, source, min_confidence, max_confidence, flagged)]
    if created_before is not None:
        where.append(Proposal.created_at < _naive_utc(created_before))
    if created_after is not None:
        where.append(Proposal.created_at >= _naive_utc(created_after))
    query = Proposal.select().order_by(Proposal.id)
    if cursor:
        _, last_id = decode_cursor(cursor)
        query = query.where(*where, Proposal.id > last_id)
    else:
        query = query.where(*where)
    return _page(query, where, limit, count, lambda r: encode_cursor(None, r["id"]))


def list_history(
    *,
    table: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    status: str | None = None,
    decided_by: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    count: bool = False,
) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """Decided proposals, the most recently changed first."""
    if status and status not in DECIDED:
        raise InvalidParams(f"status {status!r} is not a decided status; one of {', '.join(DECIDED)}")
    where = [Proposal.status == status] if status else [Proposal.status.in_(DECIDED)]
    where += _filters(table, kind, source, None, None, None)
    if decided_by:
        where.append(Proposal.decided_by == decided_by)
    query = Proposal.select().order_by(Proposal.updated_at.desc(), Proposal.id.desc())
    extra = []
    if cursor:
        value, last_id = decode_cursor(cursor)
        at = coerce(value, "datetime", "cursor")
        extra.append((Proposal.updated_at < at) | ((Proposal.updated_at == at) & (Proposal.id < last_id)))
    query = query.where(*where, *extra)
    return _page(query, where, limit, count, lambda r: encode_cursor(r["updated_at"], r["id"]))
