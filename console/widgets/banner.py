"""The banner every screen shows while the daemon cannot be reached: in one line, what
happened and what the console does about it (it retries on its own; nothing typed is lost).
The raw error is on its tooltip, and on the line too when the terminal is wide enough."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from ..error_text import unreachable_banner


class ConnectionBanner(Static):
    """Hidden while the daemon answers; :meth:`show_state` is called on every change."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.display = False
        self.detail = ""
        self.retry_s = 2.0

    def show_state(self, reachable: bool, detail: str, retry_s: float) -> None:
        self.display = not reachable
        self.detail, self.retry_s = detail, retry_s
        self.tooltip = None if reachable else detail
        if not reachable:
            self._say()

    def on_resize(self) -> None:
        if self.display:
            self._say()

    def _say(self) -> None:
        # The banner spans the screen: its line is the screen's width less the padding.
        self.update(unreachable_banner(self.detail, self.retry_s, self.app.size.width - 2))
