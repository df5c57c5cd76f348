"""The Textual console: wiring only. ``make_app()`` is used by ``clarity`` and the tests alike.

Seven modes, one screen each, switched with the keys 1–7 (shown in the footer). The app holds
the one client (``app.client``), the one live event subscription (``app.event_feed``, run by
the ``follow_events`` worker) and the one place errors are shown (``report_error``). ``?``
lists the keys of the screen shown; Ctrl+P finds every action by name (``commands.py``).
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding

from daemon.client import AsyncClient, ConnectionLost

from .palette import ClarityCommands
from .dialogs.keys import KeysDialog, key_rows
from .error_text import describe_error
from .event_feed import EventFeed
from .messages import EventStreamChanged
from .screens.events import EventsScreen
from .screens.fleet import FleetScreen
from .screens.history import HistoryScreen
from .screens.overview import OverviewScreen
from .screens.proposals import ProposalsScreen
from .screens.query import QueryScreen
from .screens.tables import TablesScreen


class ClarityApp(App[None]):
    client: AsyncClient
    """The one client to the daemon; screens reach it as ``ClarityScreen.client``."""
    event_feed: EventFeed
    """The one live event subscription, which screens listen to."""

    CSS_PATH = "console.tcss"
    TITLE = "Clarity"
    COMMANDS = App.COMMANDS | {ClarityCommands}
    MODES = {
        "overview": OverviewScreen,
        "proposals": ProposalsScreen,
        "tables": TablesScreen,
        "fleet": FleetScreen,
        "events": EventsScreen,
        "history": HistoryScreen,
        "query": QueryScreen,
    }
    DEFAULT_MODE = "overview"
    # The footer shows the screen's own keys; these are in the mode bar under the header.
    BINDINGS = [
        Binding(
            "1",
            "switch_mode('overview')",
            "Overview",
            id="mode-overview",
            show=False,
            tooltip="Health and every table with its row count",
        ),
        Binding(
            "2",
            "switch_mode('proposals')",
            "Proposals",
            id="mode-proposals",
            show=False,
            tooltip="The pending queue: approve or reject",
        ),
        Binding(
            "3",
            "switch_mode('tables')",
            "Tables",
            id="mode-tables",
            show=False,
            tooltip="Browse, search, edit and export a table's rows",
        ),
        Binding(
            "4",
            "switch_mode('fleet')",
            "Fleet",
            id="mode-fleet",
            show=False,
            tooltip="Sub-agents, coding agents, playbooks, ingest",
        ),
        Binding("5", "switch_mode('events')", "Events", id="mode-events", show=False, tooltip="Events as they happen"),
        Binding(
            "6",
            "switch_mode('history')",
            "History",
            id="mode-history",
            show=False,
            tooltip="Decided proposals: who, when, why; revert one",
        ),
        Binding(
            "7",
            "switch_mode('query')",
            "Query",
            id="mode-query",
            show=False,
            tooltip="Read-only SQL (operators) or full-text search across tables",
        ),
        Binding(
            "question_mark", "keys", "Keys", id="keys", key_display="?", show=False, tooltip="The keys of this screen"
        ),
        Binding("q", "quit", "Quit", id="quit", show=False, tooltip="Leave the console (the daemon keeps running)"),
        Binding(
            "escape",
            "hide_keys_panel",
            "Hide keys",
            id="hide-keys-panel",
            show=False,
            priority=True,
            tooltip="Close the Keys panel (opened from the command palette)",
        ),
    ]

    def __init__(self, client: AsyncClient, retry_s: float = 2.0) -> None:
        super().__init__()
        self.client = client
        self.event_feed = EventFeed(client, retry_s=retry_s)
        self.reachable = True
        """Whether the daemon answered last time the event stream asked (dialogs check it)."""

    def on_mount(self) -> None:
        self.sub_title = self.client.path
        self.event_feed.listen(self, ())
        self.follow_events()

    def on_event_stream_changed(self, message: EventStreamChanged) -> None:
        if self.reachable and not message.reachable:
            self.log.warning("clarityd unreachable:", message.detail)  # the banner says it in words
        self.reachable = message.reachable

    def action_keys(self) -> None:
        """The keys of the screen shown (not of a dialog: those are in its footer)."""
        if isinstance(self.screen, KeysDialog):
            return
        screen = self.screen
        self.push_screen(KeysDialog(screen.title or self.title, key_rows(screen.active_bindings, screen)))

    def check_action(self, action: str, parameters: tuple[Any, ...]) -> bool | None:
        if action == "hide_keys_panel":
            # Only while the panel is open; otherwise Esc goes on to the screen and its widgets.
            return bool(self.screen.query("HelpPanel"))
        return True

    def action_hide_keys_panel(self) -> None:
        self.action_hide_help_panel()

    @work(exclusive=True, group="event-feed", exit_on_error=False)
    async def follow_events(self) -> None:
        """The one long-lived subscription; screens hear from it through EventReceived."""
        await self.event_feed.run()

    def report_error(self, error: BaseException) -> None:
        """The one place failures are shown (screens forward their failed workers here). A lost
        connection is not: the banner says so, once, and the event feed notices it too."""
        if isinstance(error, ConnectionLost):
            self.log.warning("a call found clarityd unreachable:", error)
            return
        title, message = describe_error(error)
        self.notify(message, title=title, severity="error", timeout=10)

    async def on_overview_screen_table_chosen(self, message: OverviewScreen.TableChosen) -> None:
        await self.switch_mode("tables")
        if isinstance(self.screen, TablesScreen):
            self.screen.choose_table(message.table)

    async def on_unmount(self) -> None:
        await self.client.close()


def make_app(socket_path: str | None = None, retry_s: float = 2.0) -> ClarityApp:
    """The console on the daemon at ``socket_path``; it retries an unreachable daemon every ``retry_s``."""
    return ClarityApp(AsyncClient(socket_path, timeout=15.0), retry_s=retry_s)
