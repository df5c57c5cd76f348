"""Reviewing at speed, driven by Pilot against a real daemon: filtering and sorting the
queue, marking several and deciding them together, the before → after of an update, the
DDL of a schema change, and the History screen with its revert."""

from __future__ import annotations

from textual.widgets import Select

from console.app import make_app
from console.dialogs.confirm import ConfirmDialog
from console.dialogs.queue_filter import QueueFilterDialog
from console.dialogs.reject import RejectDialog
from console.screens.history import HistoryScreen
from console.screens.proposals import ProposalsScreen
from console.widgets.form_input import FormInput
from console.widgets.paged_table import PagedTable
from console.widgets.record_view import RecordView

from console_helpers import cells, notified, type_text, wait_for


async def test_filter_sort_and_decide_several_together(daemon):
    with daemon.client() as c:
        low_doc = c.proposals.create(
            table="documents", fields={"title": "Memo"}, confidence=0.5, source="/inbox/memo.md"
        )
        low_inc = c.proposals.create(
            table="incidents", fields={"title": "Disk full"}, confidence=0.3, source="agent:watcher"
        )
        mid_doc = c.proposals.create(
            table="documents", fields={"title": "Minutes"}, confidence=0.8, source="/inbox/minutes.md"
        )
        applied = c.proposals.create(table="documents", fields={"title": "Report"}, confidence=0.99)
        update = c.rows.update(
            table="documents",
            id=applied.row_id,
            version=1,
            fields={"title": "Annual report"},
            reasoning="the real title",
        )

        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.press("2")
            screen = app.screen
            assert isinstance(screen, ProposalsScreen)
            queue = screen.query_one("#proposals", PagedTable)
            assert await wait_for(pilot, lambda: queue.row_count == 4)

            # Sort: confidence, highest first (s goes oldest -> newest -> confidence).
            await pilot.press("s", "s")
            assert cells(queue, 1) == [update.id, mid_doc.id, low_doc.id, low_inc.id]
            await pilot.press("s", "s", "s")  # back to oldest first
            assert cells(queue, 1) == [low_doc.id, low_inc.id, mid_doc.id, update.id]

            # Filter: documents only, low confidence.
            await pilot.press("f")
            assert await wait_for(pilot, lambda: isinstance(app.screen, QueueFilterDialog))
            app.screen.query_one("#filter-band", Select).value = "low"
            app.screen.query_one("#filter-table", Select).value = "documents"
            await pilot.press("ctrl+s")
            assert await wait_for(pilot, lambda: cells(queue, 1) == [low_doc.id, mid_doc.id])
            assert screen.total == 2

            # Mark both and reject them together with one reason.
            queue.focus()
            await pilot.press("home", "space", "space")
            assert screen.marked == {low_doc.id, mid_doc.id}
            assert cells(queue, 0) == ["✓", "✓"]
            await pilot.press("x")
            assert await wait_for(pilot, lambda: isinstance(app.screen, RejectDialog))
            assert len(app.screen.proposals) == 2
            await type_text(pilot, "not business records")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: notified(app, "Batch rejected"))
            for p in (low_doc, mid_doc):
                assert c.proposals.get(id=p.id).status == "rejected"
                assert c.proposals.get(id=p.id).note == "not business records"
            assert await wait_for(pilot, lambda: queue.row_count == 0)

            # Clear the filter (Ctrl+R in the dialog): the two others are back.
            await pilot.press("f")
            assert await wait_for(pilot, lambda: isinstance(app.screen, QueueFilterDialog))
            await pilot.press("ctrl+r")
            assert await wait_for(pilot, lambda: cells(queue, 1) == [low_inc.id, update.id])

            # The update shows what it changes: before -> after, from the row as it is now.
            queue.focus()
            await pilot.press("ctrl+end")
            detail = screen.query_one("#proposal-detail", RecordView)
            assert await wait_for(
                pilot,
                lambda: (
                    detail.record is not None
                    and detail.record.get("change (before → after)") == {"title": "Report → Annual report"}
                ),
            )

            # Mark everything shown (*) and approve together, with one note.
            await pilot.press("asterisk", "a")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await type_text(pilot, "reviewed")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: notified(app, "Batch approved"))
            assert c.proposals.get(id=low_inc.id).status == "applied"
            assert c.proposals.get(id=update.id).status == "applied"
            assert c.rows.get(table="documents", id=applied.row_id)["title"] == "Annual report"
            assert await wait_for(pilot, lambda: queue.row_count == 0)


async def test_schema_proposal_shows_its_ddl_and_history_reverts(daemon):
    with daemon.client() as c:
        schema = c.proposals.schema_tweak(
            action="add_column", table="documents", field={"name": "reviewed_by", "type": "string"}
        )
        done = c.proposals.create(table="incidents", fields={"title": "Disk full"}, confidence=0.4)
        c.proposals.approve(id=done.id, note="real outage")
        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.press("2")
            queue = app.screen.query_one("#proposals", PagedTable)
            assert await wait_for(pilot, lambda: cells(queue, 1) == [schema.id])
            detail = app.screen.query_one("#proposal-detail", RecordView)
            assert "reviewed_by" in detail.record["DDL preview"] and "ALTER TABLE" in detail.record["DDL preview"]

            # History: who decided, when, why; then undo the approved insert.
            await pilot.press("h")
            assert await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
            history = app.screen.query_one("#history", PagedTable)
            assert await wait_for(pilot, lambda: done.id in cells(history, 0))
            row = cells(history, 0).index(done.id)
            assert cells(history, 6)[row] == "real outage" and cells(history, 2)[row] == "applied"
            history.focus()
            history.move_cursor(row=row)
            await pilot.press("u")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await type_text(pilot, "a false alarm")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: notified(app, "Undo proposed") or notified(app, "Reverted"))
            undo = c.proposals.pending(kind="delete").proposals
            assert len(undo) == 1 and undo[0].reverts == done.id and "a false alarm" in undo[0].reasoning


async def test_dialog_text_is_not_selected_and_long_fields_show_their_start(daemon):
    with daemon.client() as c:
        p = c.proposals.create(
            table="documents",
            confidence=0.5,
            fields={"title": "A title long enough to be wider than its field in the dialog " * 3, "author": "ann"},
        )
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("2")
        queue = app.screen.query_one("#proposals", PagedTable)
        assert await wait_for(pilot, lambda: cells(queue, 1) == [p.id])
        await pilot.press("a")
        assert await wait_for(pilot, lambda: isinstance(app.focused, FormInput))
        title = app.focused
        assert title.id == "field-title"
        assert title.selection.is_empty and title.cursor_position == len(title.value)
        await pilot.press("tab")
        assert app.focused is not title
        assert title.cursor_position == 0 and title.scroll_x == 0  # scrolled back to its start
        await pilot.press("escape")


def test_age_filter_keeps_proposals_older_than_the_span(daemon, monkeypatch):
    from datetime import timedelta

    from console import formatting
    from console.proposal_view import QueueFilter

    with daemon.client() as c:
        fresh = c.proposals.create(table="documents", fields={"title": "Just now"}, confidence=0.5)
        older = QueueFilter(older_than="1h")
        assert c.proposals.pending(**older.params()).proposals == []
        later = formatting.utc_now() + timedelta(hours=2)  # two hours on, it is older than an hour
        monkeypatch.setattr(formatting, "now", lambda: later)
        assert [p.id for p in c.proposals.pending(**older.params()).proposals] == [fresh.id]
