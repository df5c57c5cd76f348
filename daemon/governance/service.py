"""Governance: nothing changes a memory table except an approved proposal.

Producers (ingestion, agents, operators' edits) call :meth:`Governance.propose` inside
``Store.write``; the policy auto-approves or leaves the proposal for a person. Operators
decide through :meth:`approve` / :meth:`reject`. Every decision is one conditional UPDATE
of the proposal's status (``WHERE status = 'pending'``, after ``SELECT ... FOR UPDATE`` on
PostgreSQL), so of two operators or two daemons deciding at once exactly one wins; the
apply runs in the same transaction, in a savepoint, so a failed apply leaves the table
untouched and the proposal failed. Every decision writes an audit row and an event.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

import msgspec
import peewee

from ..errors import Conflict, DaemonError, Forbidden, InvalidParams, NotFound
from ..storage import compiled
from ..storage.models import utcnow
from ..storage.rows import coerce, field_types, row_to_dict
from . import applying, schema, undo, upgrade
from .audit import migrate_from_governance, write_audit
from .catalog_sync import SchemaCatalog
from .content import Findings, find, redact, scan
from .models import ROW_KINDS, SCHEMA_KINDS, AuditEntry, Proposal, SchemaVersion
from .policy import DEFAULT_THRESHOLD, LoadedPolicy, Policy

if TYPE_CHECKING:
    from ..events import EventBus
    from ..storage import Store

log = logging.getLogger(__name__)

AUTO_APPROVE_THRESHOLD = DEFAULT_THRESHOLD  # the default; schemas/policy.yaml may change it
SYSTEM_ACTOR = "clarityd"


def refuse_emptied(spec: Any, fields: dict[str, Any]) -> None:
    """INVALID_PARAMS when a change by a person empties a required field: approved, it
    would leave the row without a value the table requires (an insert missing one waits
    instead, for an approver to give it)."""
    emptied = [f.name for f in spec.fields if f.required and f.name in fields and fields[f.name] in (None, "")]
    if emptied:
        raise InvalidParams(f"required field(s) cannot be emptied: {', '.join(emptied)}")


class Draft(msgspec.Struct, kw_only=True):
    """What a producer (ingestion, an agent, an operator) proposes."""

    kind: str = "insert"  # insert, update, delete (schema changes: Governance.propose_schema)
    table: str
    fields: dict[str, Any]
    confidence: float
    reasoning: str = ""
    source: str | None = None  # a file path, an agent id, an operator
    actor: str = SYSTEM_ACTOR
    row_id: int | None = None  # update/delete: the target row
    version: int | None = None  # update/delete: the row version it was made against (default: current)
    by_operator: bool = False  # the actor holds the operator role (for the policy's self_approve)
    reverts: int | None = None  # set by Governance.revert: the proposal this one undoes
    # Secrets found in what the fields were made from (ingestion scans a file's raw text and
    # records once, off the writer thread): they flag the proposal and are redacted too.
    found: Findings | None = None
    # The fields a scan has yet to see: None, all of them. Ingestion scans the fields it
    # inferred in its worker processes (what that found is in ``found``) and names here
    # only those it set afterwards.
    unscanned: list[str] | None = None


@dataclass
class Outcome:
    """The proposal after a decision, and the conflict to report once the write commits."""

    proposal: dict[str, Any]
    conflict: DaemonError | None = None


class Governance:
    def __init__(self, store: Store, events: EventBus, policy: LoadedPolicy | None = None) -> None:
        self.store = store
        self.events = events
        self.policy = policy or LoadedPolicy(Policy(), "(built-in defaults)", exists=False)
        # Called inside the write, once a proposal is applied (ingestion follows its files).
        self.on_applied: list[Callable[[dict[str, Any]], None]] = []
        self.schemas = SchemaCatalog(store)
        events.listeners.add(self.schemas.on_event)  # other daemons' schema changes, via the relay
        store.register(Proposal, SchemaVersion, AuditEntry, upgrade.SchemaFile)
        self.upgrade_pending: list[int] = []  # schema-file changes left for an operator at start

    # -- policy -----------------------------------------------------------------------

    def use_policy(self, policy: LoadedPolicy) -> bool:
        """Put ``policy`` in force; True when it differs from the one it replaces."""
        changed = policy.describe() != self.policy.describe() or policy.path != self.policy.path
        self.policy = policy
        return changed

    # -- proposing (inside Store.write) -------------------------------------------------

    def propose(self, draft: Draft) -> dict[str, Any]:
        """Record a row proposal; apply it at once when the policy approves it. Returns the
        proposal as a dict (``status`` is applied, failed or pending)."""
        if draft.kind in SCHEMA_KINDS:
            raise InvalidParams("schema changes are proposed with proposals.schema_tweak")
        if draft.kind not in ROW_KINDS:
            raise InvalidParams(f"unknown proposal kind {draft.kind!r}; one of {', '.join(ROW_KINDS)}")
        if not 0.0 <= draft.confidence <= 1.0:
            raise InvalidParams(f"confidence must be between 0 and 1, got {draft.confidence}")
        self.schemas.sync_if_shared()
        spec = self.store.spec(draft.table)
        restore = draft.kind == "insert" and draft.row_id is not None
        if restore and draft.reverts is None:
            raise InvalidParams("an insert takes no row_id")
        expected = None
        if draft.kind in ("update", "delete"):
            expected = self._current_version(draft)
        fields = {} if draft.kind == "delete" else self._clean(draft.table, draft.fields, restore)
        if draft.kind == "update" and not fields:
            raise InvalidParams("an update needs at least one field")
        # Secrets flag the proposal and are redacted from what it stores (and any row it makes).
        to_scan = fields if draft.unscanned is None else {k: fields[k] for k in draft.unscanned if k in fields}
        found = (find(to_scan, self.policy.rules) if to_scan else Findings()).merged(draft.found)
        fields = redact(fields, found.secrets)
        flags = found.flags
        missing = self._missing(spec, fields) if draft.kind == "insert" else []
        verdict = self.policy.evaluate(draft.kind, draft.table, draft.confidence, flags, missing, draft.by_operator)
        if draft.reverts is not None and draft.kind == "insert" and verdict.approve:
            verdict.approve, verdict.rule = False, "pending: a restore (the undo of a delete) needs a person"
        if verdict.approve and draft.kind == "insert" and draft.row_id is None:
            applied = self._propose_applied(draft, fields, flags, verdict.rule, verdict.self_approved)
            if applied is not None:
                return applied
        p = compiled.create(  # Proposal.create, its SQL built once: ingestion proposes per file
            Proposal,
            kind=draft.kind,
            table=draft.table,
            row_id=draft.row_id,
            payload=fields,
            confidence=draft.confidence,
            reasoning=draft.reasoning,
            source=draft.source,
            created_by=draft.actor,
            policy_rule=verdict.rule,
            flags=flags or None,
            expected_version=expected,
            reverts=draft.reverts,
        )
        self._emit("proposal.created", p, draft.actor, status="pending", flags=flags or None)
        self._supersede_older(p)
        if verdict.approve:
            approver = draft.actor if verdict.self_approved else SYSTEM_ACTOR
            action = "self-approve" if verdict.self_approved else "auto-approve"
            self._approve_and_apply(p, approver, verdict.rule, None, action=action)
        return row_to_dict(p)

    def _propose_applied(
        self, draft: Draft, fields: dict[str, Any], flags: list[str], rule: str, self_approved: bool
    ) -> dict[str, Any] | None:
        """An insert the policy approves, written as applied in one step: the row, then the
        proposal as it ends (one INSERT, where pending, approved and applied took three
        statements), with the same events and audit row as :meth:`_approve_and_apply`.
        None when the row cannot be inserted: nothing is left of the attempt, and the caller
        records the proposal the long way (pending, approved, then failed with the reason)."""
        approver = draft.actor if self_approved else SYSTEM_ACTOR
        action = "self-approve" if self_approved else "auto-approve"
        now = utcnow()
        values = {
            "kind": "insert",
            "table": draft.table,
            "payload": fields,
            "confidence": draft.confidence,
            "reasoning": draft.reasoning,
            "source": draft.source,
            "created_by": draft.actor,
            "policy_rule": rule,
            "flags": flags or None,
        }
        try:
            with self.store.db.atomic():  # a savepoint: a row that fails leaves the table untouched
                after = applying.apply_insert(self.store, Proposal(**values))
        except (DaemonError, peewee.PeeweeException, OverflowError, ValueError, TypeError):
            return None
        p = compiled.create(
            Proposal,
            **values,
            status="applied",
            decided_by=approver,
            decided_at=now,
            row_id=after["id"],
            after=after,
            created_at=now,
            updated_at=now,
        )
        self._emit("proposal.created", p, draft.actor, status="pending", flags=flags or None)
        self._supersede_older(p)
        self._emit_approved(p, approver, rule, action)
        record = self._applied(p, approver, after)
        self._audit_approval(p, approver, rule, action)
        return record

    def propose_schema(
        self,
        diff: dict[str, Any],
        actor: str,
        reasoning: str = "",
        reverts: int | None = None,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Record a schema change (from :func:`schema.make_diff`) with its preview: the exact
        statements and the rows they touch. Refused when it would lose data unless the diff
        allows it. Never auto-approved."""
        self.schemas.sync_if_shared()
        schema.check_current(diff, self.store.catalog)  # an undo's diff may be older than the table
        plan = schema.plan(self.store.db, diff, self.store.catalog, self.store.models)
        schema.refuse_data_loss(diff, plan)
        db_table = (
            diff["spec"]["db_table"] if diff["action"] == "create_table" else self.store.catalog[diff["table"]].db_table
        )
        verdict = self.policy.evaluate(diff["action"], diff["table"], 1.0, [], [], True)
        p = Proposal.create(
            kind=diff["action"],
            table=diff["table"],
            payload=diff,
            confidence=1.0,
            reasoning=reasoning,
            source=source or actor,
            created_by=actor,
            policy_rule=verdict.rule,
            preview=plan.preview(db_table),
            reverts=reverts,
        )
        self._emit("proposal.created", p, actor, status="pending")
        return row_to_dict(p)

    def supersede(self, proposal_id: int, by: int | None, reason: str, actor: str = SYSTEM_ACTOR) -> bool:
        """Mark a pending proposal superseded by a newer one (audited); False if it was
        already decided. Inside Store.write."""
        p = Proposal.get_or_none(Proposal.id == proposal_id)
        if p is None or p.status != "pending":
            return False
        try:
            self._transition(
                p, status="superseded", superseded_by=by, decided_by=actor, decided_at=utcnow(), note=reason
            )
        except Conflict:
            return False
        write_audit(
            self.store,
            p,
            actor=actor,
            action="supersede",
            decision="superseded",
            rule="superseded: a newer proposal for the same file or row",
            reason=reason,
            details={"superseded_by": by},
        )
        self._emit("proposal.superseded", p, actor, by=by)
        return True

    # -- deciding -----------------------------------------------------------------------

    async def approve(
        self,
        proposal_id: int,
        *,
        actor: str,
        user: str,
        fields: dict[str, Any] | None = None,
        table: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Approve (optionally correcting fields or the table) and apply; see the handler."""
        return await self._decide(self._approve_tx, proposal_id, actor, user, fields, table, note)

    async def reject(self, proposal_id: int, *, actor: str, user: str, reason: str) -> dict[str, Any]:
        if not reason.strip():
            raise InvalidParams("a rejection needs a reason")
        return await self._decide(self._reject_tx, proposal_id, actor, user, reason.strip())

    async def _decide(self, fn: Callable[..., Outcome], *args: Any) -> dict[str, Any]:
        try:
            outcome = await self.store.write(fn, *args)
        except Exception:
            if self.schemas.dirty:  # a schema change rolled back after the live catalog moved
                await self.store.write(self.schemas.rebuild)
            raise
        self.schemas.dirty = False
        if outcome.conflict is not None:
            raise outcome.conflict
        return outcome.proposal

    def _approve_tx(
        self,
        proposal_id: int,
        actor: str,
        user: str,
        fields: dict[str, Any] | None,
        table: str | None,
        note: str | None,
    ) -> Outcome:
        self.schemas.sync_if_shared()
        p = self._open_proposal(proposal_id, user)
        if p.kind in SCHEMA_KINDS:
            applying.lock_schema(self.store)
            self.schemas.sync_if_shared()
        if fields or table:
            self._correct(p, fields or {}, table)
            self._check_approver(p.table, user)  # moving a row into a table does not bypass its approvers
            if p.kind == "update":
                refuse_emptied(self.store.spec(p.table), fields or {})
        if p.kind == "insert" and p.row_id is None:  # a restore brings back the row as it was
            missing = self._missing(self.store.spec(p.table), p.payload)
            if missing:
                raise InvalidParams(f"required field(s) missing: {', '.join(missing)}; approve with fields giving them")
        reviewer = None
        rule = "approved by an operator"
        if self.policy.needs_second(p.kind):
            approvals = list(p.approvals or [])
            if any(a["actor"] == actor for a in approvals):
                raise Forbidden(f"{actor} already approved proposal {p.id}; a second, different operator must")
            if not approvals:
                self._transition(
                    p,
                    approvals=[{"actor": actor, "at": utcnow().isoformat() + "Z"}],
                    payload=p.payload,
                    table=p.table,
                    corrections=p.corrections,
                )
                write_audit(
                    self.store,
                    p,
                    actor=actor,
                    action="endorse",
                    decision="pending",
                    rule="approvals.second_operator: first of two approvals",
                    reason=note,
                )
                self._emit("proposal.endorsed", p, actor, approvals=1)
                return Outcome(row_to_dict(p))
            reviewer = approvals[0]["actor"]
            rule = "approved by two operators (approvals.second_operator)"
        conflict = self._approve_and_apply(p, actor, rule, note, action="approve", reviewer=reviewer)
        return Outcome(row_to_dict(p), conflict)

    def _reject_tx(self, proposal_id: int, actor: str, user: str, reason: str) -> Outcome:
        p = self._open_proposal(proposal_id, user)
        self._transition(p, status="rejected", decided_by=actor, decided_at=utcnow(), note=reason)
        write_audit(
            self.store,
            p,
            actor=actor,
            action="reject",
            decision="rejected",
            rule="rejected by an operator",
            reason=reason,
        )
        self._emit("proposal.rejected", p, actor, reason=reason, rule=p.policy_rule)
        return Outcome(row_to_dict(p))

    def _open_proposal(self, proposal_id: int, user: str) -> Proposal:
        """The pending proposal, locked (PostgreSQL), that ``user`` may decide."""
        query = Proposal.select().where(Proposal.id == proposal_id)
        if self.store.backend == "postgresql":
            query = query.for_update()  # the other daemon waits here, then sees the decision
        p: Proposal | None = query.first()
        if p is None:
            raise NotFound(f"no proposal {proposal_id}")
        if p.status != "pending":
            raise Conflict(
                f"proposal {p.id} already decided: {p.status}" + (f" by {p.decided_by}" if p.decided_by else ""),
                {"status": p.status, "decided_by": p.decided_by},
            )
        self._check_approver(p.table, user)
        return p

    def _check_approver(self, table: str, user: str) -> None:
        allowed = self.policy.approvers(table)
        if allowed is not None and user not in allowed:
            raise Forbidden(f"proposals for {table} are decided by {', '.join(allowed)} only (approvals.tables)")

    def _approve_and_apply(
        self, p: Proposal, actor: str, rule: str, note: str | None, *, action: str, reviewer: str | None = None
    ) -> DaemonError | None:
        """Approve ``p`` (exactly once), apply it, audit both. Returns the conflict when the
        row or table moved on since the proposal was made (the proposal is then failed)."""
        self._transition(
            p,
            status="approved",
            decided_by=actor,
            decided_at=utcnow(),
            policy_rule=rule,
            note=note,
            payload=p.payload,
            table=p.table,
            corrections=p.corrections,
        )
        self._emit_approved(p, actor, rule, action)
        error = self._apply(p, actor)
        self._audit_approval(p, actor, rule, action, note, reviewer)
        if error is not None:
            write_audit(self.store, p, actor=actor, action="apply", decision="failed", rule=rule, reason=p.error)
        return error if isinstance(error, Conflict) else None

    # -- applying -----------------------------------------------------------------------

    def _apply(self, p: Proposal, actor: str) -> DaemonError | Exception | None:
        before = after = None
        try:
            with self.store.db.atomic():  # a savepoint: a failed apply leaves the tables untouched
                if p.kind == "insert":
                    after = applying.apply_insert(self.store, p)
                    p.row_id = after["id"]
                elif p.kind == "update":
                    before, after = applying.apply_update(self.store, p)
                elif p.kind == "delete":
                    before = applying.apply_delete(self.store, p)
                else:
                    self.schemas.dirty = True
                    preview, version = applying.apply_schema(self.store, p, actor)
                    p.preview = preview
                    self.schemas.record(version)
                    before, after = p.payload.get("old"), {"version": version.version, "diff": p.payload}
        except (DaemonError, peewee.PeeweeException, OverflowError, ValueError, TypeError) as e:
            message = e.message if isinstance(e, DaemonError) else f"{type(e).__name__}: {e}".strip()
            self._transition(p, from_status="approved", status="failed", error=message)
            self._emit("proposal.failed", p, actor, error=message)
            return e
        self._transition(
            p, from_status="approved", status="applied", row_id=p.row_id, before=before, after=after, preview=p.preview
        )
        self._applied(p, actor, after)
        return None

    # -- what every approval records (approved by a person or the policy, applied in steps or at once)

    def _emit_approved(self, p: Proposal, actor: str, rule: str, action: str) -> None:
        self._emit(
            "proposal.approved",
            p,
            actor,
            original_table=(p.corrections or {}).get("table", p.table),  # what it was proposed for
            rule=rule,
            auto=action == "auto-approve",
            self_approved=action == "self-approve",
            corrections=p.corrections,
            fields=p.payload if p.kind in ROW_KINDS else None,
        )

    def _applied(self, p: Proposal, actor: str, after: dict[str, Any] | None) -> dict[str, Any]:
        """Once ``p`` is applied: its events, the link from an undo to what it undid, the hooks."""
        self._emit_change(p, actor, after)
        self._emit("proposal.applied", p, actor, row_id=p.row_id)
        if p.reverts is not None:
            Proposal.update(reverted_by=p.id, updated_at=utcnow()).where(Proposal.id == p.reverts).execute()
        record = row_to_dict(p)
        for hook in self.on_applied:
            hook(record)
        return record

    def _audit_approval(
        self, p: Proposal, actor: str, rule: str, action: str, note: str | None = None, reviewer: str | None = None
    ) -> None:
        """The audit row of an approval, once ``p`` is applied or failed."""
        write_audit(
            self.store,
            p,
            actor=actor,
            action=action,
            decision="approved",
            rule=rule,
            reason=note,
            reviewer=reviewer,
            before=p.before,
            after=p.after,
            details={"outcome": p.status, "corrections": p.corrections},
        )

    def _emit_change(self, p: Proposal, actor: str, after: dict[str, Any] | None) -> None:
        if p.kind in ROW_KINDS:
            kind = {"insert": "row.inserted", "update": "row.updated", "delete": "row.deleted"}[p.kind]
            payload = {
                "proposal": p.id,
                "version": after["version"] if after else None,
                "fields": sorted(p.payload) if p.kind == "update" else None,
            }
            self.events.emit(kind, f"{p.table}/{p.row_id}", payload, actor)
        else:
            kind = "table.created" if p.kind == "create_table" else "table.altered"
            payload = {"proposal": p.id, "action": p.kind, "version": (after or {}).get("version"), "diff": p.payload}
            self.events.emit(kind, f"table/{p.table}", payload, actor)

    # -- undo ---------------------------------------------------------------------------

    async def revert(self, proposal_id: int, *, actor: str, by_operator: bool, reason: str = "") -> dict[str, Any]:
        """Propose the change that undoes an applied proposal (decided like any other)."""
        return await self.store.write(self._revert_tx, proposal_id, actor, by_operator, reason)

    def _revert_tx(self, proposal_id: int, actor: str, by_operator: bool, reason: str) -> dict[str, Any]:
        orig = undo.revertible(proposal_id)
        why = f"undo proposal {orig.id}" + (f": {reason}" if reason else "")
        if orig.kind in SCHEMA_KINDS:
            if orig.kind == "drop_column":
                why += " (the column comes back empty: its values are not kept)"
            try:
                return self.propose_schema(undo.schema_undo(orig), actor, why, reverts=orig.id)
            except schema.DataLoss as e:  # revert takes no allow_data_loss: say what does
                what = e.message.split("; set allow_data_loss")[0]
                raise schema.DataLoss(
                    f"undo of proposal {orig.id}: {what}; undo never loses data (to do it "
                    f"anyway, proposals.schema_tweak with allow_data_loss)",
                    e.data,
                ) from None
        draft = undo.row_undo(self.store, orig, Draft)
        draft.reasoning, draft.source, draft.actor = why, actor, actor
        draft.by_operator, draft.reverts = by_operator, orig.id
        return self.propose(draft)

    # -- schema catalog -----------------------------------------------------------------

    def sync_schemas(self) -> int:
        """Replay schema changes not yet in the live catalog (at start; writer thread)."""
        return self.schemas.sync()

    def prepare(self) -> list[dict[str, Any]]:
        """At start, before the memory tables are created (writer thread): create the daemon's
        own tables, move an older version's audit rows out of the governance table (once),
        replay the schema versions, and upgrade the database to the schema files (see
        governance/upgrade.py). Returns the schema proposals the upgrade made."""
        store = self.store
        applying.lock_schema(store)  # two daemons starting on one PostgreSQL: one at a time
        store.db.create_tables(store.internal_models, safe=True)
        files = dict(store.catalog)  # the tables as schemas/*.yaml define them now
        old, fresh = upgrade.read_baseline(store, files)
        if fresh:
            old = dict(files)
        baseline = {
            name: upgrade._with_files_words(spec, files[name]) if name in files else spec
            for name, spec in old.items()
            if spec is not None
        }
        for name in files:
            if name not in baseline:
                store.drop_table_spec(name)  # a new table: created by its proposal below
        for spec in baseline.values():
            store.put_table(spec)
        self.schemas.baseline = baseline
        for name in sorted(set(baseline) - set(files)):
            log.warning("schemas/%s.yaml is gone; the table stays in the database and the catalog as it was", name)
        migrate_from_governance(store)
        self.sync_schemas()
        made: list[dict[str, Any]] = []
        applied: list[upgrade.Change] = []
        for change in upgrade.plan_upgrade(files, old, store.catalog):
            seen = upgrade.already_proposed(change)
            if seen is not None:
                if seen.status == "pending":
                    self.upgrade_pending.append(seen.id)
                    log.warning(
                        "schema upgrade: %s (%s) still waits for an operator: proposal %d",
                        change.source,
                        change.why,
                        seen.id,
                    )
                continue
            try:
                with store.savepoint():
                    made.append(self._upgrade(change))
            except DaemonError as e:
                log.error("schema upgrade: %s: %s cannot be proposed: %s", change.source, change.why, e.message)
                continue
            if made[-1]["status"] == "applied":
                applied.append(change)
        upgrade.save_baseline(files, old, applied)
        self.schemas.dirty = False
        return made

    @staticmethod
    def still_pending(ids: list[int]) -> list[int]:
        """Which of these proposals are still pending (reader thread)."""
        return [r.id for r in Proposal.select(Proposal.id).where(Proposal.id.in_(ids), Proposal.status == "pending")]

    def _upgrade(self, change: upgrade.Change) -> dict[str, Any]:
        """Propose one schema-file change; an additive one is approved by the daemon and applied."""
        diff = change.diff
        what = diff.get("column") or (diff.get("field") or {}).get("name") or ""
        reasoning = f"{change.source} changed: {change.why}" + (f" ({diff['table']}.{what})" if what else "")
        record = self.propose_schema(diff, SYSTEM_ACTOR, reasoning, source=change.source)
        if not change.auto:
            self.upgrade_pending.append(record["id"])
            log.warning(
                "schema upgrade: %s waits for an operator as proposal %d; DDL: %s",
                reasoning,
                record["id"],
                "; ".join((record.get("preview") or {}).get("ddl") or []),
            )
            return record
        p = Proposal.get_by_id(record["id"])
        self._approve_and_apply(
            p, SYSTEM_ACTOR, f"auto: additive change in {change.source}", None, action="auto-approve"
        )
        if p.status == "applied":
            log.info("schema upgrade: %s, applied as proposal %d", reasoning, p.id)
        else:
            log.error("schema upgrade: %s failed (proposal %d): %s", reasoning, p.id, p.error)
        return row_to_dict(p)

    def schema_history(self, table: str) -> list[dict[str, Any]]:
        """A table's schema versions, oldest first (reader thread)."""
        return self.schemas.history(table)

    def schedule(self, jobs: Any, interval_s: float) -> None:
        self.schemas.schedule(jobs, interval_s)

    # -- helpers ------------------------------------------------------------------------

    def _current_version(self, draft: Draft) -> int:
        if draft.row_id is None:
            raise InvalidParams(f"an {draft.kind} needs row_id")
        model = self.store.model(draft.table)
        row = model.select(model.id, model.version).where(model.id == draft.row_id).first()
        if row is None:
            raise NotFound(f"{draft.table} has no row {draft.row_id}")
        if draft.version is not None and draft.version != row.version:
            why = (
                f"it changed after proposal {draft.reverts} (undo would overwrite that change)"
                if draft.reverts
                else "it changed since you read it; read it again"
            )
            raise Conflict(
                f"{draft.table} row {draft.row_id} is at version {row.version}, not {draft.version}: {why}",
                {"current_version": row.version, "expected_version": draft.version},
            )
        version: int = row.version
        return version

    def _clean(self, table: str, fields: dict[str, Any], restore: bool = False) -> dict[str, Any]:
        """The fields as the table's types, JSON-ready; unknown and store-owned columns refused."""
        types = field_types(self.store.spec(table))
        allowed = set(types) if restore else set(types) - set(applying.RESERVED)
        unknown = sorted(set(fields) - allowed)
        if unknown:
            owned = [u for u in unknown if u in applying.RESERVED]
            why = f"{', '.join(owned)} set by the store" if owned else f"{table} has no column(s) {', '.join(unknown)}"
            raise InvalidParams(f"cannot set {', '.join(unknown)}: {why}")
        values = {k: msgspec.to_builtins(coerce(v, types[k], k)) for k, v in fields.items()}
        trust = values.get("trust_score")
        if trust is not None and not 0.0 <= trust <= 1.0:
            raise InvalidParams(f"trust_score must be between 0 and 1, got {trust}")
        return values

    @staticmethod
    def _missing(spec: Any, fields: dict[str, Any]) -> list[str]:
        return [f.name for f in spec.fields if f.required and fields.get(f.name) in (None, "")]

    def _correct(self, p: Proposal, fields: dict[str, Any], table: str | None) -> None:
        """An approver's corrections: changed fields (inserts, updates) or another table
        (inserts). The original values are kept in ``corrections`` for the audit trail."""
        if p.kind not in ("insert", "update"):
            raise InvalidParams(f"a {p.kind} proposal cannot be corrected; reject it and propose again")
        if table and table != p.table and p.kind != "insert":
            raise InvalidParams("only an insert can be moved to another table")
        new_table = table or p.table
        spec = self.store.spec(new_table)
        base = dict(p.payload)
        dropped: list[str] = []
        if new_table != p.table:
            columns = set(field_types(spec))
            dropped = sorted(k for k in base if k not in columns)
            base = {k: v for k, v in base.items() if k not in dropped}
        cleaned = self._clean(new_table, {**base, **fields})
        corrections: dict[str, Any] = {
            "fields": {
                k: {"from": p.payload.get(k), "to": cleaned.get(k)}
                for k in fields
                if p.payload.get(k) != cleaned.get(k)
            }
        }
        if new_table != p.table:
            corrections.update(table=p.table, dropped=dropped)
        p.table, p.payload, p.corrections = new_table, cleaned, corrections
        flags = scan(cleaned, self.policy.rules)
        if flags:
            p.flags = sorted(set(p.flags or []) | set(flags))

    def _supersede_older(self, p: Proposal) -> None:
        """A newer proposal from the same file supersedes the older pending one (an insert
        for the file, or a change to the same row). Edits by people never supersede: two
        operators' edits of one row both wait, and the later approval meets a conflict."""
        if not p.source or not os.path.isabs(p.source):
            return

        def query() -> peewee.Select:
            q = Proposal.select(Proposal.id).where(
                Proposal.status == "pending",
                Proposal.source == p.source,
                Proposal.id != p.id,
                Proposal.kind.in_(ROW_KINDS),
                Proposal.created_by == p.created_by,
            )  # an agent naming a file does not
            if p.kind == "insert":
                return q.where(Proposal.kind == "insert")
            return q.where(Proposal.table == p.table, Proposal.row_id == p.row_id)

        # Run once per file ingested: its SQL is built once per shape (compiled.rows), bound
        # with these parameters, in query()'s order.
        params = ["pending", p.source, p.id, *ROW_KINDS, p.created_by]
        params += ["insert"] if p.kind == "insert" else [p.table, p.row_id]
        for (old_id,) in compiled.rows(Proposal, ("supersede_older", p.kind == "insert"), params, query):
            self.supersede(old_id, p.id, f"{p.source}: newer proposal {p.id}")

    def _transition(self, p: Proposal, from_status: str = "pending", **changes: Any) -> None:
        """Change ``p`` only if it is still in ``from_status``: the exactly-once guard."""
        changes["updated_at"] = utcnow()
        done = compiled.update(Proposal, changes, id=p.id, status=from_status)  # its SQL built once per shape
        if done != 1:
            current = Proposal.get_or_none(Proposal.id == p.id)
            status = current.status if current else "gone"
            raise Conflict(f"proposal {p.id} already decided: {status}", {"status": status})
        for name, value in changes.items():
            setattr(p, name, value)

    def _emit(self, type: str, p: Proposal, actor: str, **extra: Any) -> None:
        payload = {"table": p.table, "kind": p.kind, "source": p.source, "confidence": p.confidence}
        payload.update(extra)
        self.events.emit(type, f"proposal/{p.id}", payload, actor)
