"""proposals.* handlers: the queue, decisions, schema changes, undo."""

from __future__ import annotations

from typing import Any

import msgspec

from ..catalog import FieldSpec
from ..governance import Draft, queries
from ..governance.audit import list_audit
from ..governance.schema import make_diff
from ..protocol import proposals as p
from ..protocol.registry import NoParams, Role
from ..rpc.router import CallContext, handles


def as_proposal(record: dict[str, Any]) -> p.Proposal:
    return msgspec.convert(record, p.Proposal)


def _page(result: tuple[list[dict[str, Any]], str | None, int | None]) -> p.ProposalPage:
    rows, cursor, total = result
    return p.ProposalPage(proposals=[as_proposal(r) for r in rows], next_cursor=cursor, total=total)


@handles(p.PENDING)
async def pending(ctx: CallContext, params: p.ListPending) -> p.ProposalPage:
    """Pending proposals, oldest first. Filters: ``table``; ``kind`` (insert, update, delete,
    create_table, add_column, alter_column, drop_column, or "schema" for any schema change);
    ``source`` (a substring of the file path, agent or operator); ``min_confidence`` and
    ``max_confidence`` (inclusive); ``flagged`` (true: only proposals whose content looks like
    a secret); ``created_before`` / ``created_after`` (UTC times) by age. Pass ``next_cursor``
    back as ``cursor`` for the next page; ``count`` adds the total."""
    kwargs = msgspec.structs.asdict(params)
    return _page(await ctx.daemon.store.read(lambda: queries.list_pending(**kwargs)))


@handles(p.GET)
async def get(ctx: CallContext, params: p.ProposalRef) -> p.Proposal:
    """One proposal with everything known about it: payload, policy rule and flags, the
    decision, corrections, the schema preview, the row before and after. NOT_FOUND if no
    such proposal."""
    return as_proposal(await ctx.daemon.store.read(queries.get_proposal, params.id))


@handles(p.HISTORY)
async def history(ctx: CallContext, params: p.ListHistory) -> p.ProposalPage:
    """Decided proposals (approved, applied, rejected, failed, superseded), most recently
    changed first. Filters: ``table``, ``kind``, ``source``, ``status``, ``decided_by``
    (an actor such as ``alice(1000)`` or ``clarityd`` for automatic decisions)."""
    kwargs = msgspec.structs.asdict(params)
    return _page(await ctx.daemon.store.read(lambda: queries.list_history(**kwargs)))


@handles(p.APPROVE)
async def approve(ctx: CallContext, params: p.Approve) -> p.Proposal:
    """Approve a pending proposal and apply it, in one transaction. ``fields`` corrects
    values of an insert or update before it is applied; ``table`` moves an insert to another
    table (fields the new table lacks are dropped, and listed in ``corrections``); ``note``
    goes into the audit trail with your identity.

    The result's ``status`` is "applied", or "failed" with ``error`` when the database refused
    the change (the table is untouched), or still "pending" when the policy wants a second
    operator. CONFLICT when the proposal was already decided (by anyone, on any daemon) or
    when the row or table changed since the proposal was made (the proposal is then failed:
    nothing is overwritten). FORBIDDEN when the policy names other approvers for the table or
    you already gave the first of two approvals. INVALID_PARAMS when a required field is
    still missing."""
    return as_proposal(
        await ctx.daemon.governance.approve(
            params.id,
            actor=ctx.actor,
            user=ctx.identity.user,
            fields=params.fields,
            table=params.table,
            note=params.note,
        )
    )


@handles(p.REJECT)
async def reject(ctx: CallContext, params: p.Reject) -> p.Proposal:
    """Reject a pending proposal; ``reason`` is required and goes into the audit trail.
    CONFLICT when it was already decided."""
    return as_proposal(
        await ctx.daemon.governance.reject(params.id, actor=ctx.actor, user=ctx.identity.user, reason=params.reason)
    )


@handles(p.SCHEMA_TWEAK)
async def schema_tweak(ctx: CallContext, params: p.SchemaTweak) -> p.Proposal:
    """Propose a schema change; it waits for an operator's approval (never automatic).
    ``action`` create_table (``table``, ``fields``, ``description``, optional ``db_table``
    and ``hints``), add_column (``field``), alter_column (``field``: the column's new
    definition; a type change converts every stored value), drop_column (``column``).

    The proposal's ``preview`` shows exactly what approval will do: ``ddl`` (the statements),
    ``rows_in_table``, ``rows_affected`` and ``data_loss``. A change that would lose stored
    values (dropping a column that has values, a type that existing values cannot take) is
    refused with CONFLICT unless ``allow_data_loss`` is true. On approval the database is
    altered, a new schema version is recorded (tables.describe lists them) and the table is
    usable at once, without a restart."""
    gov = ctx.daemon.governance
    store = ctx.daemon.store
    field = FieldSpec.of(params.field) if params.field else None
    fields = [FieldSpec.of(f) for f in params.fields]

    def propose() -> dict[str, Any]:
        gov.schemas.sync_if_shared()  # validate against the catalog as every daemon left it
        diff = make_diff(
            params.action,
            params.table,
            store.catalog,
            field_spec=field,
            column=params.column,
            fields=fields,
            description=params.description,
            db_table=params.db_table,
            hints=params.hints,
            allow_data_loss=params.allow_data_loss,
        )
        return gov.propose_schema(diff, ctx.actor, params.reasoning)

    return as_proposal(await store.write(propose))


@handles(p.REVERT)
async def revert(ctx: CallContext, params: p.Revert) -> p.Proposal:
    """Propose undoing an applied proposal: an inserted row is deleted, an update restored,
    a deleted row brought back (same id), an added column dropped. The new proposal links to
    the original (``reverts``) and is decided like any other; once applied, the original's
    ``reverted_by`` points to it. INVALID_STATE when the proposal is not applied or was
    already undone; CONFLICT when the row changed since (undo would overwrite that)."""
    return as_proposal(
        await ctx.daemon.governance.revert(
            params.id, actor=ctx.actor, by_operator=ctx.role == Role.operator, reason=params.reason
        )
    )


@handles(p.CREATE)
async def create(ctx: CallContext, params: p.CreateProposal) -> p.Proposal:
    """Propose a new row in ``table``. The policy decides: applied at once when confidence
    is above the table's threshold (0.90 by default) and no content rule flags it, else it
    waits in proposals.pending. ``source`` defaults to your identity."""
    draft = Draft(
        kind="insert",
        table=params.table,
        fields=params.fields,
        confidence=params.confidence,
        reasoning=params.reasoning,
        source=params.source or ctx.actor,
        actor=ctx.actor,
        by_operator=ctx.role == Role.operator,
    )
    gov = ctx.daemon.governance
    return as_proposal(await ctx.daemon.store.write(gov.propose, draft))


@handles(p.POLICY)
async def policy(ctx: CallContext, params: NoParams) -> p.PolicyInfo:
    """The governance policy in force (schemas/policy.yaml, reloaded on SIGHUP or
    system.reload), with every default filled in."""
    loaded = ctx.daemon.governance.policy
    return p.PolicyInfo(path=loaded.path, from_file=loaded.exists, policy=loaded.describe())


@handles(p.AUDIT)
async def audit(ctx: CallContext, params: p.ListAudit) -> p.AuditPage:
    """The audit trail (the system table clarity_audit): one entry per decision — auto- and
    self-approvals, approvals, first-of-two endorsements, rejections, supersessions, failed
    applies — with actor, action, decision, reason, policy rule, risk, the row before and after.
    Newest first (``order`` "asc": oldest first). Filters: ``proposal_id``, ``table`` (the target
    table), ``actor``, ``action``. Pass ``next_cursor`` back as ``cursor`` for the next page.
    No method writes, edits or deletes it."""
    kwargs = msgspec.structs.asdict(params)
    entries, cursor = await ctx.daemon.store.read(lambda: list_audit(**kwargs))
    return p.AuditPage(entries=[msgspec.convert(e, p.AuditEntry) for e in entries], next_cursor=cursor)
