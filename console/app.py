"""The Textual console: wiring only. ``make_app()`` is used by ``clarity`` and the tests alike.

Five modes, one screen each, switched with the keys 1–5 (shown in the footer). The app holds
the one client (``app.client``), the one live event subscription (``app.event_feed``, run by
the ``follow_events`` worker) and the one place errors are shown (``report_error``).
"""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.binding import Binding

from daemon.client import AsyncClient
from daemon.protocol import RpcError

from .event_feed import EventFeed
from .screens.events import EventsScreen
from .screens.fleet import FleetScreen
from .screens.overview import OverviewScreen
from .screens.proposals import ProposalsScreen
from .screens.tables import TablesScreen


class ClarityApp(App[None]):
    CSS_PATH = "console.tcss"
    TITLE = "Clarity"
    MODES = {
        "overview": OverviewScreen,
        "proposals": ProposalsScreen,
        "tables": TablesScreen,
        "fleet": FleetScreen,
        "events": EventsScreen,
    }
    DEFAULT_MODE = "overview"
    BINDINGS = [
        Binding("1", "switch_mode('overview')", "Overview", id="mode-overview",
                tooltip="Health and every table with its row count"),
        Binding("2", "switch_mode('proposals')", "Proposals", id="mode-proposals",
                tooltip="The pending queue: approve or reject"),
        Binding("3", "switch_mode('tables')", "Tables", id="mode-tables",
                tooltip="Browse, search, edit and export a table's rows"),
        Binding("4", "switch_mode('fleet')", "Fleet", id="mode-fleet",
                tooltip="Sub-agents, coding agents, playbooks, ingest"),
        Binding("5", "switch_mode('events')", "Events", id="mode-events", tooltip="Events as they happen"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave the console (the daemon keeps running)"),
    ]

    def __init__(self, client: AsyncClient) -> None:
        super().__init__()
        self.client = client
        self.event_feed = EventFeed(client)

    def on_mount(self) -> None:
        self.sub_title = self.client.path
        self.follow_events()

    @work(exclusive=True, group="event-feed", exit_on_error=False)
    async def follow_events(self) -> None:
        """The one long-lived subscription; screens hear from it through EventReceived."""
        await self.event_feed.run()

    def report_error(self, error: BaseException) -> None:
        """The one place failures are shown (screens forward their failed workers here)."""
        if isinstance(error, RpcError):
            self.notify(error.message, title=f"clarityd: {error.name}", severity="error", timeout=10)
        else:
            self.notify(f"{type(error).__name__}: {error}", title="clarity", severity="error", timeout=10)

    async def on_overview_screen_table_chosen(self, message: OverviewScreen.TableChosen) -> None:
        await self.switch_mode("tables")
        if isinstance(self.screen, TablesScreen):
            self.screen.choose_table(message.table)

    async def on_unmount(self) -> None:
        await self.client.close()


def make_app(socket_path: str | None = None) -> ClarityApp:
    return ClarityApp(AsyncClient(socket_path, timeout=15.0))
