"""The last step of a file's journey: its inference becomes proposals, in the same
transaction as the journal entry's new state and the learner's memory of them.

One proposal per file, or one per record when a dataset is routed to a domain table
(``Inference.rows``); a record's source is then ``path#n`` (n from 1), so each record is
a source of its own. When a file's content changes, each record becomes an update of the
row the same record position produced before; records beyond those become inserts, and
what is left pending of the old content is superseded. Everything here runs inside
``Store.write`` on the writer thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..governance import Draft, Proposal
from ..governance.content import Findings
from ..storage.rows import tuple_rows
from . import journal as j

if TYPE_CHECKING:
    from ..events import EventBus
    from ..extract.types import Extraction
    from ..governance import Governance
    from ..inference.types import Inference
    from ..storage import Store

log = logging.getLogger(__name__)

Target = tuple[str, int]  # (table, row id)
CHUNK = 500


class Proposer:
    def __init__(self, store: Store, governance: Governance, events: EventBus, learner: Any) -> None:
        self.store = store
        self.governance = governance
        self.events = events
        self.learner = learner
        self.proposing = False  # inside propose(): applications then are its own (writer thread only)

    def propose(
        self,
        entry_id: int,
        sha256: str,
        extraction: Extraction,
        inference: Inference,
        features: dict[str, Any] | None = None,
        found: Findings | None = None,
        scanned: list[Findings | None] | None = None,
        entry: j.JournalEntry | None = None,
        claimed: bool = False,
    ) -> tuple[j.JournalEntry | None, str]:
        """Propose what ``inference`` says about the entry's current content (``features``:
        the learner's features of the file, if computed already; ``found``: the secrets a
        scan of its raw text found, for every proposal made from it; ``scanned``: those
        found in each record's fields, where a worker scanned them).

        Returns the entry and the outcome: "proposed", "applied", "failed" (no proposal
        could be applied), "duplicate" (another path proposed this content first) or
        "stale" (the entry moved on while the file was being read; nothing written).
        ``entry``: the entry as this write just read (and locked) it, if it has; ``claimed``:
        this write claimed its content already (:func:`.journal.record_seen`)."""
        if entry is None:
            entry = j.locked_entry(entry_id)
        if entry is None or entry.sha256 != sha256 or entry.state not in j.UNFINISHED:
            return entry, "stale"
        # Claim the content first: if another path (or another daemon) got there before
        # us, this file is a duplicate and no second proposal is made.
        original = None if claimed else j.claim_content(entry)
        if original is not None:
            j.mark_duplicate(entry, original)
            self._event("ingest.duplicate", entry, {"duplicate_of": original.entry_id})
            return entry, "duplicate"
        previous = self._previous_proposals(entry)
        drafts = self._drafts(entry, extraction, inference, previous)
        records = inference.rows or [inference.fields]
        for position, draft in enumerate(drafts):
            draft.found = found
            pre = scanned[position] if scanned and position < len(scanned) else None
            if pre is not None and draft.kind == "insert" and draft.table == inference.table:
                # Scanned in the worker as inferred: governance scans only what was set since (the file's facts).
                record = records[position]
                draft.unscanned = [k for k, v in draft.fields.items() if k not in record or record[k] != v]
                draft.found = pre.merged(found)
        self.proposing = True
        try:
            proposals = [self.governance.propose(draft) for draft in drafts]
        finally:
            self.proposing = False
        version = proposals[0]["id"]
        for old in previous:  # governance supersedes most by itself; records that are gone too
            if old.status == "pending":
                self.governance.supersede(old.id, version, f"{entry.path} changed before a decision")
        for position, proposal in enumerate(proposals):
            self.store.insert_later(
                j.EntryProposal,
                {"entry_id": entry.id, "version": version, "position": position, "proposal_id": proposal["id"]},
            )
            if self.learner is not None:
                self.learner.remember(proposal["id"], extraction, table=proposal["table"], feats=features)
        j.content_proposed(entry.sha256, version)
        statuses = [p.get("status") for p in proposals]
        first = proposals[0]
        row_id = first.get("row_id") if first.get("status") == "applied" else None
        entry.proposal_id, entry.table, entry.kind = version, drafts[0].table, extraction.kind
        entry.row_id = row_id if row_id is not None else (drafts[0].row_id or entry.row_id)
        if all(s == "failed" for s in statuses):
            # The proposals exist and record why they could not be applied; the file waits
            # for a person (retrying by itself would only propose it again).
            error = f"proposal {version} failed: {first.get('error') or 'not applied'}"
            j.mark_failed(entry, error, None, also=("proposal_id", "table", "kind", "row_id"))
            self._event("ingest.failed", entry, {"error": error, "proposal_id": version})
            return entry, "failed"
        state = j.APPLIED if all(s == "applied" for s in statuses) else j.PROPOSED
        j.save(
            entry,
            state=state,
            last_error=None,
            next_attempt_at=None,
            proposal_id=version,
            table=entry.table,
            kind=entry.kind,
            row_id=entry.row_id,
        )
        self._event(
            f"ingest.{state}",
            entry,
            {
                "proposal_id": version,
                "proposals": len(proposals),
                "kind": drafts[0].kind,
                "table": drafts[0].table,
                "confidence": drafts[0].confidence,
                "row_id": entry.row_id if state == j.APPLIED else None,
            },
        )
        return entry, state

    # -- drafts ------------------------------------------------------------------------

    def _drafts(
        self, entry: j.JournalEntry, extraction: Extraction, inference: Inference, previous: list[Proposal]
    ) -> list[Draft]:
        records = inference.rows or [inference.fields]
        drafts = []
        for position, record in enumerate(records):
            target = self._target(previous[position]) if position < len(previous) else None
            source = entry.path if len(records) == 1 else f"{entry.path}#{position + 1}"
            one_of_many = len(records) > 1
            draft = self._draft(entry, inference, dict(record), target, source, one_of_many)
            if one_of_many:  # the reasoning is the file's; say which of its records this one is
                draft.reasoning = f"record {position + 1} of {len(records)}; {draft.reasoning}"
            drafts.append(draft)
        return drafts

    def _draft(
        self,
        entry: j.JournalEntry,
        inference: Inference,
        fields: dict[str, Any],
        target: Target | None,
        source: str,
        one_of_many: bool,
    ) -> Draft:
        reasoning = inference.reasoning
        if target is None:
            if not one_of_many:
                fields = self._with_file_facts(inference.table, fields, entry)
            return Draft(
                kind="insert",
                table=inference.table,
                fields=fields,
                confidence=inference.confidence,
                reasoning=reasoning,
                source=source,
            )
        # The file's content changed after it produced this row: propose changing the row,
        # in its own table, rather than adding a second one.
        table, row_id = target
        if not one_of_many:
            fields = self._with_file_facts(table, fields, entry)
        if inference.table != table:
            columns = {f.name for f in self.store.spec(table).fields}
            fields = {k: v for k, v in fields.items() if k in columns}
            reasoning = f"now reads as {inference.table}, kept in {table}; {reasoning}"
        return Draft(
            kind="update",
            table=table,
            row_id=row_id,
            fields=fields,
            confidence=inference.confidence,
            source=source,
            reasoning=f"content of {entry.path} changed (sha256 {(entry.sha256 or '')[:12]}); {reasoning}",
        )

    def _with_file_facts(self, table: str, fields: dict[str, Any], entry: j.JournalEntry) -> dict[str, Any]:
        """Where the table keeps a file's path, hash and size, fill them from the journal."""
        columns = {f.name for f in self.store.spec(table).fields}
        for name, value in (("path", entry.path), ("sha256", entry.sha256), ("size_bytes", entry.size)):
            if name in columns and fields.get(name) in (None, ""):
                fields[name] = value
        return fields

    def _previous_proposals(self, entry: j.JournalEntry) -> list[Proposal]:
        """The proposals of the file's previous content, by record position."""
        if entry.proposal_id is None:
            return []
        ids = [
            pid
            for (pid,) in tuple_rows(
                j.EntryProposal.select(j.EntryProposal.proposal_id)
                .where(j.EntryProposal.version == entry.proposal_id)
                .order_by(j.EntryProposal.position)
            )
        ]
        found = {p.id: p for p in Proposal.select().where(Proposal.id.in_(ids))}
        return [found[pid] for pid in ids if pid in found]

    def _target(self, p: Proposal) -> Target | None:
        """The row an earlier proposal produced, if it was applied and the row still exists."""
        if p.status != "applied" or p.row_id is None or p.kind not in ("insert", "update"):
            return None
        model = self.store.models.get(p.table)
        if model is None or not model.select(model.id).where(model.id == p.row_id).exists():
            return None
        return p.table, p.row_id

    def _event(self, type: str, entry: j.JournalEntry, payload: dict[str, Any]) -> None:
        self.events.emit(type, j.subject(entry), {"path": entry.path, **payload})


# -- following decisions made later (inside Store.write) -----------------------------------


def _settle_versions(versions: dict[int, int], events: EventBus) -> int:
    """Entries (id → version) still 'proposed' whose every proposal is now applied become 'applied'."""
    changed = 0
    ids = list(versions)
    for start in range(0, len(ids), CHUNK):  # IN lists stay well under SQLite's variable limit
        chunk = ids[start : start + CHUNK]
        links = tuple_rows(
            j.EntryProposal.select(j.EntryProposal.version, j.EntryProposal.position, Proposal.status, Proposal.row_id)
            .join(Proposal, on=(Proposal.id == j.EntryProposal.proposal_id))
            .where(j.EntryProposal.version.in_(list({versions[i] for i in chunk})))
        )
        by_version: dict[int, list[tuple[int, str, int | None]]] = {}
        for version, position, status, row_id in links:
            by_version.setdefault(version, []).append((position, status, row_id))
        for entry in j.locked(
            j.JournalEntry.select().where(j.JournalEntry.id.in_(chunk), j.JournalEntry.state == j.PROPOSED)
        ):
            found = sorted(by_version.get(entry.proposal_id, []))
            if not found or any(status != "applied" for _, status, _ in found):
                continue
            j.save(entry, state=j.APPLIED, row_id=found[0][2])
            events.emit(
                "ingest.applied",
                j.subject(entry),
                {"path": entry.path, "proposal_id": entry.proposal_id, "row_id": entry.row_id},
            )
            changed += 1
    return changed


def mark_applied(proposal_id: int, events: EventBus) -> int:
    """A proposal made from a file was applied later (an operator approved it): the file's
    entry follows, in the same transaction, once all of its content's proposals are applied."""
    versions: dict[int, int] = dict(
        tuple_rows(
            j.EntryProposal.select(j.EntryProposal.entry_id, j.EntryProposal.version).where(
                j.EntryProposal.proposal_id == proposal_id
            )
        )
    )
    return _settle_versions(versions, events)


def reconcile_applied(events: EventBus) -> int:
    """Entries still 'proposed' whose proposals are all applied catch up (at start-up: a
    journal written before governance told ingestion of each application)."""
    versions: dict[int, int] = dict(
        tuple_rows(
            j.JournalEntry.select(j.JournalEntry.id, j.JournalEntry.proposal_id).where(
                j.JournalEntry.state == j.PROPOSED, j.JournalEntry.proposal_id.is_null(False)
            )
        )
    )
    return _settle_versions(versions, events)
