"""The one-line input every dialog uses: it opens with the cursor after the text, nothing
selected (typing adds to the value instead of replacing it), and when it loses focus it
scrolls back to its start, so a long value shows its beginning while another field is edited."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input


class FormInput(Input):
    def __init__(self, value: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("select_on_focus", False)
        kwargs.setdefault("compact", True)
        super().__init__(value, **kwargs)

    def _on_focus(self, event: events.Focus) -> None:
        self.cursor_position = len(self.value)
        super()._on_focus(event)

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self.cursor_position = 0  # show the start of a value longer than the field
        self.scroll_to(x=0, animate=False)
