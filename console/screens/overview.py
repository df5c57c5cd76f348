"""The first screen: the daemon's health and every table with its row count."""

from __future__ import annotations

import asyncio

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from ..messages import OverviewLoaded
from .base import ClarityScreen


class OverviewScreen(ClarityScreen):
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Ask the daemon again"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("connecting…", id="health")
        table: DataTable[str | int] = DataTable(id="tables", cursor_type="row", zebra_stripes=True)
        table.add_columns("table", "rows", "fields", "description")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="overview", exit_on_error=False)
    async def load(self) -> None:
        client = self.app.client  # type: ignore[attr-defined]
        health, tables = await asyncio.gather(client.system.health(), client.tables.list())
        self.post_message(OverviewLoaded(health, tables))

    def worker_failed(self, error: BaseException) -> None:
        status = self.query_one("#health", Static)
        status.set_class(True, "degraded")
        status.update(f"not connected: {error} — press r to retry")

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        h = message.health
        status = self.query_one("#health", Static)
        status.set_class(h.status != "ok", "degraded")
        total = sum(t.row_count for t in message.tables)
        status.update(
            f"clarityd {h.version} · {h.status} · {h.database} {'reachable' if h.database_ok else 'UNREACHABLE'}"
            f" · up {h.uptime_s:.0f}s · {len(message.tables)} tables · {total} rows · {h.connections} connection(s)"
        )
        table = self.query_one("#tables", DataTable)
        table.clear()
        for t in message.tables:
            table.add_row(t.name, t.row_count, t.fields, t.description, key=t.name)
