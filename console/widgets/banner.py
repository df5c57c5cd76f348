"""The banner every screen shows while the daemon cannot be reached: what happened and what
the console does about it (it retries on its own; nothing typed is lost)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class ConnectionBanner(Static):
    """Hidden while the daemon answers; :meth:`show_state` is called on every change."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.display = False

    def show_state(self, reachable: bool, detail: str, retry_s: float) -> None:
        self.display = not reachable
        if not reachable:
            self.update(
                f"clarityd is unreachable ({detail}). Retrying every {retry_s:g}s; "
                "the screens refresh once it answers, and what you type in a dialog is kept."
            )
