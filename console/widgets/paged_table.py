"""A DataTable that holds only the pages fetched so far and asks for the next one when the
cursor nears its end (keyset paging: the screen keeps the cursor the daemon returned)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from .row_table import RowTable


class PagedTable(RowTable[Any]):
    """Set ``has_more`` when the daemon said there is a next page; the table then posts
    :class:`EndApproached` once the cursor comes within ``margin`` rows of the last row,
    and clears ``has_more`` until the screen sets it again (so one page is asked for once)."""

    class EndApproached(Message):
        """The cursor came near the last row fetched and more rows exist."""

        def __init__(self, table: PagedTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> PagedTable:
            return self.table

    def selected_key(self) -> str | None:
        """The key of the row under the cursor; None while the table is empty."""
        if not self.row_count:
            return None
        key: str | None = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return key

    def __init__(self, margin: int = 10, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self.margin = margin
        self.has_more = False
        """Whether the daemon has rows after the last one shown."""

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        self.check_end()

    def check_end(self) -> None:
        """Ask for more if the cursor is near the end (also called after a page arrives)."""
        if self.has_more and self.cursor_row >= self.row_count - self.margin:
            self.has_more = False
            self.post_message(self.EndApproached(self))

    def keep_cursor_on(self, key: str | None, fallback_row: int) -> None:
        """Put the cursor back on the row with ``key``, else on ``fallback_row`` (clamped)."""
        if key is not None and key in self.rows:
            self.move_cursor(row=self.get_row_index(key), scroll=True)
        elif self.row_count:
            self.move_cursor(row=min(max(fallback_row, 0), self.row_count - 1), scroll=True)
