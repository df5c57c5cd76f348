"""The Proposals screen, driven by Pilot against a real daemon: the pending queue, approving
with a correction and a note, rejecting with a reason, a CONFLICT, and live refresh."""

from __future__ import annotations

from textual.widgets import Input, Static

from console.app import make_app
from console.dialogs.approve import ApproveDialog
from console.dialogs.reject import RejectDialog
from console.screens.proposals import ProposalsScreen
from console.widgets.paged_table import PagedTable
from console.widgets.record_view import RecordView

from console_helpers import cells, notified, type_text, wait_for


async def test_approve_with_correction_and_reject_with_reason(daemon):
    with daemon.client() as c:
        first = c.proposals.create(
            table="documents",
            fields={"title": "Quartrely report", "author": "ann"},
            confidence=0.5,
            reasoning="a report",
            source="/inbox/q3.md",
        )
        second = c.proposals.create(
            table="documents", fields={"title": "Lunch menu"}, confidence=0.4, source="/inbox/menu.txt"
        )

        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(140, 45)) as pilot:
            health = app.screen.query_one("#health", Static)
            assert await wait_for(pilot, lambda: "2 pending" in str(health.render()))

            await pilot.press("2")
            assert isinstance(app.screen, ProposalsScreen)
            queue = app.screen.query_one("#proposals", PagedTable)
            assert await wait_for(pilot, lambda: queue.row_count == 2)
            assert cells(queue, 1) == [first.id, second.id]
            detail = app.screen.query_one("#proposal-detail", RecordView)
            assert detail.record and detail.record["source"] == "/inbox/q3.md"

            # Approve the first with its title corrected and a note.
            await pilot.press("a")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ApproveDialog))
            title = app.screen.query_one("#field-title", Input)
            assert app.focused is title and title.value == "Quartrely report"
            # Nothing is selected and the cursor is after the text: typing adds to it.
            assert title.selection.is_empty and title.cursor_position == len(title.value)
            await pilot.press("ctrl+u")  # clear to the start, as in a shell
            await type_text(pilot, "Quarterly report")
            app.screen.query_one("#approve-note", Input).focus()  # many fields down: no tabbing through all
            await type_text(pilot, "typo in title")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: c.proposals.get(id=first.id).status == "applied")
            done = c.proposals.get(id=first.id)
            assert c.rows.get(table="documents", id=done.row_id)["title"] == "Quarterly report"
            assert c.rows.get(table="documents", id=done.row_id)["author"] == "ann"
            assert done.note == "typo in title" and done.corrections
            assert await wait_for(pilot, lambda: queue.row_count == 1 and cells(queue, 1) == [second.id])
            assert notified(app, "Approved")

            # Reject the second: an empty reason is refused in the dialog, then a reason is given.
            await pilot.press("x")
            assert await wait_for(pilot, lambda: isinstance(app.screen, RejectDialog))
            await pilot.press("enter")
            assert isinstance(app.screen, RejectDialog)
            assert str(app.screen.query_one("#reject-error", Static).render())
            await type_text(pilot, "not a business document")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: c.proposals.get(id=second.id).status == "rejected")
            assert c.proposals.get(id=second.id).note == "not a business document"
            assert await wait_for(pilot, lambda: queue.row_count == 0)

            # A proposal created elsewhere shows up by itself (the live event stream).
            third = c.proposals.create(
                table="incidents", fields={"title": "Disk full"}, confidence=0.3, source="agent:watcher"
            )
            assert await wait_for(pilot, lambda: cells(queue, 1) == [third.id])

            # Someone else decides while the dialog is open: CONFLICT is shown, the queue refreshed.
            await pilot.press("a")
            assert await wait_for(pilot, lambda: isinstance(app.screen, ApproveDialog))
            c.proposals.reject(id=third.id, reason="duplicate of INC-7")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: notified(app, "CONFLICT"))
            assert await wait_for(pilot, lambda: queue.row_count == 0)
            assert c.proposals.get(id=third.id).status == "rejected"

            # The overview (hidden meanwhile) is up to date when it comes back.
            await pilot.press("1")
            health = app.screen.query_one("#health", Static)
            assert await wait_for(pilot, lambda: "0 pending" in str(health.render()))


async def test_cancelled_dialogs_change_nothing(daemon):
    with daemon.client() as c:
        p = c.proposals.create(table="documents", fields={"title": "Memo"}, confidence=0.5)
        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            queue = app.screen.query_one("#proposals", PagedTable)
            assert await wait_for(pilot, lambda: queue.row_count == 1)
            for key, dialog in (("a", ApproveDialog), ("x", RejectDialog)):
                await pilot.press(key)
                assert await wait_for(pilot, lambda dialog=dialog: isinstance(app.screen, dialog))
                await type_text(pilot, "zz")
                await pilot.press("escape")
                assert await wait_for(pilot, lambda: isinstance(app.screen, ProposalsScreen))
            assert c.proposals.get(id=p.id).status == "pending"
            assert c.proposals.get(id=p.id).payload["title"] == "Memo"
