"""The keys of the screen the operator is on (``?``): each key, what it does, and why."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, Static

from ..widgets.row_table import RowTable

# Keys Textual binds on every screen (focus moves, copy), listed last with the list keys.
_TEXTUAL_SCREEN = {b.action for b in Screen.BINDINGS if isinstance(b, Binding)}
# Keys Textual binds everywhere that an operator would not look for here.
_HIDDEN_ACTIONS = {"help_quit", "app.help_quit", "command_palette", "app.command_palette"}


def key_rows(active: dict[str, Any], screen: Any) -> list[tuple[str, str, str]]:
    """(key, action, what it does) for every binding of ``screen`` with a description: the
    screen's own first, then the app's, then the focused widget's (moving about a list)."""
    groups: dict[str, list[tuple[str, str, str]]] = {"screen": [], "app": [], "widget": []}
    seen: set[str] = set()
    for key, entry in active.items():
        b: Binding = entry.binding
        if not b.description or b.action in _HIDDEN_ACTIONS or (b.id or key) in seen:
            continue
        seen.add(b.id or key)
        app = entry.node.app
        own = entry.node is screen and b.action not in _TEXTUAL_SCREEN
        group = "screen" if own else "app" if entry.node is app else "widget"
        groups[group].append((b.key_display or app.get_key_display(b), b.description, b.tooltip or ""))
    commands = ("ctrl+p", "Commands", 'Every action by name: type part of it ("prop", "approve")')
    return [*groups["screen"], *groups["app"], commands, *groups["widget"]]


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
            table: RowTable[str | Text] = RowTable(id="keys", cursor_type="row", zebra_stripes=True)
            key_width = max((len(key) for key, _, _ in self.rows), default=3)
            action_width = max((len(action) for _, action, _ in self.rows), default=6)
            # What is left of the dialog's inner width (.dialog.wide: 120 columns, at most 95%,
            # less border, padding and scrollbar) beside key and action, each cell padded by 2.
            inner = min(120, int(self.app.size.width * 0.95)) - 6
            width = max(20, inner - key_width - action_width - 6)
            table.add_column("key", width=key_width)
            table.add_column("action", width=action_width)
            table.add_column("what it does", width=width)
            for key, action, what in self.rows:
                table.add_row(key, action, Text(what), height=None)  # a long "what" wraps
            yield table
            yield Static("Esc closes this list.", classes="dialog-hint")
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)
