"""The Tables screen, driven by Pilot against a real daemon: keyset paging a page at a time,
search, viewing a row, proposing an edit, and exporting to a file."""

from __future__ import annotations

import csv
import json

from textual.widgets import Input, OptionList, Static

from console.app import make_app
from console.dialogs.edit_row import EditRowDialog
from console.dialogs.export import ExportDialog
from console.dialogs.record import RowDialog
from console.screens.tables import PAGE_SIZE, TablesScreen
from console.widgets.paged_table import PagedTable

from console_helpers import cells, notified, paste, type_text, wait_for

ROWS = PAGE_SIZE + 30  # more than one page


def _fill(c) -> None:
    for i in range(ROWS):
        verdict = "great" if i % 5 == 0 else "slow"
        c.proposals.create(
            table="feedback",
            confidence=0.99,
            fields={
                "content": f"ticket {i}: the export is {verdict}",
                "customer_name": f"C{i % 7}",
                "rating": i % 5 + 1,
            },
        )


async def test_browse_page_by_page_search_edit_and_export(daemon, tmp_path):
    with daemon.client() as c:
        _fill(c)
        names = [t.name for t in c.tables.list()]
        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.press("3")
            screen = app.screen
            assert isinstance(screen, TablesScreen)
            options = screen.query_one("#table-list", OptionList)
            assert await wait_for(pilot, lambda: options.option_count == len(names))
            assert app.focused is options
            await pilot.press(*["down"] * names.index("feedback"))
            rows = screen.query_one("#rows", PagedTable)
            status = screen.query_one("#rows-status", Static)
            assert await wait_for(pilot, lambda: screen.table == "feedback" and rows.row_count == PAGE_SIZE)
            assert f"{ROWS} row(s)" in str(status.render())
            await pilot.pause(0.2)
            assert rows.row_count == PAGE_SIZE  # only the first page until the cursor goes near its end

            # Down to the end of the first page: the next page is fetched, once, and appended.
            rows.focus()
            await pilot.press("ctrl+end")
            assert await wait_for(pilot, lambda: rows.row_count == ROWS)
            assert cells(rows, 0) == [str(i) for i in range(1, ROWS + 1)] and screen.next_cursor is None

            # Search.
            await pilot.press("/")
            assert isinstance(app.focused, Input)
            await type_text(pilot, "great")
            await pilot.press("enter")
            matching = [i for i in range(ROWS) if i % 5 == 0]
            assert await wait_for(pilot, lambda: rows.row_count == len(matching) and screen.search == "great")
            assert "matching “great”" in str(status.render())
            assert cells(rows, 0) == [str(i + 1) for i in matching]
            assert app.focused is rows

            # View the second row, then edit it from there: the edit is a proposal.
            await pilot.press("down", "enter")
            assert await wait_for(pilot, lambda: isinstance(app.screen, RowDialog))
            assert app.screen.record["content"] == "ticket 5: the export is great"
            await pilot.press("e")
            assert await wait_for(pilot, lambda: isinstance(app.screen, EditRowDialog))
            app.screen.query_one("#field-rating", Input).focus()
            await pilot.press("ctrl+u")  # the cursor is after the old value, nothing selected
            await type_text(pilot, "5")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: notified(app, "Edit proposed"))
            (edit,) = c.proposals.pending(kind="update").proposals
            assert edit.table == "feedback" and edit.row_id == 6 and edit.payload == {"rating": 5}
            assert edit.expected_version == 1
            assert c.rows.get(table="feedback", id=6)["rating"] == 1  # unchanged until approved

            # Export what is shown (the search applies) to a file named by the operator.
            target = tmp_path / "out" / "great.csv"
            target.parent.mkdir()
            await pilot.press("x")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
            await pilot.press("ctrl+u")
            await paste(pilot, str(target))
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: target.exists() and notified(app, "Exported"))
            with target.open(newline="") as f:
                exported = list(csv.DictReader(f))
            assert [int(r["id"]) for r in exported] == [i + 1 for i in matching]
            assert all("great" in r["content"] for r in exported)

            # JSON Lines, chosen by the file's extension; a folder that does not exist is an error shown.
            target = tmp_path / "out" / "great.jsonl"
            await pilot.press("x")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
            await pilot.press("ctrl+u")
            await paste(pilot, str(target))
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: target.exists())
            lines = target.read_text().splitlines()
            assert len(lines) == len(matching) and json.loads(lines[0])["id"] == 1

            await pilot.press("x")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
            await pilot.press("ctrl+u")
            await paste(pilot, str(tmp_path / "missing" / "x.csv"))
            await pilot.press("enter")
            assert await wait_for(
                pilot, lambda: any(n.title == "clarity" and n.severity == "error" for n in app._notifications)
            )  # the OSError, shown
            assert not (tmp_path / "missing").exists()


async def test_overview_enter_opens_the_table(daemon):
    with daemon.client() as c:
        c.proposals.create(table="incidents", fields={"title": "Disk full"}, confidence=0.99)
        names = [t.name for t in c.tables.list()]
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        overview = app.screen
        table = overview.query_one("#tables")
        assert await wait_for(pilot, lambda: table.row_count == len(names))
        await pilot.press(*["down"] * names.index("incidents"), "enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, TablesScreen))
        rows = app.screen.query_one("#rows", PagedTable)
        assert await wait_for(pilot, lambda: app.screen.table == "incidents" and rows.row_count == 1)
        assert app.screen.query_one("#table-list", OptionList).highlighted == names.index("incidents")


async def test_rows_changed_while_another_screen_was_shown_are_fresh_on_coming_back(daemon):
    """An approval made while Proposals is shown (here: by another client) changes the rows
    the Tables screen shows once it is shown again, with no `r`."""
    with daemon.client() as c:
        first = c.proposals.create(table="incidents", fields={"title": "Disk full"}, confidence=0.99)
        names = [t.name for t in c.tables.list()]
        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            screen = app.screen
            options = screen.query_one("#table-list", OptionList)
            assert await wait_for(pilot, lambda: options.option_count == len(names))
            await pilot.press(*["down"] * names.index("incidents"), "enter")
            rows = screen.query_one("#rows", PagedTable)
            assert await wait_for(pilot, lambda: screen.table == "incidents" and cells(rows, 1) == ["Disk full"])
            assert app.focused is rows  # Enter in the list goes on to the rows

            await pilot.press("2")
            edit = c.rows.update(table="incidents", id=first.row_id, fields={"title": "Disk full on db-1"}, version=1)
            c.proposals.approve(id=edit.id)
            c.proposals.create(table="incidents", fields={"title": "Fan failure"}, confidence=0.99)
            await pilot.pause(0.5)  # the events reach the hidden screen
            await pilot.press("3")
            assert app.screen is screen
            assert await wait_for(pilot, lambda: cells(rows, 1) == ["Disk full on db-1", "Fan failure"])
