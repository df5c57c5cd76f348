"""How every screen and dialog looks, pinned as SVG snapshots at 80x24 and 160x48.

The daemon is started on a fixed state (tests/console_seed.py: the same rows, ids and times
on every run), the console's clock and the daemon's uptime are frozen, and nothing here
changes the daemon's state: dialogs are opened and photographed, never submitted. Look at a
snapshot before accepting it (``--snapshot-update``; rsvg-convert turns one into a PNG).
Beside the pictures, a check that needs no eyes: at 80x24 every dialog shows all its buttons.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from textual.widgets import Button, DataTable, OptionList, Static, TextArea

from console.app import make_app
from console.widgets.paged_table import PagedTable

from console_helpers import fully_visible, type_text, wait_for
from console_seed import ROOT, frozen_console, seeded_daemon

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


@pytest.fixture(scope="module")
def snapshot_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with seeded_daemon(tmp_path_factory.mktemp("snap")) as d:
        yield d


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with frozen_console():
        yield


async def _ready(pilot: Any, predicate: Callable[[], Any]) -> None:
    assert await wait_for(pilot, predicate, tries=200), "the screen did not fill in time"
    await _settle(pilot)


async def _settle(pilot: Any) -> None:
    """Until every question to the daemon is answered and put on screen (the event feed
    runs for ever: not that one)."""
    app = pilot.app

    def busy() -> list[Any]:
        return [w for w in app.workers if w.group != "event-feed" and w.is_running]

    for _ in range(2):
        assert await wait_for(pilot, lambda: not busy(), tries=200), busy()
        await pilot.pause(0.05)


async def _overview(pilot: Any) -> None:
    screen = pilot.app.screen
    tables = screen.query_one("#tables", DataTable)
    health = screen.query_one("#health", Static)
    await _ready(pilot, lambda: tables.row_count == 33)
    # The console before this one may still be counted for a moment: ask until it is gone.
    for _ in range(40):
        if "· 1 connection(s)" in str(health.render()):
            break
        screen.action_refresh()
        await pilot.pause(0.1)
    assert "· 1 connection(s)" in str(health.render())


async def _proposals(pilot: Any) -> None:
    await pilot.press("2")
    queue = pilot.app.screen.query_one("#proposals", PagedTable)
    await _ready(pilot, lambda: queue.row_count == 6)


async def _tables(pilot: Any) -> None:
    await pilot.press("3")
    screen = pilot.app.screen
    options = screen.query_one("#table-list", OptionList)
    await _ready(pilot, lambda: options.option_count == 33)
    screen.choose_table("documents")
    rows = screen.query_one("#rows", PagedTable)
    await _ready(pilot, lambda: screen.table == "documents" and rows.row_count == 4)


async def _fleet(pilot: Any) -> None:
    await pilot.press("4")
    screen = pilot.app.screen
    await _ready(
        pilot,
        lambda: (
            screen.query_one("#agents", DataTable).row_count == 2
            and screen.query_one("#ingest-failures", DataTable).row_count == 1
        ),
    )


async def _events(pilot: Any) -> None:
    await pilot.press("5")
    screen = pilot.app.screen
    events = screen.query_one("#events", DataTable)
    await _ready(
        pilot, lambda: events.row_count > 60 and str(screen.query_one("#stream-status").render()).startswith("live")
    )
    # Following the newest scrolls while the layout may still settle: end at the bottom, once.
    events.scroll_end(animate=False, immediate=True)
    await pilot.pause(0.05)


async def _query(pilot: Any) -> None:
    await pilot.press("7")
    screen = pilot.app.screen
    box = screen.query_one("#query-box", TextArea)
    box.text = "SELECT id, title FROM memory_documents ORDER BY id"
    results = screen.query_one("#query-results", DataTable)
    await pilot.press("ctrl+r")
    await _ready(pilot, lambda: results.row_count > 0)


async def _history(pilot: Any) -> None:
    await pilot.press("6")
    history = pilot.app.screen.query_one("#history", PagedTable)
    await _ready(pilot, lambda: history.row_count == 14)


def _then(
    screen: Callable[[Any], Awaitable[None]], *keys: str, text: str = "", dialog: str = ""
) -> Callable[[Any], Awaitable[None]]:
    """Fill ``screen``, press ``keys`` (the last opens the dialog named ``dialog``), type ``text``."""

    async def run(pilot: Any) -> None:
        await screen(pilot)
        await pilot.press(*keys[:-1])
        await _settle(pilot)
        await pilot.press(keys[-1])
        await _ready(pilot, lambda: type(pilot.app.screen).__name__ == dialog)
        if text:
            await type_text(pilot, text)
        await _settle(pilot)

    return run


CASES: dict[str, Callable[[Any], Awaitable[None]]] = {
    "overview": _overview,
    "proposals": _proposals,
    "tables": _tables,
    "fleet": _fleet,
    "events": _events,
    "history": _history,
    "query": _query,
}
SCREENS = set(CASES)
CASES |= {
    # Dialogs of the Proposals screen.
    "approve": _then(_proposals, "a", dialog="ApproveDialog"),
    "approve-update": _then(_proposals, "down", "down", "down", "a", dialog="ApproveDialog"),
    "reject": _then(_proposals, "x", dialog="RejectDialog", text="not a business document"),
    "batch-approve": _then(_proposals, "space", "space", "a", dialog="ConfirmDialog"),
    "queue-filter": _then(_proposals, "f", dialog="QueueFilterDialog"),
    "proposal-detail": _then(_proposals, "down", "down", "down", "down", "down", "v", dialog="RecordDialog"),
    "keys": _then(_proposals, "question_mark", dialog="KeysDialog"),
    "palette": _then(_overview, "ctrl+p", dialog="CommandPalette", text="prop"),
    # Dialogs of the History screen.
    "revert": _then(_history, "u", dialog="ConfirmDialog"),
    # Dialogs of the Tables screen.
    "row": _then(_tables, "v", dialog="RowDialog"),
    "edit-row": _then(_tables, "e", dialog="EditRowDialog"),
    "delete-row": _then(_tables, "d", dialog="ConfirmDialog"),
    "columns": _then(_tables, "c", dialog="ColumnsDialog"),
    "row-filter": _then(_tables, "f", dialog="RowFilterDialog"),
    "schema": _then(_tables, "n", dialog="SchemaDialog", text=""),
    "export": _then(_tables, "x", dialog="ExportDialog"),
    # Dialogs of the Query screen.
    "export-query": _then(_query, "ctrl+s", dialog="ExportDialog"),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("case", list(CASES))
def test_console_looks(case: str, size: str, snapshot_daemon: Any, snap_compare: Any) -> None:
    app = make_app(socket_path=snapshot_daemon.socket)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=CASES[case])


DIALOGS = [name for name in CASES if name not in SCREENS]


@pytest.mark.parametrize("case", DIALOGS)
async def test_dialog_buttons_fit_at_80x24(case: str, snapshot_daemon: Any) -> None:
    """Every dialog, at the smallest size the console supports, shows all of its buttons."""
    app = make_app(socket_path=snapshot_daemon.socket)
    async with app.run_test(size=(80, 24)) as pilot:
        await CASES[case](pilot)
        screen = app.screen
        buttons = list(screen.query(Button))
        hidden = [b.id or str(b.label) for b in buttons if not fully_visible(screen, b)]
        assert hidden == []


@pytest.mark.parametrize("size", list(SIZES))
def test_unreachable_looks(size: str, snap_compare: Any) -> None:
    """The banner over Overview when there is no daemon at all: one line at 80 columns."""
    app = make_app(socket_path=str(ROOT / "gone.sock"))

    async def banner_shown(pilot: Any) -> None:
        await _ready(pilot, lambda: pilot.app.screen.query_one("#banner").display)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=banner_shown)
