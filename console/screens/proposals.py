"""The pending queue: what waits for a person, in detail, and the decisions on it.

Approving (with corrected fields, another table for an insert, a note) and rejecting (a
reason is required) go through dialogs, then ``proposals.approve`` / ``proposals.reject``.
A refusal such as CONFLICT (someone decided first, or the row changed since) is shown by
the app's error handler and the queue is asked for again.
"""

from __future__ import annotations

import os
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from daemon.protocol import RpcError
from daemon.protocol.proposals import Proposal
from daemon.protocol.tables import TableDescription

from ..dialogs.approve import ApproveDecision, ApproveDialog
from ..dialogs.record import RecordDialog
from ..dialogs.reject import RejectDialog
from ..formatting import cell, when
from ..messages import ApprovalPrepared, EventReceived, ProposalDecided, ProposalsLoaded
from ..widgets.paged_table import PagedTable
from ..widgets.record_view import RecordView
from .base import ClarityScreen

PAGE_SIZE = 100
MAX_PAGE = 500  # proposals.pending's largest page


def proposal_record(p: Proposal) -> dict[str, Any]:
    """A proposal's fields in the order an operator reads them."""
    record: dict[str, Any] = {
        "proposal": f"#{p.id} · {p.kind} · {p.table} · {p.status}",
        "confidence": f"{p.confidence:.2f}",
        "source": p.source or "",
        "created": f"{when(p.created_at)} UTC by {p.created_by}",
        "policy": p.policy_rule or "",
        "reasoning": p.reasoning,
    }
    if p.flags:
        record["flags"] = ", ".join(p.flags)
    if p.row_id is not None:
        record["row"] = f"{p.table}/{p.row_id}" + (f" at version {p.expected_version}" if p.expected_version else "")
    if p.approvals:
        record["approvals"] = ", ".join(str(a.get("actor", a)) for a in p.approvals)
    record["fields" if p.kind in ("insert", "update") else "change"] = p.payload
    if p.preview:
        record["preview"] = p.preview
    return record


def _source(p: Proposal) -> str:
    source = p.source or p.created_by
    return os.path.basename(source) if source.startswith("/") else source


class ProposalsScreen(ClarityScreen):
    TITLE = "Clarity · Proposals"
    EVENT_TYPES = ("proposal.",)
    REFRESH_DELAY = 0.8
    BINDINGS = [
        Binding("a", "approve", "Approve", id="proposal-approve",
                tooltip="Approve the selected proposal, optionally correcting its fields"),
        Binding("x", "reject", "Reject", id="proposal-reject",
                tooltip="Reject the selected proposal (a reason is required)"),
        Binding("v", "detail", "View", id="proposal-detail", key_display="v/⏎",
                tooltip="The selected proposal in full (Enter does the same)"),
        Binding("r", "refresh", "Refresh", id="proposals-refresh", tooltip="Ask the daemon for the queue again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.proposals: dict[int, Proposal] = {}
        self.next_cursor: str | None = None
        self.total: int | None = None
        self.descriptions: dict[str, TableDescription] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("asking for the queue…", id="queue-status", classes="status")
        table = PagedTable(id="proposals")
        table.add_column("id", key="id")
        table.add_column("table", key="table")
        table.add_column("kind", key="kind")
        table.add_column("conf", key="confidence")
        table.add_column("source", key="source")
        table.add_column("flags", key="flags")
        table.add_column("reasoning", key="reasoning")
        yield table
        with VerticalScroll(id="proposal-detail-pane"):
            yield RecordView(empty="No proposal selected.", id="proposal-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_refresh()

    # -- the queue -----------------------------------------------------------------------

    def action_refresh(self) -> None:
        # As many as are loaded now (up to the daemon's page limit), so the selection stays put.
        self.load_queue(None, min(max(PAGE_SIZE, len(self.proposals)), MAX_PAGE))

    @work(exclusive=True, group="proposals", exit_on_error=False)
    async def load_queue(self, cursor: str | None, limit: int = PAGE_SIZE) -> None:
        page = await self.app.client.proposals.pending(limit=limit, cursor=cursor,  # type: ignore[attr-defined]
                                                       count=cursor is None)
        self.post_message(ProposalsLoaded(page, append=cursor is not None))

    def on_proposals_loaded(self, message: ProposalsLoaded) -> None:
        table = self.query_one("#proposals", PagedTable)
        keep_key, keep_row = self.selected_key(), table.cursor_row
        if not message.append:
            table.has_more = False  # clearing moves the cursor: no page of the old listing is wanted
            table.clear()
            self.proposals.clear()
            self.total = message.page.total
        for p in message.page.proposals:
            if str(p.id) in table.rows:
                continue
            self.proposals[p.id] = p
            table.add_row(p.id, p.table, p.kind, f"{p.confidence:.2f}", cell(_source(p), 30),
                          cell(", ".join(p.flags or []), 16), cell(p.reasoning, 90), key=str(p.id))
        self.next_cursor = message.page.next_cursor
        table.has_more = self.next_cursor is not None
        if not message.append:
            table.keep_cursor_on(keep_key, keep_row)
        self.show_status()
        self.show_detail()
        table.check_end()

    @on(PagedTable.EndApproached, "#proposals")
    def next_page(self) -> None:
        if self.next_cursor:
            self.load_queue(self.next_cursor)

    def show_status(self) -> None:
        shown = len(self.proposals)
        total = self.total if self.total is not None else shown
        text = f"{total} pending" if total else "Nothing waits for a decision."
        if shown < total:
            text += f" · {shown} loaded (more as you scroll)"
        self.query_one("#queue-status", Static).update(text)

    def selected_key(self) -> str | None:
        table = self.query_one("#proposals", PagedTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def selected(self) -> Proposal | None:
        key = self.selected_key()
        return self.proposals.get(int(key)) if key else None

    @on(DataTable.RowHighlighted, "#proposals")
    def show_detail(self) -> None:
        p = self.selected()
        self.query_one("#proposal-detail", RecordView).record = proposal_record(p) if p else None

    def on_event_received(self, message: EventReceived) -> None:
        self.refresh_soon()

    # -- decisions -----------------------------------------------------------------------

    @on(DataTable.RowSelected, "#proposals")
    def action_detail(self) -> None:
        if p := self.selected():
            self.app.push_screen(RecordDialog(f"Proposal #{p.id}", proposal_record(p)))

    def action_approve(self) -> None:
        if p := self.selected():
            self.prepare_approval(p.id)
        else:
            self.notify("No proposal selected.", severity="warning")

    @work(exclusive=True, group="proposal-decision", exit_on_error=False)
    async def prepare_approval(self, proposal_id: int) -> None:
        client = self.app.client  # type: ignore[attr-defined]
        proposal = await client.proposals.get(id=proposal_id)  # as it is now, not as listed
        table = self.descriptions.get(proposal.table)
        if table is None and proposal.kind in ("insert", "update"):
            try:
                table = self.descriptions[proposal.table] = await client.tables.describe(table=proposal.table)
            except RpcError:
                table = None  # a table still to be created: the form shows the proposed fields only
        current = None
        if proposal.kind in ("update", "delete") and proposal.row_id is not None:
            try:
                current = await client.rows.get(table=proposal.table, id=proposal.row_id)
            except RpcError:
                current = None  # gone since: approving will say so (CONFLICT or NOT_FOUND)
        self.post_message(ApprovalPrepared(proposal, table, current))

    def on_approval_prepared(self, message: ApprovalPrepared) -> None:
        p = message.proposal
        if p.status != "pending":
            self.notify(f"Proposal #{p.id} is already {p.status}.", severity="warning")
            self.action_refresh()
            return

        def decided(decision: ApproveDecision | None) -> None:
            if decision is not None:
                self.approve(p.id, decision)

        self.app.push_screen(ApproveDialog(p, message.table, message.current), decided)

    @work(exclusive=True, group="proposal-decision", exit_on_error=False)
    async def approve(self, proposal_id: int, decision: ApproveDecision) -> None:
        result = await self.app.client.proposals.approve(  # type: ignore[attr-defined]
            id=proposal_id, fields=decision.fields, table=decision.table, note=decision.note)
        self.post_message(ProposalDecided(result, "approved"))

    def action_reject(self) -> None:
        p = self.selected()
        if p is None:
            self.notify("No proposal selected.", severity="warning")
            return

        def decided(reason: str | None) -> None:
            if reason:
                self.reject(p.id, reason)

        self.app.push_screen(RejectDialog(p), decided)

    @work(exclusive=True, group="proposal-decision", exit_on_error=False)
    async def reject(self, proposal_id: int, reason: str) -> None:
        result = await self.app.client.proposals.reject(id=proposal_id, reason=reason)  # type: ignore[attr-defined]
        self.post_message(ProposalDecided(result, "rejected"))

    def on_proposal_decided(self, message: ProposalDecided) -> None:
        p = message.proposal
        if p.status == "applied":
            where = f" as {p.table}/{p.row_id}" if p.row_id is not None else ""
            self.notify(f"Proposal #{p.id} approved and applied{where}.", title="Approved")
        elif p.status == "failed":
            self.notify(f"Proposal #{p.id} was approved but could not be applied: {p.error}",
                        title="Failed", severity="error", timeout=10)
        elif p.status == "pending":
            self.notify(f"Proposal #{p.id}: your approval is recorded; it waits for a second operator.",
                        title="Endorsed", severity="warning")
        else:
            self.notify(f"Proposal #{p.id} {p.status}.", title=message.decision.capitalize())
        self.action_refresh()

    def worker_failed(self, error: BaseException, group: str) -> None:
        # A refused decision (CONFLICT: decided elsewhere, or the row changed) leaves the
        # queue as the daemon now has it: show that rather than what we had.
        if group == "proposal-decision":
            self.action_refresh()
