"""The table editor, driven by Pilot against a real daemon: deleting a row (a proposal after
a confirmation), choosing columns, filtering by a column's value and sorting by any column,
proposing a new field with its DDL, and an export that asks before replacing a file."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, OptionList, Select, SelectionList

from console.app import make_app
from console.dialogs.columns import ColumnsDialog
from console.dialogs.confirm import ConfirmDialog
from console.dialogs.export import ExportDialog, default_path
from console.dialogs.record import RecordDialog
from console.dialogs.row_filter import RowFilterDialog
from console.dialogs.schema import SchemaDialog
from console.screens.tables import MAX_COLUMNS, TablesScreen
from console.widgets.form_input import FormInput
from console.widgets.paged_table import PagedTable

from console_helpers import cells, fully_visible, notified, paste, type_text, wait_for


async def _open(pilot, app, table: str, names: list[str]) -> tuple[TablesScreen, PagedTable]:
    await pilot.press("3")
    screen = app.screen
    options = screen.query_one("#table-list", OptionList)
    assert await wait_for(pilot, lambda: options.option_count == len(names))
    screen.choose_table(table)
    rows = screen.query_one("#rows", PagedTable)
    assert await wait_for(
        pilot, lambda: screen.table == table and screen.description is not None and rows.row_count > 0
    )
    return screen, rows


async def test_delete_columns_filter_sort_and_schema(daemon):
    with daemon.client() as c:
        for i in range(6):
            c.proposals.create(
                table="feedback",
                confidence=0.99,
                fields={"content": f"ticket {i}", "customer_name": f"C{i % 2}", "rating": 5 - i},
            )
        names = [t.name for t in c.tables.list()]
        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(140, 45)) as pilot:
            screen, rows = await _open(pilot, app, "feedback", names)
            own = [f.name for f in screen.description.fields if not f.common]
            assert screen.columns == ["id", *own[:MAX_COLUMNS]]  # the first 8 by default

            # Choose the columns: only content and rating.
            await pilot.press("c")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ColumnsDialog))
            chooser = app.screen.query_one("#columns-list", SelectionList)
            chooser.deselect_all()
            chooser.select("content")
            chooser.select("rating")
            await pilot.press("ctrl+s")
            assert await wait_for(
                pilot, lambda: [str(c.key.value) for c in rows.columns.values()] == ["id", "content", "rating"]
            )

            # Filter customer_name = C1 and sort by rating, ascending.
            await pilot.press("f")
            assert await wait_for(pilot, lambda: isinstance(app.screen, RowFilterDialog))
            app.screen.query_one("#row-filter-column", Select).value = "customer_name"
            app.screen.query_one("#row-filter-sort", Select).value = "rating"
            app.screen.query_one("#row-filter-value", FormInput).focus()
            await type_text(pilot, "C1")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: cells(rows, 2) == ["0", "2", "4"])  # ratings of tickets 5, 3, 1
            assert cells(rows, 0) == ["6", "4", "2"]

            # Delete the selected row: asked first, then it is a delete proposal.
            rows.focus()
            await pilot.press("home", "d")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await type_text(pilot, "test data")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: notified(app, "Deletion proposed"))
            (deletion,) = c.proposals.pending(kind="delete").proposals
            assert deletion.row_id == 6 and deletion.reasoning == "test data"
            assert c.rows.get(table="feedback", id=6)  # still there until approved

            # Cancelled, nothing is proposed.
            await pilot.press("d")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("escape")
            assert len(c.proposals.pending(kind="delete").proposals) == 1

            # Propose a new field: the form sketches the DDL, the daemon's proposal has the exact one.
            await pilot.press("n")
            assert await wait_for(pilot, lambda: isinstance(app.screen, SchemaDialog))
            assert app.screen.query_one("#schema-table", FormInput).value == "feedback"
            app.screen.query_one("#schema-field", FormInput).focus()
            await type_text(pilot, "escalated")
            app.screen.query_one("#schema-type", Select).value = "boolean"
            await pilot.pause()
            assert 'ADD COLUMN "escalated" BOOLEAN' in str(app.screen.query_one("#schema-preview").render())
            await pilot.press("ctrl+s")
            assert await wait_for(pilot, lambda: isinstance(app.screen, RecordDialog))
            assert "escalated" in app.screen.record["DDL preview"]
            (schema,) = c.proposals.pending(kind="schema").proposals
            assert schema.kind == "add_column" and schema.payload["field"]["name"] == "escalated"


async def test_export_defaults_to_home_and_asks_before_replacing(daemon, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with daemon.client() as c:
        c.proposals.create(table="incidents", confidence=0.99, fields={"title": "Disk full"})
        names = [t.name for t in c.tables.list()]
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, app, "incidents", names)
        assert default_path("incidents") == "~/incidents.csv"
        target = Path(tmp_path / "incidents.csv")
        target.write_text("keep me")

        await pilot.press("x")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("enter")  # the default: ~/incidents.csv, which exists
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")  # no: back to the export dialog, the file untouched
        assert await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        assert target.read_text() == "keep me"

        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")  # yes: replace
        assert await wait_for(pilot, lambda: notified(app, "Exported"))
        assert "Disk full" in target.read_text()

        # A new name is written without asking.
        await pilot.press("x")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("ctrl+u")
        await paste(pilot, str(tmp_path / "other.csv"))
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: (tmp_path / "other.csv").exists())


async def test_delete_dialog_fits_at_80x24(daemon):
    """A row with many long fields: at 80x24 the confirmation still shows its buttons and the
    reason field (the row's fields scroll), and deleting works from there."""
    long = "a long value that takes most of a line in the dialog " * 2
    with daemon.client() as c:
        c.proposals.create(
            table="incidents",
            confidence=0.99,
            fields={
                "title": "Disk full on db-2",
                "summary": long,
                "severity": "high",
                "status": "resolved",
                "root_cause": long,
                "impact": long,
                "owner": "ann",
            },
        )
        names = [t.name for t in c.tables.list()]
        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(80, 24)) as pilot:
            _, rows = await _open(pilot, app, "incidents", names)
            rows.focus()
            await pilot.press("d")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.pause()
            dialog = app.screen
            assert dialog.query_one("#confirm-body").render().plain.count(":") >= 6  # the fields, in full
            for widget in (*dialog.query(Button), dialog.query_one("#confirm-text")):
                assert fully_visible(dialog, widget), widget.id
            await type_text(pilot, "duplicate")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: notified(app, "Deletion proposed"))
            (deletion,) = c.proposals.pending(kind="delete").proposals
            assert deletion.reasoning == "duplicate"
