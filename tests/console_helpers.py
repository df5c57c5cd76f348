"""Helpers shared by the console tests (not a test module)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import events
from textual.errors import NoWidget
from textual.widgets import DataTable, Static, TextArea

from console.screens.query import QueryScreen


async def wait_for(pilot: Any, predicate: Callable[[], Any], tries: int = 150, step: float = 0.05) -> bool:
    """Let the app run until ``predicate()`` is true (False after ``tries`` steps)."""
    for _ in range(tries):
        if predicate():
            return True
        await pilot.pause(step)
    return bool(predicate())


async def type_text(pilot: Any, text: str) -> None:
    """Type ``text`` key by key, as an operator would."""
    await pilot.press(*text)


async def paste(pilot: Any, text: str) -> None:
    """Paste ``text`` into the focused widget, as a terminal's bracketed paste does
    (long paths are pasted, not typed: typing costs a screen update per key)."""
    pilot.app.focused.post_message(events.Paste(text))
    await pilot.pause()


def notified(app: Any, title_part: str) -> bool:
    """Whether the app showed a notification whose title contains ``title_part``."""
    return any(title_part in (n.title or "") for n in app._notifications)


def cells(table: Any, column: int) -> list[Any]:
    """One column of a DataTable, top to bottom (Rich Text cells as their plain text)."""
    values = [table.get_row_at(i)[column] for i in range(table.row_count)]
    return [v.plain if isinstance(v, Text) else v for v in values]


def fully_visible(screen: Any, widget: Any) -> bool:
    """Whether ``widget`` is on ``screen`` whole and uncovered: not cut by the screen's edge
    or a container's, nor under another widget (at its first and last cell it is found)."""
    region = widget.region
    if not region or not screen.region.contains_region(region):
        return False
    for x, y in ((region.x, region.y), (region.right - 1, region.bottom - 1)):
        try:
            found, _ = screen.get_widget_at(x, y)
        except NoWidget:
            return False
        if found is not widget and widget not in found.ancestors:
            return False
    return True


async def open_query(pilot: Any) -> tuple[QueryScreen, TextArea, DataTable[Any], Static]:
    """Key 7, then the Query screen once shown: (screen, SQL box, results table, status line)."""
    app = pilot.app
    await pilot.press("7")
    assert await wait_for(pilot, lambda: isinstance(app.screen, QueryScreen))
    screen = app.screen
    return (
        screen,
        screen.query_one("#query-box", TextArea),
        screen.query_one("#query-results", DataTable),
        screen.query_one("#query-status", Static),
    )
