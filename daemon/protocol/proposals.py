"""proposals.*: the governance queue, decisions, schema changes, undo and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from .envelope import Id
from .registry import Method, NoParams, Role

Confidence = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
PageSize = Annotated[int, msgspec.Meta(ge=1, le=500)]
FieldType = Literal["string", "text", "integer", "float", "boolean", "datetime", "json", "list"]


class Proposal(msgspec.Struct):
    """One proposed change and where it stands.

    ``status``: pending -> approved -> applied, or rejected, failed (``error`` says why),
    superseded (``superseded_by``). ``kind``: insert, update, delete (rows); create_table,
    add_column, alter_column, drop_column (schema). ``payload``: the fields of a row change,
    or the schema diff. ``preview`` (schema kinds): the statements it runs and the rows it
    touches. ``before``/``after``: the row (or column) before and after applying.
    """

    id: int
    kind: str
    table: str
    payload: dict[str, Any]
    confidence: float
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    reasoning: str = ""
    row_id: int | None = None
    source: str | None = None
    policy_rule: str | None = None
    flags: list[str] | None = None
    expected_version: int | None = None
    approvals: list[dict[str, Any]] | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    error: str | None = None
    corrections: dict[str, Any] | None = None
    preview: dict[str, Any] | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reverts: int | None = None
    reverted_by: int | None = None
    superseded_by: int | None = None


class ProposalPage(msgspec.Struct):
    proposals: list[Proposal]
    next_cursor: str | None
    total: int | None = None


class ListPending(msgspec.Struct, forbid_unknown_fields=True):
    """Filters for the pending queue; ``kind`` may be "schema" for any schema change;
    ``source`` matches a substring; ``flagged`` keeps (or leaves out) content flagged as a secret;
    ``created_before`` / ``created_after`` (UTC) keep proposals by age."""

    table: str | None = None
    kind: str | None = None
    source: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    flagged: bool | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    limit: PageSize = 50
    cursor: str | None = None
    count: bool = False


class ListHistory(msgspec.Struct, forbid_unknown_fields=True):
    table: str | None = None
    kind: str | None = None
    source: str | None = None
    status: Literal["approved", "applied", "rejected", "failed", "superseded"] | None = None
    decided_by: str | None = None
    limit: PageSize = 50
    cursor: str | None = None
    count: bool = False


class ProposalRef(msgspec.Struct, forbid_unknown_fields=True):
    id: Id


class Approve(msgspec.Struct, forbid_unknown_fields=True):
    """``fields``: corrected values (inserts and updates); ``table``: move an insert to
    another table; ``note``: why, for the audit trail."""

    id: Id
    fields: dict[str, Any] | None = None
    table: str | None = None
    note: str | None = None


class Reject(msgspec.Struct, forbid_unknown_fields=True):
    id: Id
    reason: Annotated[str, msgspec.Meta(min_length=1)]


class Revert(msgspec.Struct, forbid_unknown_fields=True):
    id: Id
    reason: str = ""


class FieldDef(msgspec.Struct, forbid_unknown_fields=True):
    """A column: its name, type, whether a row must give it, and what it holds. The catalog's
    ``FieldSpec`` (daemon/catalog.py) is this and the aliases files may use for it."""

    name: str
    type: FieldType
    required: bool = False
    description: str = ""


class SchemaTweak(msgspec.Struct, forbid_unknown_fields=True):
    """A schema change. ``create_table``: ``table``, ``fields``, ``description``, optional
    ``db_table`` (default memory_<table>) and ``hints``. ``add_column``/``alter_column``:
    ``field`` (for alter, the column's full new definition). ``drop_column``: ``column``.
    ``allow_data_loss`` must be true for a change that would lose stored values."""

    action: Literal["create_table", "add_column", "alter_column", "drop_column"]
    table: str
    field: FieldDef | None = None
    column: str | None = None
    fields: list[FieldDef] = []
    description: str = ""
    db_table: str | None = None
    hints: dict[str, Any] | None = None
    allow_data_loss: bool = False
    reasoning: str = ""


class CreateProposal(msgspec.Struct, forbid_unknown_fields=True):
    """A new row proposed by an agent or a person; decided by the policy like any other."""

    table: str
    fields: dict[str, Any]
    confidence: Confidence
    reasoning: str = ""
    source: str | None = None


class ListAudit(msgspec.Struct, forbid_unknown_fields=True):
    """Filters for the audit trail: one proposal, a target table, an actor or an action."""

    proposal_id: Id | None = None
    table: str | None = None
    actor: str | None = None
    action: str | None = None  # auto-approve, self-approve, approve, endorse, reject, supersede, apply, migrate
    order: Literal["asc", "desc"] = "desc"
    limit: PageSize = 50
    cursor: str | None = None


class AuditEntry(msgspec.Struct):
    """One decision: who (``actor``), what (``action``, ``decision``), about which proposal and
    row, why (``reason``), under which ``policy_rule``, the row before and after, when."""

    id: int
    actor: str
    action: str
    decided_at: datetime
    proposal_id: int | None = None
    target_table: str | None = None
    target_row: int | None = None
    decision: str | None = None
    reason: str | None = None
    policy_rule: str | None = None
    risk_level: str | None = None
    reviewer: str | None = None
    before_value: Any = None
    after_value: Any = None
    details: dict[str, Any] | None = None


class AuditPage(msgspec.Struct):
    entries: list[AuditEntry]
    next_cursor: str | None


class PolicyInfo(msgspec.Struct):
    path: str
    from_file: bool  # false: the file is missing and the built-in defaults are in force
    policy: dict[str, Any]


PENDING = Method(
    "proposals.pending",
    ListPending,
    ProposalPage,
    Role.reader,
    "Pending proposals, oldest first: filter by table, kind, source, confidence, age; paged.",
)
GET = Method("proposals.get", ProposalRef, Proposal, Role.reader, "One proposal by id.")
HISTORY = Method("proposals.history", ListHistory, ProposalPage, Role.reader, "Decided proposals, most recent first.")
APPROVE = Method(
    "proposals.approve",
    Approve,
    Proposal,
    Role.operator,
    "Approve a proposal (optionally with corrections) and apply it.",
)
REJECT = Method("proposals.reject", Reject, Proposal, Role.operator, "Reject a proposal; a reason is required.")
SCHEMA_TWEAK = Method(
    "proposals.schema_tweak",
    SchemaTweak,
    Proposal,
    Role.operator,
    "Propose a schema change; the proposal shows its DDL and the rows it touches.",
)
REVERT = Method(
    "proposals.revert", Revert, Proposal, Role.operator, "Propose undoing an applied proposal (decided like any other)."
)
CREATE = Method(
    "proposals.create", CreateProposal, Proposal, Role.agent, "Propose a new row; the policy may auto-approve it."
)
POLICY = Method("proposals.policy", NoParams, PolicyInfo, Role.reader, "The governance policy in force.")
AUDIT = Method(
    "proposals.audit",
    ListAudit,
    AuditPage,
    Role.reader,
    "The audit trail: every decision, newest first; filter by proposal, table, actor, action.",
)
