"""How a proposal reads on screen: its record for the detail pane, the change it makes (before
-> after for an update, the statements for a schema change), the queue's filter and sorts."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from daemon.protocol.proposals import Proposal

from . import formatting
from .formatting import COMMON_FIELDS, cell, when

HIGH_CONFIDENCE = 0.90
"""The band boundary the original review panel used: high is 0.90 and above."""

SCHEMA_KINDS = ("create_table", "add_column", "alter_column", "drop_column")
AGES = {"": None, "1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7)}
"""Choices of the age filter: proposals older than this ("" for any age)."""


@dataclass(frozen=True)
class QueueFilter:
    """What the pending queue is narrowed to; every part optional."""

    band: str = "all"  # all, high (>= 0.90), low (< 0.90)
    table: str = ""
    kind: str = ""  # insert, update, delete, schema, or one schema kind
    source: str = ""  # a substring of the file path, agent or operator
    older_than: str = ""  # a key of AGES

    def params(self) -> dict[str, Any]:
        """The proposals.pending params for this filter."""
        params: dict[str, Any] = {}
        if self.band == "high":
            params["min_confidence"] = HIGH_CONFIDENCE
        elif self.band == "low":
            params["max_confidence"] = HIGH_CONFIDENCE - 1e-9
        for name in ("table", "kind", "source"):
            if value := getattr(self, name):
                params[name] = value
        if span := AGES.get(self.older_than):
            params["created_before"] = (formatting.now() - span).isoformat()
        return params

    def describe(self) -> str:
        """The filter in a few words for the status line; empty when nothing is filtered."""
        parts = []
        if self.band != "all":
            parts.append(f"{self.band} confidence")
        parts += [f"{name} {getattr(self, name)}" for name in ("table", "kind", "source") if getattr(self, name)]
        if self.older_than:
            parts.append(f"older than {self.older_than}")
        return ", ".join(parts)

    def cleared(self) -> QueueFilter:
        return replace(self, band="all", table="", kind="", source="", older_than="")


SORTS: dict[str, tuple[str, Any, bool]] = {
    "oldest": ("oldest first", lambda p: p.id, False),
    "newest": ("newest first", lambda p: p.id, True),
    "confidence-": ("confidence, highest first", lambda p: (p.confidence, -p.id), True),
    "confidence+": ("confidence, lowest first", lambda p: (p.confidence, p.id), False),
    "table": ("by table", lambda p: (p.table, p.id), False),
}
"""The queue's sorts, in the order ``s`` goes through them: (label, key, descending)."""


def sort_proposals(proposals: list[Proposal], sort: str) -> list[Proposal]:
    _, key, descending = SORTS[sort]
    return sorted(proposals, key=key, reverse=descending)


def source_of(p: Proposal) -> str:
    """Where a proposal came from, short: a file's name, else the agent or operator."""
    source = p.source or p.created_by
    return os.path.basename(source) if source.startswith("/") else source


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, str]:
    """Each changed field as "old → new" (the row's columns the daemon manages left out)."""
    before = before or {}
    return {
        name: f"{cell(before.get(name), 60) or '∅'} → {cell(value, 60) or '∅'}"
        for name, value in after.items()
        if name not in COMMON_FIELDS
    }


def ddl_text(preview: dict[str, Any] | None) -> str:
    """A schema proposal's statements, one a line, and what they touch."""
    if not preview:
        return ""
    lines = list(preview.get("ddl", []))
    touched = [
        f"{k.replace('_', ' ')}: {preview[k]}" for k in ("rows_in_table", "rows_affected", "data_loss") if k in preview
    ]
    return "\n".join(lines + ([" · ".join(touched)] if touched else []))


def proposal_record(p: Proposal, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """A proposal's fields in the order an operator reads them. ``current`` is the row as it
    is now (for a pending update or delete), to show what would change."""
    record: dict[str, Any] = {
        "proposal": f"#{p.id} · {p.kind} · {p.table} · {p.status}",
        "confidence": f"{p.confidence:.2f}",
        "source": p.source or "",
        "created": f"{when(p.created_at)} UTC ({formatting.ago(p.created_at)}) by {p.created_by}",
        "policy": p.policy_rule or "",
        "reasoning": p.reasoning,
    }
    if p.decided_by or p.decided_at:
        record["decided"] = f"{p.status} by {p.decided_by or '?'} at {when(p.decided_at)} UTC"
        if p.note:
            record["why"] = p.note
    if p.error:
        record["error"] = p.error
    if p.flags:
        record["flags"] = ", ".join(p.flags)
    if p.row_id is not None:
        record["row"] = f"{p.table}/{p.row_id}" + (f" at version {p.expected_version}" if p.expected_version else "")
    if p.approvals:
        record["approvals"] = ", ".join(str(a.get("actor", a)) for a in p.approvals)
    if p.kind == "update":
        before = p.before if p.before is not None else current
        record["change (before → after)"] = changes(before, p.after or p.payload) if before is not None else p.payload
    elif p.kind == "delete":
        record["row to delete"] = {
            k: v for k, v in (p.before or current or {}).items() if k not in COMMON_FIELDS
        } or "(the row as it is now could not be read)"
    elif p.kind == "insert":
        record["fields"] = p.payload
    else:
        record["change"] = p.payload
    if p.kind in SCHEMA_KINDS and p.preview:
        record["DDL preview"] = ddl_text(p.preview)
    if p.corrections:
        record["corrections"] = p.corrections
    if p.reverts:
        record["reverts"] = f"#{p.reverts}"
    if p.reverted_by:
        record["reverted by"] = f"#{p.reverted_by}"
    return record
