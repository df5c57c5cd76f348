"""The Textual console: wiring only. ``make_app()`` is used by ``clarity`` and the tests alike."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from daemon.client import AsyncClient
from daemon.protocol import RpcError

from .screens.overview import OverviewScreen


class ClarityApp(App[None]):
    CSS_PATH = "console.tcss"
    TITLE = "Clarity"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave the console (the daemon keeps running)"),
    ]

    def __init__(self, client: AsyncClient) -> None:
        super().__init__()
        self.client = client

    def on_mount(self) -> None:
        self.sub_title = self.client.path
        self.push_screen(OverviewScreen())

    def report_error(self, error: BaseException) -> None:
        """The one place failures are shown (screens forward their failed workers here)."""
        text = str(error) if isinstance(error, RpcError) else f"{type(error).__name__}: {error}"
        self.notify(text, title="clarityd", severity="error", timeout=8)

    async def on_unmount(self) -> None:
        await self.client.close()


def make_app(socket_path: str | None = None) -> ClarityApp:
    return ClarityApp(AsyncClient(socket_path, timeout=15.0))
