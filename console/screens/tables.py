"""Browse a table's rows a page at a time (keyset paging with ``rows.list``'s
``next_cursor``: only the pages scrolled to are ever fetched), search, filter by a column's
value and sort by any column, choose the columns shown, view a row in full, propose an edit
or a deletion (``rows.update`` / ``rows.delete`` against the row's version: proposals),
propose a new field or table (``proposals.schema_tweak``) and export to a file."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from daemon.protocol.tables import TableDescription

from ..dialogs.columns import ColumnsDialog
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.edit_row import EditRowDialog, RowEdit
from ..dialogs.export import ExportDialog, ExportRequest
from ..dialogs.record import RecordDialog, RowDialog
from ..dialogs.row_filter import RowFilterDialog, RowQuery
from ..dialogs.schema import SchemaDialog, SchemaRequest
from ..formatting import COMMON_FIELDS, cell
from ..messages import (
    EventReceived,
    RowDeleteProposed,
    RowEditProposed,
    RowFetched,
    RowsExported,
    RowsLoaded,
    SchemaProposed,
    TablesListed,
)
from ..proposal_view import proposal_record
from ..widgets.paged_table import PagedTable
from .base import ClarityScreen

PAGE_SIZE = 100
MAX_COLUMNS = 8  # of a table's own fields, after id, as the original editor: the rest are in the row view
NARROW = 100  # below this many columns the table list is narrower
CELL_WIDTH = 30  # a text cell's width; the row view shows it whole


def column_width(name: str, field_type: str) -> int:
    """A fixed width per column (by its type), so the table does not jump as pages arrive."""
    if name == "id":
        return 7
    narrow = {"integer": 8, "float": 8, "boolean": 5, "datetime": 19}.get(field_type, CELL_WIDTH)
    return max(narrow, min(len(name), CELL_WIDTH))


class TablesScreen(ClarityScreen):
    MODE = "tables"
    TITLE = "Clarity · Tables"
    EVENT_TYPES = ("row.", "table.")
    BINDINGS = [
        Binding(
            "slash",
            "search",
            "Search",
            id="rows-search",
            key_display="/",
            tooltip="Search every text column of this table",
        ),
        Binding("v", "view", "View", id="row-view", key_display="v/⏎", tooltip="The selected row in full"),
        Binding("e", "edit", "Edit", id="row-edit", tooltip="Propose a change to the selected row"),
        Binding("d", "delete", "Delete", id="row-delete", tooltip="Propose deleting the selected row (asks first)"),
        Binding(
            "f", "filter", "Filter", id="rows-filter", tooltip="Only rows whose column has a value; sort by any column"
        ),
        Binding("c", "columns", "Columns", id="rows-columns", tooltip="Choose the columns shown"),
        Binding(
            "n",
            "schema",
            "New field",
            id="schema-propose",
            tooltip="Propose a new field in this table, or a new table (with the DDL preview)",
        ),
        Binding("x", "export", "Export", id="rows-export", tooltip="Write every row that matches the search to a file"),
        Binding(
            "o", "order", "Order", id="rows-order", show=False, tooltip="Reverse the order (oldest or newest first)"
        ),
        Binding("r", "refresh", "Refresh", id="rows-refresh", show=False, tooltip="Ask the daemon again"),
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
        self.columns: list[str] = []  # the columns shown
        self.chosen_columns: dict[str, list[str]] = {}  # per table, once the operator chose
        self.row_query = RowQuery()
        """The column filter and the sort of the table shown."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="tables-body"):
            yield OptionList(id="table-list")
            with Vertical(id="rows-pane"):
                yield Input(placeholder="/ search (Enter applies, Esc back to the rows)", id="search", compact=True)
                yield Static("", id="rows-status", classes="status")
                yield PagedTable(id="rows")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.on_resize()
        self.list_tables()

    def on_resize(self) -> None:
        self.query_one("#table-list", OptionList).styles.width = 30 if self.app.size.width < NARROW else 36

    # -- the catalog ---------------------------------------------------------------------

    @work(exclusive=True, group="tables-list", exit_on_error=False)
    async def list_tables(self) -> None:
        self.post_message(TablesListed(await self.client.tables.list()))

    def on_tables_listed(self, message: TablesListed) -> None:
        options = self.query_one("#table-list", OptionList)
        names = [t.name for t in message.tables]
        options.clear_options()
        width = 16 if self.app.size.width < NARROW else 22
        options.add_options(
            [Option(f"{cell(t.name, width):<{width}} {t.row_count:>6}", id=t.name) for t in message.tables]
        )
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

    @on(OptionList.OptionSelected, "#table-list")
    def table_selected(self) -> None:
        """Enter on a table in the list: on to its rows, where the row keys act."""
        self.query_one("#rows", PagedTable).focus()

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
            self.row_query = RowQuery()
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
        client = self.client
        description = self.description if self.description and self.description.name == table else None
        # A table just described comes with its row count: unfiltered, no second COUNT is needed
        # (on a million rows that is most of the first page's time). Otherwise count again.
        count = cursor is None and (description is not None or bool(search or self.row_query.filters))
        if description is None:
            description = await client.tables.describe(table=table)
        page = await client.rows.list(
            table=table,
            search=search or None,
            descending=descending,
            filters=self.row_query.filters,
            sort=self.row_query.sort,
            limit=PAGE_SIZE,
            cursor=cursor,
            count=count,
        )
        self.post_message(RowsLoaded(description, page, search, append=cursor is not None))

    def columns_of(self, description: TableDescription) -> list[str]:
        """id, then the columns the operator chose for this table, else its first MAX_COLUMNS
        own fields (as the original editor)."""
        chosen = self.chosen_columns.get(description.name)
        if chosen is None:
            chosen = [f.name for f in description.fields if not f.common][:MAX_COLUMNS]
        return ["id", *[c for c in chosen if c != "id"]]

    def on_rows_loaded(self, message: RowsLoaded) -> None:
        if message.table.name != self.table or message.search != self.search:
            return  # an answer to a question no longer asked
        rows = self.query_one("#rows", PagedTable)
        if not message.append:
            self.description = message.table
            self.total = message.page.total if message.page.total is not None else message.table.row_count
            self.columns = self.columns_of(message.table)
            rows.has_more = False  # clearing moves the cursor: no page of the old listing is wanted
            rows.clear(columns=True)
            types = {f.name: f.type for f in message.table.fields}
            for name in self.columns:
                rows.add_column(name, key=name, width=column_width(name, types.get(name, "string")))
        columns = self.columns
        for r in message.page.rows:
            if str(r["id"]) in rows.rows:  # a row moved under the cursor between two pages
                continue
            # Text, not str: a value is never read as Rich markup ("[x]"), and needs no parsing.
            rows.add_row(*(Text(cell(r.get(c), CELL_WIDTH), no_wrap=True) for c in columns), key=str(r["id"]))
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
        if self.row_query.column:
            text += f" where {self.row_query.describe()}"
        if self.row_query.sort == "id":
            text += " · newest first" if self.descending else " · oldest first"
        else:
            text += f" · by {self.row_query.sort}{' descending' if self.descending else ''}"
        if rows.row_count < total:
            text += f" · {rows.row_count} loaded, more as you scroll"
        self.query_one("#rows-status", Static).update(text)

    def action_refresh(self) -> None:
        self.list_tables()
        self.reload()

    def on_event_received(self, message: EventReceived) -> None:
        # Rows changed while another screen was shown (an approval in Proposals, an undo in
        # History): ask again on coming back. While shown, the rows stay put under the cursor
        # until `r`: reloading them at every ingested file would move it.
        if not self.is_current:
            self._stale = True

    def action_order(self) -> None:
        self.descending = not self.descending
        self.reload()

    # -- filter, sort, columns -----------------------------------------------------------

    def action_filter(self) -> None:
        if self.description is None:
            return

        def chosen(query: RowQuery | None) -> None:
            if query is not None:
                self.row_query = query
                self.descending = query.descending
                self.reload()

        current = replace(self.row_query, descending=self.descending)
        self.app.push_screen(RowFilterDialog(self.description, current), chosen)

    @on(DataTable.HeaderSelected, "#rows")
    def header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column's header sorts by it (again: the other way)."""
        column = str(event.column_key.value)
        same = self.row_query.sort == column
        self.descending = not self.descending if same else False
        self.row_query = replace(self.row_query, sort=column, descending=self.descending)
        self.reload()

    def action_columns(self) -> None:
        if self.description is None:
            return
        table = self.description
        fields = [f.name for f in table.fields if f.name != "id"]

        def chosen(columns: list[str] | None) -> None:
            if columns is not None:
                self.chosen_columns[table.name] = columns
                self.reload()

        self.app.push_screen(ColumnsDialog(table.name, fields, self.columns[1:]), chosen)

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

    def action_delete(self) -> None:
        self._fetch_selected("delete")

    def _fetch_selected(self, purpose: str) -> None:
        row_id = self.selected_id()
        if self.table is None or row_id is None:
            self.notify("No row selected.", severity="warning")
            return
        self.fetch_row(self.table, row_id, purpose)

    @work(exclusive=True, group="row", exit_on_error=False)
    async def fetch_row(self, table: str, row_id: int, purpose: str) -> None:
        client = self.client
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
        if message.purpose == "delete":
            self.confirm_delete(table, row)
            return

        def after_edit(edit: RowEdit | None) -> None:
            if edit is not None:
                self.propose_edit(table.name, row["id"], row["version"], edit)

        self.app.push_screen(EditRowDialog(table, row), after_edit)

    @work(exclusive=True, group="edit", exit_on_error=False)
    async def propose_edit(self, table: str, row_id: int, version: int, edit: RowEdit) -> None:
        proposal = await self.client.rows.update(
            table=table, id=row_id, fields=edit.fields, version=version, reasoning=edit.reasoning
        )
        self.post_message(RowEditProposed(proposal))

    def on_row_edit_proposed(self, message: RowEditProposed) -> None:
        p = message.proposal
        if p.status == "applied":
            self.notify(f"Proposal #{p.id} applied at once (the policy lets your own edits through).", title="Edited")
            self.reload()
        else:
            self.notify(
                f"Your edit is proposal #{p.id} ({p.status}): the row changes once it is approved "
                "in Proposals (key 2).",
                title="Edit proposed",
                timeout=8,
            )

    def confirm_delete(self, table: TableDescription, row: dict[str, Any]) -> None:
        own = [(k, v) for k, v in row.items() if k not in COMMON_FIELDS and v not in (None, "", [])][:6]
        # One line per field: the dialog's inner width (.dialog: 90 columns, at most 95%) less the name.
        inner = min(90, int(self.app.size.width * 0.95)) - 4
        shown = "\n".join(f"  {k}: {cell(v, max(10, inner - len(k) - 4))}" for k, v in own)

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.propose_delete(table.name, row["id"], row["version"], reason)

        self.app.push_screen(
            ConfirmDialog(
                f"Delete {table.name} row {row['id']} (version {row['version']})?",
                f"{shown}\nDeleting is a proposal: the row goes once an operator approves it (undo from History).",
                "Propose deletion",
                text_label="reason",
                placeholder="why (shown with the proposal)",
                variant="error",
                dialog_id="delete-dialog",
            ),
            answered,
        )

    @work(exclusive=True, group="edit", exit_on_error=False)
    async def propose_delete(self, table: str, row_id: int, version: int, reasoning: str) -> None:
        proposal = await self.client.rows.delete(table=table, id=row_id, version=version, reasoning=reasoning)
        self.post_message(RowDeleteProposed(proposal))

    def on_row_delete_proposed(self, message: RowDeleteProposed) -> None:
        p = message.proposal
        if p.status == "applied":
            self.notify(
                f"Row deleted at once by proposal #{p.id} (the policy lets your own deletions through).",
                title="Deleted",
            )
            self.reload()
        else:
            self.notify(
                f"The deletion is proposal #{p.id} ({p.status}): the row goes once it is approved "
                "in Proposals (key 2).",
                title="Deletion proposed",
                timeout=8,
            )

    # -- schema changes ------------------------------------------------------------------

    def action_schema(self) -> None:
        def chosen(request: SchemaRequest | None) -> None:
            if request is not None:
                self.propose_schema(request)

        self.app.push_screen(SchemaDialog(self.table), chosen)

    @work(exclusive=True, group="schema", exit_on_error=False)
    async def propose_schema(self, request: SchemaRequest) -> None:
        proposal = await self.client.proposals.schema_tweak(**request.params)
        self.post_message(SchemaProposed(proposal))

    def on_schema_proposed(self, message: SchemaProposed) -> None:
        p = message.proposal
        self.notify(
            f"Proposal #{p.id} ({p.kind} in {p.table}) waits for approval in Proposals (key 2).",
            title="Schema change proposed",
            timeout=8,
        )
        self.app.push_screen(RecordDialog(f"Proposal #{p.id}: {p.kind} {p.table}", proposal_record(p)))

    # -- export --------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.table is None:
            return
        table, search = self.table, self.search

        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self.export(table, search, self.descending, request)

        scope = f"rows matching “{search}”" if search else "every row"
        self.app.push_screen(ExportDialog(table, scope), chosen)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def export(self, table: str, search: str, descending: bool, request: ExportRequest) -> None:
        result = await self.client.rows.export(
            table=table, format=request.format, search=search or None, descending=descending
        )
        # Written off the event loop: an export can be large.
        await asyncio.to_thread(request.path.write_text, result.content, encoding="utf-8")
        self.post_message(RowsExported(request.path, result.rows, result.truncated, result.format))
