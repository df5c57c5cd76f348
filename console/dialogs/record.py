"""A record shown in full (an event, a proposal, a row), scrollable; rows can be edited from here."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

from ..widgets.record_view import RecordView


class RecordDialog(ModalScreen[str | None]):
    """Returns None when closed."""

    BINDINGS = [
        Binding("escape,q,enter", "close", "Close", id="record-close", tooltip="Back to the list"),
    ]

    def __init__(self, title: str, record: dict[str, Any]) -> None:
        super().__init__()
        self.title_text = title
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="record-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(id="record-scroll"):
                yield RecordView(self.record)
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)


class RowDialog(RecordDialog):
    """A row in full; ``e`` asks to edit it (returns "edit")."""

    BINDINGS = [
        Binding("e", "edit", "Edit", id="row-edit", tooltip="Propose a change to this row"),
    ]

    def action_edit(self) -> None:
        self.dismiss("edit")
