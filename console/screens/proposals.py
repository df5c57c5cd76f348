"""The pending queue: what waits for a person, in detail, and the decisions on it.

Filter (confidence band, table, kind, source, age: ``f``), sort (``s``), mark several
(space) and decide them together (``a`` / ``x``: one note or one reason for all), or decide
the one under the cursor through the approve dialog (corrected fields, another table for an
insert, a note). The detail pane shows what a proposal would change: before → after for an
update (the row as it is now is fetched), the DDL for a schema change. A refusal such as
CONFLICT (someone decided first, or the row changed since) is shown by the app's error
handler and the queue is asked for again.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import DataTable, Footer, Header, Static

from daemon.protocol import ErrorCode, RpcError
from daemon.protocol.proposals import Proposal
from daemon.protocol.tables import TableDescription

from .. import formatting
from ..dialogs.approve import ApproveDecision, ApproveDialog
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.queue_filter import QueueFilterDialog
from ..dialogs.record import RecordDialog
from ..dialogs.reject import RejectDialog
from ..error_text import describe_error
from ..formatting import cell
from ..messages import (
    ApprovalPrepared,
    BatchDecided,
    CurrentRowFetched,
    EventReceived,
    ProposalDecided,
    ProposalsLoaded,
    TablesListed,
)
from ..proposal_view import (
    SORTS,
    QueueFilter,
    proposal_record,
    sort_proposals,
    source_of,
)
from ..widgets.paged_table import PagedTable
from ..widgets.record_view import RecordView
from .base import ClarityScreen

PAGE_SIZE = 100
MAX_PAGE = 500  # proposals.pending's largest page
NARROW = 110  # below this many columns, age and source are left to the detail pane


class ProposalsScreen(ClarityScreen):
    MODE = "proposals"
    TITLE = "Clarity · Proposals"
    EVENT_TYPES = ("proposal.",)
    REFRESH_DELAY = 0.8
    BINDINGS = [
        Binding(
            "a",
            "approve",
            "Approve",
            id="proposal-approve",
            tooltip="Approve the marked proposals, or the selected one (optionally correcting its fields)",
        ),
        Binding(
            "x",
            "reject",
            "Reject",
            id="proposal-reject",
            tooltip="Reject the marked proposals, or the selected one (one reason is required)",
        ),
        Binding(
            "space",
            "mark",
            "Mark",
            id="proposal-mark",
            key_display="␣",
            tooltip="Mark or unmark the selected proposal, to decide several together",
        ),
        Binding(
            "asterisk",
            "mark_all",
            "Mark all",
            id="proposal-mark-all",
            key_display="*",
            show=False,
            tooltip="Mark every proposal shown (again: unmark all)",
        ),
        Binding(
            "f",
            "filter",
            "Filter",
            id="proposal-filter",
            tooltip="Filter by confidence band, table, kind, source and age",
        ),
        Binding("s", "sort", "Sort", id="proposal-sort", tooltip="Next sort: oldest, newest, confidence, table"),
        Binding(
            "v",
            "detail",
            "View",
            id="proposal-detail",
            key_display="v/⏎",
            tooltip="The selected proposal in full (Enter does the same)",
        ),
        Binding(
            "h",
            "app.switch_mode('history')",
            "History",
            id="proposal-history",
            tooltip="Decided proposals: who, when, why; revert",
        ),
        Binding("r", "refresh", "Refresh", id="proposals-refresh", tooltip="Ask the daemon for the queue again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.proposals: dict[int, Proposal] = {}
        self.next_cursor: str | None = None
        self.total: int | None = None
        self.descriptions: dict[str, TableDescription] = {}
        self.filter = QueueFilter()
        """What the queue is narrowed to (server-side)."""
        self.sort = "oldest"
        """A key of SORTS: how the loaded proposals are ordered."""
        self.marked: set[int] = set()
        """Proposals marked to be decided together."""
        self.current_rows: dict[int, dict[str, Any] | None] = {}  # rows as they are now, for update/delete
        self.table_names: list[str] = []
        self.narrow: bool | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("asking for the queue…", id="queue-status", classes="status")
        yield PagedTable(id="proposals")
        with VerticalScroll(id="proposal-detail-pane"):
            yield RecordView(empty="No proposal selected.", id="proposal-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.set_columns(self.app.size.width < NARROW)
        self.action_refresh()
        self.list_tables()

    def on_resize(self, event: Resize) -> None:
        if (event.size.width < NARROW) != self.narrow:
            table = self.query_one("#proposals", PagedTable)
            keep = self.selected_key(), table.cursor_row  # new columns empty the table
            self.set_columns(event.size.width < NARROW)
            self.render_rows(keep)

    def set_columns(self, narrow: bool) -> None:
        self.narrow = narrow
        table = self.query_one("#proposals", PagedTable)
        table.clear(columns=True)
        columns = ["✓", "id", "age", "table", "kind", "conf", "source", "reasoning"]
        for name in columns:
            if narrow and name in ("age", "source"):
                continue
            table.add_column(name, key=name)

    def reasoning_width(self) -> int:
        fixed = 44 if self.narrow else 76  # the other columns, with their padding
        return max(20, self.app.size.width - fixed)

    # -- the queue -----------------------------------------------------------------------

    def action_refresh(self) -> None:
        # As many as are loaded now (up to the daemon's page limit), so the selection stays put.
        self.load_queue(None, min(max(PAGE_SIZE, len(self.proposals)), MAX_PAGE))

    @work(exclusive=True, group="proposals", exit_on_error=False)
    async def load_queue(self, cursor: str | None, limit: int = PAGE_SIZE) -> None:
        page = await self.client.proposals.pending(
            limit=limit, cursor=cursor, count=cursor is None, **self.filter.params()
        )
        self.post_message(ProposalsLoaded(page, append=cursor is not None))

    @work(exclusive=True, group="proposal-tables", exit_on_error=False)
    async def list_tables(self) -> None:
        self.post_message(TablesListed(await self.client.tables.list()))

    def on_tables_listed(self, message: TablesListed) -> None:
        self.table_names = [t.name for t in message.tables]

    def on_proposals_loaded(self, message: ProposalsLoaded) -> None:
        if not message.append:
            self.proposals.clear()
            self.total = message.page.total
        for p in message.page.proposals:
            self.proposals[p.id] = p
        self.marked &= set(self.proposals)
        self.next_cursor = message.page.next_cursor
        self.render_rows()
        table = self.query_one("#proposals", PagedTable)
        table.has_more = self.next_cursor is not None
        table.check_end()

    def render_rows(self, keep: tuple[str | None, int] | None = None) -> None:
        """The loaded proposals, in the chosen order, the cursor kept on the same one (``keep``:
        its key and row, when the table was emptied before)."""
        table = self.query_one("#proposals", PagedTable)
        keep_key, keep_row = keep or (self.selected_key(), table.cursor_row)
        has_more, table.has_more = table.has_more, False  # clearing moves the cursor: ask for no page
        table.clear()
        width = self.reasoning_width()
        for p in sort_proposals(list(self.proposals.values()), self.sort):
            values: dict[str, Any] = {
                "✓": "✓" if p.id in self.marked else "",
                "id": p.id,
                "age": formatting.ago(p.created_at),
                "table": cell(p.table, 16),
                "kind": p.kind + (" ⚠" if p.flags else ""),
                "conf": f"{p.confidence:.2f}",
                "source": cell(source_of(p), 20),
                "reasoning": cell(p.reasoning, width),
            }
            # Text, not str: reasoning and sources are never read as Rich markup.
            table.add_row(
                *(
                    Text(v, no_wrap=True) if isinstance(v, str) else v
                    for v in (values[str(c.key.value)] for c in table.columns.values())
                ),
                key=str(p.id),
            )
        table.has_more = has_more
        table.keep_cursor_on(keep_key, keep_row)
        self.show_status()
        self.show_detail()

    @on(PagedTable.EndApproached, "#proposals")
    def next_page(self) -> None:
        if self.next_cursor:
            self.load_queue(self.next_cursor)

    def show_status(self) -> None:
        shown = len(self.proposals)
        total = self.total if self.total is not None else shown
        narrowed = self.filter.describe()
        text = f"{total} pending" if total else "Nothing waits for a decision."
        if narrowed:
            text += f" ({narrowed})"
        text += f" · {SORTS[self.sort][0]}"
        if self.marked:
            text += f" · {len(self.marked)} marked"
        if shown < total:
            text += f" · {shown} loaded (more as you scroll)"
        self.query_one("#queue-status", Static).update(text)

    def selected_key(self) -> str | None:
        return self.query_one("#proposals", PagedTable).selected_key()

    def selected(self) -> Proposal | None:
        key = self.selected_key()
        return self.proposals.get(int(key)) if key else None

    @on(DataTable.RowHighlighted, "#proposals")
    def show_detail(self) -> None:
        p = self.selected()
        view = self.query_one("#proposal-detail", RecordView)
        if p is None:
            view.record = None
            return
        view.record = proposal_record(p, self.current_rows.get(p.id))
        if p.kind in ("update", "delete") and p.row_id is not None and p.id not in self.current_rows:
            self.fetch_current_row(p, p.row_id)

    @work(exclusive=True, group="proposal-row", exit_on_error=False)
    async def fetch_current_row(self, p: Proposal, row_id: int) -> None:
        try:
            row = await self.client.rows.get(table=p.table, id=row_id)
        except RpcError as e:
            if e.code == ErrorCode.NOT_FOUND:  # gone since; approving will say so
                row = None
            else:
                raise
        self.post_message(CurrentRowFetched(p.id, row))

    def on_current_row_fetched(self, message: CurrentRowFetched) -> None:
        self.current_rows[message.proposal_id] = message.row
        if (p := self.selected()) and p.id == message.proposal_id:
            self.show_detail()

    def on_event_received(self, message: EventReceived) -> None:
        self.current_rows.clear()  # a row may have changed under a pending update
        self.refresh_soon()

    # -- filter, sort, marks -------------------------------------------------------------

    def action_filter(self) -> None:
        def chosen(new: QueueFilter | None) -> None:
            if new is not None and new != self.filter:
                self.filter = new
                self.marked.clear()
                self.query_one("#proposals", PagedTable).move_cursor(row=0)
                self.load_queue(None, PAGE_SIZE)

        self.app.push_screen(QueueFilterDialog(self.filter, self.table_names), chosen)

    def action_sort(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        if self.next_cursor and self.sort != "oldest":
            self.load_queue(None, MAX_PAGE)  # a sort means most over the whole queue: load what one page can
        self.render_rows()

    def action_mark(self) -> None:
        p = self.selected()
        if p is None:
            return
        self.marked ^= {p.id}
        table = self.query_one("#proposals", PagedTable)
        row = table.cursor_row
        table.update_cell(str(p.id), "✓", "✓" if p.id in self.marked else "")
        if row < table.row_count - 1:
            table.move_cursor(row=row + 1)
        self.show_status()

    def action_mark_all(self) -> None:
        self.marked = set() if self.marked >= set(self.proposals) else set(self.proposals)
        self.render_rows()

    # -- decisions -----------------------------------------------------------------------

    def marked_proposals(self) -> list[Proposal]:
        return [self.proposals[i] for i in sorted(self.marked) if i in self.proposals]

    @on(DataTable.RowSelected, "#proposals")
    def action_detail(self) -> None:
        if p := self.selected():
            self.app.push_screen(RecordDialog(f"Proposal #{p.id}", proposal_record(p, self.current_rows.get(p.id))))

    def action_approve(self) -> None:
        if marked := self.marked_proposals():
            self.confirm_batch_approval(marked)
        elif p := self.selected():
            self.prepare_approval(p.id)
        else:
            self.notify("No proposal selected.", severity="warning")

    def confirm_batch_approval(self, marked: list[Proposal]) -> None:
        ids = [p.id for p in marked]
        listed = ", ".join(f"#{p.id} {p.kind} {p.table} ({p.confidence:.2f})" for p in marked[:12])

        def answered(note: str | None) -> None:
            if note is not None:
                self.decide_batch(ids, "approved", note)

        self.app.push_screen(
            ConfirmDialog(
                f"Approve {len(marked)} proposals as proposed?",
                listed + (" …" if len(marked) > 12 else ""),
                f"Approve {len(marked)}",
                text_label="note",
                placeholder="why (kept in the audit trail; optional)",
                variant="success",
                dialog_id="batch-approve-dialog",
            ),
            answered,
        )

    @work(exclusive=True, group="proposal-decision", exit_on_error=False)
    async def decide_batch(self, ids: list[int], decision: str, text: str) -> None:
        """Decide each in turn; one refused (CONFLICT, FORBIDDEN…) does not stop the others."""
        client = self.client
        done: list[Proposal] = []
        refused: list[tuple[int, RpcError]] = []
        for proposal_id in ids:
            try:
                if decision == "approved":
                    done.append(await client.proposals.approve(id=proposal_id, note=text or None))
                else:
                    done.append(await client.proposals.reject(id=proposal_id, reason=text))
            except RpcError as e:
                refused.append((proposal_id, e))
        self.post_message(BatchDecided(decision, done, refused))

    def on_batch_decided(self, message: BatchDecided) -> None:
        self.marked.clear()
        applied = sum(1 for p in message.done if p.status in ("applied", "rejected"))
        waiting = sum(1 for p in message.done if p.status == "pending")
        failed = [p for p in message.done if p.status == "failed"]
        text = f"{applied} of {len(message.done) + len(message.refused)} {message.decision}"
        if waiting:
            text += f"; {waiting} wait for a second operator"
        if failed:
            text += "; could not be applied: " + ", ".join(f"#{p.id} ({p.error})" for p in failed)
        if message.refused:
            text += "; refused: " + "; ".join(f"#{i}: {describe_error(e)[1]}" for i, e in message.refused)
        self.notify(
            text,
            title=f"Batch {message.decision}",
            severity="warning" if message.refused or failed else "information",
            timeout=10,
        )
        self.action_refresh()

    @work(exclusive=True, group="proposal-decision", exit_on_error=False)
    async def prepare_approval(self, proposal_id: int) -> None:
        client = self.client
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
        result = await self.client.proposals.approve(
            id=proposal_id, fields=decision.fields, table=decision.table, note=decision.note
        )
        self.post_message(ProposalDecided(result, "approved"))

    def action_reject(self) -> None:
        marked = self.marked_proposals()
        targets = marked or ([p] if (p := self.selected()) else [])
        if not targets:
            self.notify("No proposal selected.", severity="warning")
            return

        def decided(reason: str | None) -> None:
            if not reason:
                return
            if marked:
                self.decide_batch([t.id for t in targets], "rejected", reason)
            else:
                self.reject(targets[0].id, reason)

        self.app.push_screen(RejectDialog(targets), decided)

    @work(exclusive=True, group="proposal-decision", exit_on_error=False)
    async def reject(self, proposal_id: int, reason: str) -> None:
        result = await self.client.proposals.reject(id=proposal_id, reason=reason)
        self.post_message(ProposalDecided(result, "rejected"))

    def on_proposal_decided(self, message: ProposalDecided) -> None:
        p = message.proposal
        if p.status == "applied":
            where = f" as {p.table}/{p.row_id}" if p.row_id is not None else ""
            self.notify(f"Proposal #{p.id} approved and applied{where}.", title="Approved")
        elif p.status == "failed":
            self.notify(
                f"Proposal #{p.id} was approved but could not be applied: {p.error}",
                title="Failed",
                severity="error",
                timeout=10,
            )
        elif p.status == "pending":
            self.notify(
                f"Proposal #{p.id}: your approval is recorded; it waits for a second operator.",
                title="Endorsed",
                severity="warning",
            )
        else:
            self.notify(f"Proposal #{p.id} {p.status}.", title=message.decision.capitalize())
        self.action_refresh()

    def worker_failed(self, error: BaseException, group: str) -> None:
        # A refused decision (CONFLICT: decided elsewhere, or the row changed) leaves the
        # queue as the daemon now has it: show that rather than what we had.
        if group == "proposal-decision":
            self.action_refresh()
