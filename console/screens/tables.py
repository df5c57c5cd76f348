"""Browse a table's rows a page at a time (keyset paging with ``rows.list``'s
``next_cursor``: only the pages scrolled to are ever fetched), search, view a row in full,
propose an edit (``rows.update`` against the row's version: a proposal) and export to a file."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from daemon.protocol.tables import TableDescription

from ..dialogs.edit_row import EditRowDialog, RowEdit
from ..dialogs.export import ExportDialog, ExportRequest
from ..dialogs.record import RowDialog
from ..formatting import cell
from ..messages import RowEditProposed, RowFetched, RowsExported, RowsLoaded, TablesListed
from ..widgets.paged_table import PagedTable
from .base import ClarityScreen

PAGE_SIZE = 100
MAX_COLUMNS = 8  # of a table's own fields, after id: the rest are in the row view


class TablesScreen(ClarityScreen):
    MODE = "tables"
    TITLE = "Clarity · Tables"
    BINDINGS = [
        Binding("slash", "search", "Search", id="rows-search", key_display="/",
                tooltip="Search every text column of this table"),
        Binding("v", "view", "View", id="row-view", key_display="v/⏎", tooltip="The selected row in full"),
        Binding("e", "edit", "Edit", id="row-edit", tooltip="Propose a change to the selected row"),
        Binding("x", "export", "Export", id="rows-export", tooltip="Write every row that matches the search to a file"),
        Binding("o", "order", "Order", id="rows-order", tooltip="Oldest or newest first"),
        Binding("r", "refresh", "Refresh", id="rows-refresh", tooltip="Ask the daemon again"),
        Binding("escape", "leave_search", "Rows", id="rows-focus", show=False, tooltip="Back to the rows"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.table: str | None = None
        """The table shown (None until the catalog arrives)."""
        self.search = ""
        self.descending = False
        self.description: TableDescription | None = None
        self.next_cursor: str | None = None
        self.total: int | None = None
        self.wanted: str | None = None  # a table asked for before the catalog arrived
        self.columns: list[str] = []  # the columns shown, chosen from the first page

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="tables-body"):
            yield OptionList(id="table-list")
            with Vertical(id="rows-pane"):
                yield Input(placeholder="search (Enter applies, Esc back to the rows)", id="search")
                yield Static("", id="rows-status", classes="status")
                yield PagedTable(id="rows")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.list_tables()

    # -- the catalog ---------------------------------------------------------------------

    @work(exclusive=True, group="tables-list", exit_on_error=False)
    async def list_tables(self) -> None:
        self.post_message(TablesListed(await self.app.client.tables.list()))  # type: ignore[attr-defined]

    def on_tables_listed(self, message: TablesListed) -> None:
        options = self.query_one("#table-list", OptionList)
        names = [t.name for t in message.tables]
        options.clear_options()
        options.add_options([Option(f"{t.name:<22} {t.row_count:>6}", id=t.name) for t in message.tables])
        target = self.wanted or self.table or (names[0] if names else None)
        self.wanted = None
        if target in names:
            options.highlighted = names.index(target)
            if target != self.table:
                self.show_table(target)

    @on(OptionList.OptionHighlighted, "#table-list")
    def table_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id and event.option_id != self.table:
            self.show_table(event.option_id)

    def choose_table(self, name: str) -> None:
        """Show ``name`` (from another screen): highlight it in the list and load it."""
        options = self.query_one("#table-list", OptionList)
        index = next((i for i in range(options.option_count) if options.get_option_at_index(i).id == name), None)
        if index is None:
            self.wanted = name  # the catalog has not arrived yet
            return
        options.highlighted = index
        self.show_table(name)
        self.query_one("#rows", PagedTable).focus()

    def show_table(self, name: str | None) -> None:
        if name is None:
            return
        if name != self.table:
            self.search = ""
            self.query_one("#search", Input).value = ""
            self.description = None
        self.table = name
        self.reload()

    # -- rows ----------------------------------------------------------------------------

    def reload(self) -> None:
        self.next_cursor = None
        self.query_one("#rows", PagedTable).has_more = False
        if self.table:
            self.query_one("#rows-status", Static).update(f"{self.table}: loading…")
            self.load_rows(self.table, self.search, self.descending, None)

    @work(exclusive=True, group="rows", exit_on_error=False)
    async def load_rows(self, table: str, search: str, descending: bool, cursor: str | None) -> None:
        client = self.app.client  # type: ignore[attr-defined]
        description = self.description if self.description and self.description.name == table else None
        if description is None:
            description = await client.tables.describe(table=table)
        page = await client.rows.list(table=table, search=search or None, descending=descending,
                                      limit=PAGE_SIZE, cursor=cursor, count=cursor is None)
        self.post_message(RowsLoaded(description, page, search, append=cursor is not None))

    def columns_of(self, description: TableDescription, rows: list[dict[str, Any]]) -> list[str]:
        """id, then the table's own fields that have a value in the first page (all of them
        when none has), at most MAX_COLUMNS, then version."""
        own = [f.name for f in description.fields if not f.common]
        filled = [name for name in own if any(r.get(name) not in (None, "", []) for r in rows)]
        return ["id", *(filled or own)[:MAX_COLUMNS], "version"]

    def on_rows_loaded(self, message: RowsLoaded) -> None:
        if message.table.name != self.table or message.search != self.search:
            return  # an answer to a question no longer asked
        rows = self.query_one("#rows", PagedTable)
        if not message.append:
            self.description = message.table
            self.total = message.page.total
            self.columns = self.columns_of(message.table, message.page.rows)
            rows.has_more = False  # clearing moves the cursor: no page of the old listing is wanted
            rows.clear(columns=True)
            for name in self.columns:
                rows.add_column(name, key=name)
        columns = self.columns
        for r in message.page.rows:
            if str(r["id"]) in rows.rows:  # a row moved under the cursor between two pages
                continue
            rows.add_row(*(cell(r.get(c), 30) for c in columns), key=str(r["id"]))
        self.next_cursor = message.page.next_cursor
        rows.has_more = self.next_cursor is not None
        self.show_status()
        rows.check_end()

    @on(PagedTable.EndApproached, "#rows")
    def next_page(self) -> None:
        if self.table and self.next_cursor:
            self.load_rows(self.table, self.search, self.descending, self.next_cursor)

    def show_status(self) -> None:
        rows = self.query_one("#rows", PagedTable)
        total = self.total if self.total is not None else rows.row_count
        text = f"{self.table}: {total} row(s)"
        if self.search:
            text += f" matching “{self.search}”"
        text += " · newest first" if self.descending else " · oldest first"
        if rows.row_count < total:
            text += f" · {rows.row_count} loaded, more as you scroll"
        self.query_one("#rows-status", Static).update(text)

    def action_refresh(self) -> None:
        self.list_tables()
        self.reload()

    def action_order(self) -> None:
        self.descending = not self.descending
        self.reload()

    # -- search --------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one("#rows", PagedTable).focus()

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        self.search = event.value.strip()
        self.reload()
        self.query_one("#rows", PagedTable).focus()

    # -- one row -------------------------------------------------------------------------

    def selected_id(self) -> int | None:
        rows = self.query_one("#rows", PagedTable)
        if not rows.row_count:
            return None
        key = rows.coordinate_to_cell_key(rows.cursor_coordinate).row_key.value
        return int(key) if key else None

    @on(DataTable.RowSelected, "#rows")
    def action_view(self) -> None:
        self._fetch_selected("view")

    def action_edit(self) -> None:
        self._fetch_selected("edit")

    def _fetch_selected(self, purpose: str) -> None:
        row_id = self.selected_id()
        if self.table is None or row_id is None:
            self.notify("No row selected.", severity="warning")
            return
        self.fetch_row(self.table, row_id, purpose)

    @work(exclusive=True, group="row", exit_on_error=False)
    async def fetch_row(self, table: str, row_id: int, purpose: str) -> None:
        client = self.app.client  # type: ignore[attr-defined]
        description = self.description if self.description and self.description.name == table else None
        if description is None:
            description = await client.tables.describe(table=table)
        row = await client.rows.get(table=table, id=row_id)  # as it is now: its version is what we edit against
        self.post_message(RowFetched(description, row, purpose))

    def on_row_fetched(self, message: RowFetched) -> None:
        table, row = message.table, message.row
        if message.purpose == "view":
            ordered = {k: row[k] for k in ("id", *[f.name for f in table.fields]) if k in row}
            ordered.update({k: v for k, v in row.items() if k not in ordered})

            def after_view(answer: str | None) -> None:
                if answer == "edit":
                    self.fetch_row(table.name, row["id"], "edit")

            self.app.push_screen(RowDialog(f"{table.name} row {row['id']}", ordered), after_view)
            return

        def after_edit(edit: RowEdit | None) -> None:
            if edit is not None:
                self.propose_edit(table.name, row["id"], row["version"], edit)

        self.app.push_screen(EditRowDialog(table, row), after_edit)

    @work(exclusive=True, group="edit", exit_on_error=False)
    async def propose_edit(self, table: str, row_id: int, version: int, edit: RowEdit) -> None:
        proposal = await self.app.client.rows.update(  # type: ignore[attr-defined]
            table=table, id=row_id, fields=edit.fields, version=version, reasoning=edit.reasoning)
        self.post_message(RowEditProposed(proposal))

    def on_row_edit_proposed(self, message: RowEditProposed) -> None:
        p = message.proposal
        if p.status == "applied":
            self.notify(f"Proposal #{p.id} applied at once (the policy lets your own edits through).",
                        title="Edited")
            self.reload()
        else:
            self.notify(f"Your edit is proposal #{p.id} ({p.status}): the row changes once it is approved "
                        "in Proposals (key 2).", title="Edit proposed", timeout=8)

    # -- export --------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.table is None:
            return
        table, search = self.table, self.search

        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self.export(table, search, self.descending, request)

        self.app.push_screen(ExportDialog(table, search), chosen)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def export(self, table: str, search: str, descending: bool, request: ExportRequest) -> None:
        result = await self.app.client.rows.export(  # type: ignore[attr-defined]
            table=table, format=request.format, search=search or None, descending=descending)
        # Written off the event loop: an export can be large.
        await asyncio.to_thread(request.path.write_text, result.content, encoding="utf-8")
        self.post_message(RowsExported(request.path, result.rows, result.truncated, result.format))

    def on_rows_exported(self, message: RowsExported) -> None:
        more = " (truncated: more rows matched than the export limit)" if message.truncated else ""
        self.notify(f"{message.rows} row(s) written to {message.path} as {message.format}{more}.",
                    title="Exported", severity="warning" if message.truncated else "information", timeout=8)
