"""The keys of the screen the operator is on (``?``): each key, what it does, and why."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, Static

# Keys Textual binds everywhere that an operator would not look for here.
_HIDDEN_ACTIONS = {"help_quit", "app.help_quit", "command_palette", "app.command_palette"}


def key_rows(active: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, action, what it does) for every binding of the screen with a description,
    the screen's own first, then the app's."""
    own: list[tuple[str, str, str]] = []
    app_wide: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for key, entry in active.items():
        b: Binding = entry.binding
        if not b.description or b.action in _HIDDEN_ACTIONS or (b.id or key) in seen:
            continue
        seen.add(b.id or key)
        app = entry.node.app
        row = (b.key_display or app.get_key_display(b), b.description, b.tooltip or "")
        (app_wide if entry.node is app else own).append(row)
    return [*own, *app_wide, ("ctrl+p", "Commands", "Every action by name: type part of it (\"prop\", \"approve\")")]


class KeysDialog(ModalScreen[None]):
    """Esc (or ? or q) closes it."""

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="keys-close", tooltip="Back to the screen"),
    ]

    def __init__(self, screen_title: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.screen_title = screen_title
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="keys-dialog"):
            yield Label(f"Keys: {self.screen_title}", classes="dialog-title")
            table: DataTable[str] = DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            table.add_columns("key", "action", "what it does")
            for row in self.rows:
                table.add_row(*row)
            yield table
            yield Static("Esc closes this list.", classes="dialog-hint")
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)
