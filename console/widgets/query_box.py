"""The Query screen's box: a TextArea where Ctrl+U clears it all (as it clears a dialog field)
and Esc leaves it for the results (Tab does too), so no key typed in it acts on the screen."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import TextArea


class QueryBox(TextArea):
    BINDINGS = [
        Binding("ctrl+u", "clear_box", "Clear", id="query-clear", tooltip="Empty the box"),
        Binding("escape", "leave", "Results", id="query-leave", key_display="Esc/Tab", tooltip="To the results"),
    ]

    def action_clear_box(self) -> None:
        self.clear()

    def action_leave(self) -> None:
        self.screen.focus_next()
