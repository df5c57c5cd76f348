"""Events as they happen: the most recent stored ones first fill the screen (events.list),
then live ones arrive from the app's one subscription. Oldest at the top, newest at the
bottom; the view follows the newest while the cursor sits on the last row."""

from __future__ import annotations

from collections import deque
from typing import Any

import msgspec
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Static

from ..dialogs.record import RecordDialog
from ..formatting import cell, when
from ..error_text import unreachable_reason
from ..messages import EventReceived, EventsLoaded, EventStreamChanged
from ..widgets.row_table import RowTable
from .base import ClarityScreen

BACKFILL = 200
MAX_ROWS = 2000  # older rows are dropped from the screen (they stay in the daemon: events.list)


def _matches(event: dict[str, Any], prefix: str) -> bool:
    return (
        not prefix or str(event.get("type", "")).startswith(prefix) or str(event.get("subject", "")).startswith(prefix)
    )


class EventsScreen(ClarityScreen):
    MODE = "events"
    TITLE = "Clarity · Events"
    EVENT_TYPES = ("",)
    AUTO_FOCUS = "#events"  # the list, so that / (and every key of the screen) works at once
    BINDINGS = [
        Binding(
            "slash",
            "filter",
            "Filter",
            id="events-filter",
            key_display="/",
            tooltip="Show only events whose type or subject starts with some text",
        ),
        Binding("v", "view", "View", id="event-view", key_display="v/⏎", tooltip="The selected event in full"),
        Binding("c", "clear", "Clear", id="events-clear", tooltip="Empty the screen (the daemon keeps them)"),
        Binding("r", "refresh", "Reload", id="events-reload", tooltip="Reload the most recent stored events"),
        Binding("escape", "leave_filter", "Events", id="events-focus", show=False, tooltip="Back to the events"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.prefix = ""
        """Only events whose type or subject starts with this are shown."""
        self.events: dict[str, dict[str, Any]] = {}
        self.order: deque[str] = deque()
        self.loading = False
        self.held: list[dict[str, Any]] = []  # live events that came while stored ones were loading
        self.stream_state = "connecting…"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="events-bar"):
            yield Static("connecting…", id="stream-status", classes="status")
            yield Input(placeholder="filter: type or subject prefix, Enter", id="event-filter")
        table: RowTable[str] = RowTable(id="events", cursor_type="row", zebra_stripes=True)
        table.add_column("id", key="id")
        table.add_column("time (UTC)", key="time")
        table.add_column("type", key="type")
        table.add_column("subject", key="subject")
        table.add_column("actor", key="actor")
        table.add_column("details", key="details")
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.loading = True
        self.load(self.prefix)

    @work(exclusive=True, group="events", exit_on_error=False)
    async def load(self, prefix: str) -> None:
        client = self.client
        params: dict[str, Any] = {"limit": BACKFILL}
        if prefix:
            params["type"] = prefix
        page = await client.events.list(**params)
        events = [msgspec.to_builtins(e) for e in page.events]
        if prefix and not events:  # the prefix may be a subject rather than a type
            page = await client.events.list(subject=prefix, limit=BACKFILL)
            events = [msgspec.to_builtins(e) for e in page.events]
        self.post_message(EventsLoaded(events))

    def on_events_loaded(self, message: EventsLoaded) -> None:
        self.clear_rows()
        self.loading = False
        for event in reversed(message.events):  # newest first from the daemon
            self.add_event(event)
        for event in self.held:
            self.add_event(event)
        self.held.clear()
        table = self.query_one("#events", DataTable)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)
        self.show_status()

    def worker_failed(self, error: BaseException, group: str) -> None:
        self.loading = False
        for event in self.held:
            self.add_event(event)
        self.held.clear()

    def on_event_received(self, message: EventReceived) -> None:
        if self.loading:
            self.held.append(message.event)
            return
        table = self.query_one("#events", DataTable)
        following = table.row_count == 0 or table.cursor_row >= table.row_count - 1
        if self.add_event(message.event) and following:
            table.move_cursor(row=table.row_count - 1)
        self.show_status()

    def add_event(self, event: dict[str, Any]) -> bool:
        """Show one event (unless filtered out or already shown); the oldest go past MAX_ROWS."""
        key = str(event.get("id"))
        if key in self.events or not _matches(event, self.prefix):
            return False
        table = self.query_one("#events", DataTable)
        self.events[key] = event
        self.order.append(key)
        table.add_row(
            key,
            when(event.get("created_at")),
            cell(event.get("type"), 28),
            cell(event.get("subject"), 36),
            cell(event.get("actor"), 20),
            cell(event.get("payload"), 80),
            key=key,
        )
        while len(self.order) > MAX_ROWS:
            old = self.order.popleft()
            self.events.pop(old, None)
            table.remove_row(old)
        return True

    def clear_rows(self) -> None:
        self.query_one("#events", DataTable).clear()
        self.events.clear()
        self.order.clear()

    def on_event_stream_changed(self, message: EventStreamChanged) -> None:
        status = self.query_one("#stream-status", Static)
        status.set_class(not message.live, "degraded")
        if message.live:
            self.stream_state = f"live ({message.detail})"
        else:  # unreachable: the banner has the rest; a word or two here
            why = message.detail if message.reachable else unreachable_reason(message.detail)
            self.stream_state = f"reconnecting: {why}"
        self.show_status()

    def show_status(self) -> None:
        shown = f" · {len(self.order)} shown" + (f" starting with “{self.prefix}”" if self.prefix else "")
        self.query_one("#stream-status", Static).update(self.stream_state + shown)

    def action_clear(self) -> None:
        self.clear_rows()
        self.show_status()

    def action_filter(self) -> None:
        self.query_one("#event-filter", Input).focus()

    def action_leave_filter(self) -> None:
        self.query_one("#events", DataTable).focus()

    @on(Input.Submitted, "#event-filter")
    def filter_submitted(self, event: Input.Submitted) -> None:
        self.prefix = event.value.strip()
        self.action_refresh()
        self.query_one("#events", DataTable).focus()

    @on(DataTable.RowSelected, "#events")
    def action_view(self) -> None:
        table = self.query_one("#events", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        event = self.events.get(key or "")
        if event:
            record = {k: v for k, v in event.items() if k != "subscription"}
            self.app.push_screen(RecordDialog(f"Event {key}: {event.get('type')}", record))
