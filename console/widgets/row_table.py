"""A DataTable browsed row by row, as every list of the console is: Home and End go to the
first and the last row (DataTable's own Home and End scroll sideways, which in a row list
looks like nothing happening)."""

from __future__ import annotations

from typing import TypeVar

from textual.binding import Binding
from textual.widgets import DataTable

CellT = TypeVar("CellT")


class RowTable(DataTable[CellT]):
    BINDINGS = [
        Binding("home", "scroll_top", "First row", show=False, tooltip="The cursor to the first row"),
        Binding(
            "end",
            "scroll_bottom",
            "Last row",
            show=False,
            tooltip="The cursor to the last row loaded (a paged list then loads the next page)",
        ),
    ]
