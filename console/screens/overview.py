"""The first screen: the daemon's health, the pending queue's size and every table with its
row count. It refreshes itself when proposals are decided or rows change, says so at once
when the daemon stops answering (no stale "ok"), and asks again when it is back."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from daemon.client import ConnectionLost

from .. import formatting
from ..error_text import first_fitting
from ..formatting import cell
from ..messages import EventReceived, OverviewLoaded
from ..widgets.row_table import RowTable
from .base import ClarityScreen


class OverviewScreen(ClarityScreen):
    MODE = "overview"
    TITLE = "Clarity · Overview"
    EVENT_TYPES = ("proposal.", "row.", "table.")
    REFRESH_DELAY = 1.0
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Ask the daemon again"),
        Binding(
            "v",
            "browse",
            "Browse",
            id="overview-browse",
            key_display="v/⏎",
            tooltip="Browse the selected table's rows (Enter does the same)",
        ),
    ]

    class TableChosen(Message):
        """The operator asked to browse ``table``."""

        def __init__(self, table: str) -> None:
            super().__init__()
            self.table = table

    loaded: OverviewLoaded | None = None
    gone: str | None = None
    """Why clarityd went away since ``loaded`` came (None while it answers): the figures shown
    are from before, and stay said to be, through resizes and screen switches."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("connecting…", id="health", classes="status")
        table: RowTable[str | int] = RowTable(id="tables", cursor_type="row", zebra_stripes=True)
        table.add_columns("table", "rows", "fields", "description")
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="overview", exit_on_error=False)
    async def load(self) -> None:
        client = self.client
        health, tables, pending = await asyncio.gather(
            client.system.health(), client.tables.list(), client.proposals.pending(limit=1, count=True)
        )
        self.post_message(OverviewLoaded(health, tables, pending.total))

    def worker_failed(self, error: BaseException, group: str) -> None:
        if isinstance(error, ConnectionLost):
            self.daemon_unreachable(str(error))
            return
        status = self.query_one("#health", Static)
        status.set_class(True, "degraded")
        status.update(f"not connected: {error} — retried on its own (r: now)")

    def daemon_unreachable(self, detail: str) -> None:
        self.gone = detail
        self.show_gone()

    def show_gone(self) -> None:
        # The banner above says what happened: one line here, the raw error only if it fits.
        status = self.query_one("#health", Static)
        status.set_class(True, "degraded")
        stale = "The figures below are from before clarityd became unreachable."
        status.update(first_fitting(self.app.size.width - 2, f"The figures below are from before · {self.gone}", stale))

    def on_resize(self) -> None:
        if self.loaded is not None:
            self.show(self.loaded)  # descriptions are cut to the width

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        # Figures of now, unless the feed has since found clarityd gone (an answer sent just
        # before may arrive after: it stays marked stale until the refresh on its return).
        if self.clarity.event_feed.reachable:
            self.gone = None
        self.loaded = message
        self.show(message)

    def show(self, message: OverviewLoaded) -> None:
        if self.gone is not None:
            self.show_gone()
        else:
            self.show_health(message)
        self.show_tables(message)

    def show_health(self, message: OverviewLoaded) -> None:
        h = message.health
        status = self.query_one("#health", Static)
        status.set_class(h.status != "ok", "degraded")
        total = sum(t.row_count for t in message.tables)
        pending = "" if message.pending is None else f" · {message.pending} pending proposal(s)"
        status.update(
            f"clarityd {h.version} · {h.status} · {h.database} {'reachable' if h.database_ok else 'UNREACHABLE'}"
            f" · up {formatting.uptime(h.uptime_s)} · {len(message.tables)} tables · {total} rows{pending}"
            f" · {h.connections} connection(s)"
        )

    def show_tables(self, message: OverviewLoaded) -> None:
        table = self.query_one("#tables", DataTable)
        row = table.cursor_row
        table.clear()
        width = max(20, self.app.size.width - 48)  # what is left beside name, rows and fields
        for t in message.tables:
            table.add_row(t.name, t.row_count, t.fields, cell(t.description, width), key=t.name)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def on_event_received(self, message: EventReceived) -> None:
        self.refresh_soon()

    @on(DataTable.RowSelected, "#tables")
    def action_browse(self) -> None:
        table = self.query_one("#tables", DataTable)
        if table.row_count:
            name = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if name:
                self.post_message(self.TableChosen(name))
