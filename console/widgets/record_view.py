"""A record (a row, a proposal, an event) shown in full: one line per field, names on the left."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ..formatting import full


def record_table(record: dict[str, Any]) -> Table:
    """A two-column grid: field name, then its whole value (a nested grid for an object)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in record.items():
        grid.add_row(name, record_table(value) if isinstance(value, dict) and value else Text(full(value)))
    return grid


class RecordView(Static):
    """Shows ``record`` (set it from the screen); ``empty`` when there is none."""

    record: reactive[dict[str, Any] | None] = reactive(None)
    """The fields to show, in order."""

    def __init__(self, record: dict[str, Any] | None = None, empty: str = "nothing selected", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.empty = empty
        self.set_reactive(RecordView.record, record)

    def render(self) -> RenderableType:
        if not self.record:
            return Text(self.empty, style="italic")
        return record_table(self.record)
