"""The Query screen, driven by Pilot against a real daemon: SQL (operators) and full-text search
fill the results table; ``/`` (or Ctrl+T) switches the box between them."""

from __future__ import annotations

from textual.widgets import DataTable, Static, TextArea

from console.app import make_app
from console.error_text import describe_error
from console.screens.query import QueryScreen
from daemon.protocol import ErrorCode, RpcError

from console_helpers import cells, wait_for


async def test_sql_and_search_fill_the_table(daemon):
    with daemon.client() as c:
        c.proposals.create(
            table="feedback",
            confidence=0.99,
            fields={"content": "the zanzibar export is great", "customer_name": "C1", "rating": 5},
        )
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        assert await wait_for(pilot, lambda: isinstance(app.screen, QueryScreen))
        screen = app.screen
        box = screen.query_one("#query-box", TextArea)
        results = screen.query_one("#query-results", DataTable)
        status = screen.query_one("#query-status", Static)
        assert box.has_focus
        box.text = "SELECT 1 AS one"
        await pilot.press("ctrl+r")
        assert await wait_for(pilot, lambda: results.row_count == 1)
        assert [col.label.plain for col in results.columns.values()] == ["one"]
        assert [str(v) for v in cells(results, 0)] == ["1"]
        assert "1 row" in str(status.render())

        await pilot.press("ctrl+t")
        assert screen.kind == "search" and box.text == ""
        box.text = "zanzibar"
        await pilot.press("ctrl+r")
        assert await wait_for(pilot, lambda: [col.label.plain for col in results.columns.values()][:1] == ["table"])
        assert [col.label.plain for col in results.columns.values()] == ["table", "id", "title", "snippet"]
        assert await wait_for(pilot, lambda: results.row_count == 1)
        assert [str(v) for v in cells(results, 0)] == ["feedback"]
        assert "zanzibar" in str(cells(results, 3)[0])

        # "/" from the results table switches back to SQL.
        results.focus()
        await pilot.press("slash")
        assert screen.kind == "sql"


def test_a_reader_is_told_sql_is_for_operators():
    title, message = describe_error(
        RpcError(ErrorCode.FORBIDDEN, "query.sql needs the operator role; bob (uid 1001) has reader")
    )
    assert "FORBIDDEN" in title
    assert message == "your role (reader) may not run SQL: operators only"
