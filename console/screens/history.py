"""Decided proposals, the most recent first: who decided, when and why, and what changed
(before → after). ``u`` proposes undoing an applied one (proposals.revert): the undo is a new
proposal, decided like any other (the policy may apply an operator's own at once)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from daemon.protocol.proposals import Proposal

from .. import formatting
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.record import RecordDialog
from ..formatting import cell
from ..messages import EventReceived, HistoryLoaded, RevertProposed
from ..proposal_view import proposal_record
from ..widgets.paged_table import PagedTable
from ..widgets.record_view import RecordView
from .base import ClarityScreen

PAGE_SIZE = 100
MAX_PAGE = 500


class HistoryScreen(ClarityScreen):
    MODE = "history"
    TITLE = "Clarity · History"
    EVENT_TYPES = ("proposal.",)
    REFRESH_DELAY = 0.8
    BINDINGS = [
        Binding(
            "u",
            "revert",
            "Revert",
            id="history-revert",
            tooltip="Propose undoing the selected applied proposal (a new proposal)",
        ),
        Binding(
            "v",
            "detail",
            "View",
            id="history-detail",
            key_display="v/⏎",
            tooltip="The selected decision in full (Enter does the same)",
        ),
        Binding(
            "p", "app.switch_mode('proposals')", "Pending", id="history-pending", tooltip="Back to the pending queue"
        ),
        Binding("r", "refresh", "Refresh", id="history-refresh", tooltip="Ask the daemon again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.proposals: dict[int, Proposal] = {}
        self.order: list[int] = []  # most recently decided first, as the daemon sends them
        self.next_cursor: str | None = None
        self.total: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("asking for the decisions…", id="history-status", classes="status")
        table = PagedTable(id="history")
        for name in ("id", "decided", "status", "kind", "table", "by", "why"):
            table.add_column(name, key=name)
        yield table
        with VerticalScroll(id="history-detail-pane"):
            yield RecordView(empty="No decision selected.", id="history-record")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load(None, min(max(PAGE_SIZE, len(self.order)), MAX_PAGE))

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load(self, cursor: str | None, limit: int = PAGE_SIZE) -> None:
        page = await self.client.proposals.history(limit=limit, cursor=cursor, count=cursor is None)
        self.post_message(HistoryLoaded(page, append=cursor is not None))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        table = self.query_one("#history", PagedTable)
        keep_key, keep_row = self.selected_key(), table.cursor_row
        if not message.append:
            table.has_more = False
            table.clear()
            self.proposals.clear()
            self.order.clear()
            self.total = message.page.total
        why_width = max(16, self.app.size.width - 78)
        for p in message.page.proposals:
            if p.id in self.proposals:
                continue
            self.proposals[p.id] = p
            self.order.append(p.id)
            status = p.status + (" ↶" if p.reverted_by else "")
            texts = (
                formatting.ago(p.decided_at or p.updated_at),
                status,
                p.kind,
                cell(p.table, 16),
                cell(p.decided_by or "", 16),
                cell(p.note or p.error or p.policy_rule or "", why_width),
            )
            table.add_row(p.id, *(Text(t, no_wrap=True) for t in texts), key=str(p.id))  # never markup
        self.next_cursor = message.page.next_cursor
        table.has_more = self.next_cursor is not None
        if not message.append:
            table.keep_cursor_on(keep_key, keep_row)
        total = self.total if self.total is not None else len(self.order)
        loaded = f" · {len(self.order)} loaded" if len(self.order) < total else ""
        self.query_one("#history-status", Static).update(f"{total} decided · most recent first{loaded}")
        self.show_detail()
        table.check_end()

    @on(PagedTable.EndApproached, "#history")
    def next_page(self) -> None:
        if self.next_cursor:
            self.load(self.next_cursor)

    def selected_key(self) -> str | None:
        return self.query_one("#history", PagedTable).selected_key()

    def selected(self) -> Proposal | None:
        key = self.selected_key()
        return self.proposals.get(int(key)) if key else None

    @on(DataTable.RowHighlighted, "#history")
    def show_detail(self) -> None:
        p = self.selected()
        self.query_one("#history-record", RecordView).record = proposal_record(p) if p else None

    @on(DataTable.RowSelected, "#history")
    def action_detail(self) -> None:
        if p := self.selected():
            self.app.push_screen(RecordDialog(f"Proposal #{p.id} ({p.status})", proposal_record(p)))

    def on_event_received(self, message: EventReceived) -> None:
        self.refresh_soon()

    def action_revert(self) -> None:
        p = self.selected()
        if p is None:
            self.notify("No decision selected.", severity="warning")
            return
        if p.status != "applied" or p.reverted_by:
            why = f"already undone by #{p.reverted_by}" if p.reverted_by else f"{p.status}, not applied"
            self.notify(f"Proposal #{p.id} is {why}: there is nothing to undo.", severity="warning")
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.revert(p.id, reason)

        self.app.push_screen(
            ConfirmDialog(
                f"Undo proposal #{p.id} ({p.kind} in {p.table})?",
                "Undoing is a new proposal that restores what was there before; it is decided like any other.",
                "Propose undo",
                text_label="reason",
                placeholder="why (optional)",
                variant="warning",
                dialog_id="revert-dialog",
            ),
            answered,
        )

    @work(exclusive=True, group="revert", exit_on_error=False)
    async def revert(self, proposal_id: int, reason: str) -> None:
        result = await self.client.proposals.revert(id=proposal_id, reason=reason)
        self.post_message(RevertProposed(proposal_id, result))

    def on_revert_proposed(self, message: RevertProposed) -> None:
        p = message.proposal
        if p.status == "applied":
            self.notify(f"Proposal #{message.original} undone (by #{p.id}).", title="Reverted")
        else:
            self.notify(
                f"The undo of #{message.original} is proposal #{p.id} ({p.status}): approve it in Proposals (key 2).",
                title="Undo proposed",
                timeout=8,
            )
        self.action_refresh()
