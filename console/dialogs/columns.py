"""Choose the columns a table shows (space ticks one; the first 8 of its fields by default)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, SelectionList, Static

from .form_dialog import FormDialog, dialog_bindings


class ColumnsDialog(FormDialog[list[str] | None]):
    """Returns the chosen columns in the table's order, or None when cancelled."""

    AUTO_FOCUS = "#columns-list"
    BINDINGS = dialog_bindings(
        "columns", "Keep the columns as they are", ("Show", "Show the ticked columns"), submit_id="apply"
    )
    PREFIX = "columns"
    SCROLLS = False
    SUBMIT_LABEL = "Show"

    def __init__(self, table: str, fields: list[str], shown: list[str]) -> None:
        super().__init__()
        self.table = table
        self.fields = fields
        self.shown = shown

    def compose_form(self) -> ComposeResult:
        yield Label(f"Columns of {self.table}", classes="dialog-title")
        yield Static(
            "Space ticks or unticks a column; Ctrl+S shows the ticked ones (id always shows).", classes="dialog-hint"
        )
        yield SelectionList[str](*[(name, name, name in self.shown) for name in self.fields], id="columns-list")

    def action_submit(self) -> None:
        chosen = set(self.query_one("#columns-list", SelectionList).selected)
        self.dismiss([name for name in self.fields if name in chosen])
