"""Reading the journal for people: records with their proposal's fate, and a file's history.

Runs inside ``Store.read``.
"""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any

from ..events import Event
from ..governance import Proposal
from ..storage.rows import tuple_rows
from . import journal as j


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value is not None else None


def records(entries: list[j.JournalEntry]) -> list[dict[str, Any]]:
    """Entries as ``IngestRecord``-shaped dicts, with their proposals and originals looked up
    in a few queries whatever their number."""
    proposal_ids = {e.proposal_id for e in entries if e.proposal_id is not None}
    # Keyed by int | None: entries without a proposal look theirs up and find nothing.
    proposals: dict[int | None, Proposal] = (
        {
            p.id: p
            for p in Proposal.select(
                Proposal.id, Proposal.status, Proposal.confidence, Proposal.row_id, Proposal.kind
            ).where(Proposal.id.in_(proposal_ids))
        }
        if proposal_ids
        else {}
    )
    links: dict[int | None, list[int]] = {}
    if proposal_ids:
        for version, pid in tuple_rows(
            j.EntryProposal.select(j.EntryProposal.version, j.EntryProposal.proposal_id)
            .where(j.EntryProposal.version.in_(proposal_ids))
            .order_by(j.EntryProposal.position)
        ):
            links.setdefault(version, []).append(pid)
    original_ids = {e.duplicate_of for e in entries if e.duplicate_of is not None}
    originals: dict[int | None, str] = (
        dict(
            tuple_rows(
                j.JournalEntry.select(j.JournalEntry.id, j.JournalEntry.path).where(j.JournalEntry.id.in_(original_ids))
            )
        )
        if original_ids
        else {}
    )
    out = []
    for e in entries:
        p = proposals.get(e.proposal_id)
        out.append(
            {
                "id": e.id,
                "path": e.path,
                "state": e.state,
                "size": e.size,
                "sha256": e.sha256,
                "kind": e.kind,
                "table": e.table,
                "proposal_id": e.proposal_id,
                "proposal_ids": links.get(e.proposal_id, [e.proposal_id] if e.proposal_id is not None else []),
                "proposal_status": p.status if p else None,
                "confidence": p.confidence if p else None,
                "row_id": e.row_id,
                "duplicate_of": originals.get(e.duplicate_of),
                "attempts": e.attempts,
                "last_error": e.last_error,
                "next_attempt_at": _iso(e.next_attempt_at),
                "quarantine_path": e.quarantine_path,
                "first_seen_at": _iso(e.first_seen_at),
                "updated_at": _iso(e.updated_at),
            }
        )
    return out


def summary(limit: int, path: str | None) -> dict[str, Any]:
    """Counts by state, the latest failures, and (with ``path``) one file and its history."""
    counts = j.counts()
    out: dict[str, Any] = {
        "counts": counts,
        "total": sum(counts.values()),
        "failures": records(j.recent_failures(limit)),
        "file": None,
        "history": [],
    }
    if path is not None:
        entry = j.entry_by_path(path)
        if entry is not None:
            out["file"] = records([entry])[0]
            events = Event.select().where(Event.subject == j.subject(entry)).order_by(Event.id.desc()).limit(limit)
            out["history"] = [
                {"at": _iso(ev.created_at), "event": ev.type, "detail": ev.payload or {}}
                for ev in reversed(list(events))
            ]
    return out


def record_of(path: str) -> dict[str, Any] | None:
    entry = j.entry_by_path(path)
    return records([entry])[0] if entry is not None else None
