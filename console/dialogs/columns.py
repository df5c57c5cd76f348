"""Choose the columns a table shows (space ticks one; the first 8 of its fields by default)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, SelectionList, Static


class ColumnsDialog(ModalScreen[list[str] | None]):
    """Returns the chosen columns in the table's order, or None when cancelled."""

    AUTO_FOCUS = "#columns-list"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="columns-cancel", tooltip="Keep the columns as they are"),
        Binding("ctrl+s", "submit", "Show", id="columns-apply", tooltip="Show the ticked columns"),
    ]

    def __init__(self, table: str, fields: list[str], shown: list[str]) -> None:
        super().__init__()
        self.table = table
        self.fields = fields
        self.shown = shown

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="columns-dialog"):
            yield Label(f"Columns of {self.table}", classes="dialog-title")
            yield Static("Space ticks or unticks a column; Ctrl+S shows the ticked ones (id always shows).",
                         classes="dialog-hint")
            yield SelectionList[str](*[(name, name, name in self.shown) for name in self.fields], id="columns-list")
            yield Static("", id="columns-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Show", variant="primary", id="columns-ok")
                yield Button("Cancel", id="columns-no")
        yield Footer(compact=True, show_command_palette=False)

    @on(Button.Pressed, "#columns-ok")
    def action_submit(self) -> None:
        chosen = set(self.query_one("#columns-list", SelectionList).selected)
        self.dismiss([name for name in self.fields if name in chosen])

    @on(Button.Pressed, "#columns-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
