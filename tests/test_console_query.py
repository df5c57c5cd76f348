"""The Query screen, driven by Pilot against a real daemon: SQL (operators) and full-text search
fill the results table; ``/`` (or Ctrl+T) switches the box between them; a long answer comes a
page at a time as it is scrolled, and ``x`` exports all of it."""

from __future__ import annotations

import csv
import json
from pathlib import Path


from console.app import make_app
from console.dialogs.confirm import ConfirmDialog
from console.dialogs.export import ExportDialog
from console.error_text import describe_error
from console.screens.query import PAGE_SIZE
from console.widgets.form_input import FormInput
from daemon.protocol import ErrorCode, RpcError

from console_helpers import cells, notified, open_query, paste, wait_for


async def test_sql_and_search_fill_the_table(daemon):
    with daemon.client() as c:
        c.proposals.create(
            table="feedback",
            confidence=0.99,
            fields={"content": "the zanzibar export is great", "customer_name": "C1", "rating": 5},
        )
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, box, results, status = await open_query(pilot)
        assert box.has_focus
        box.text = "SELECT 1 AS one"
        await pilot.press("ctrl+r")
        assert await wait_for(pilot, lambda: results.row_count == 1)
        assert [col.label.plain for col in results.columns.values()] == ["one"]
        assert [str(v) for v in cells(results, 0)] == ["1"]
        assert "1 row" in str(status.render())

        # A refused statement: said on the status line (one line), the last answer kept below.
        box.text = "SELEC nonsense"
        await pilot.press("ctrl+r")
        assert await wait_for(pilot, lambda: str(status.render()).startswith("not answered: "))
        assert str(status.render()).endswith("below: the last answer") and results.row_count == 1

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


FIVE_THOUSAND = (
    "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000) "
    "SELECT n, 'row ' || n AS label FROM g"
)


async def test_a_long_answer_scrolls_page_by_page_and_exports_whole(daemon, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, box, results, status = await open_query(pilot)
        box.text = FIVE_THOUSAND
        await pilot.press("ctrl+r")
        assert await wait_for(pilot, lambda: results.row_count == PAGE_SIZE)
        assert "so far" in str(status.render())

        # Each End reaches the last row loaded, and the next page follows: one page at a time.
        results.focus()
        counts = [results.row_count]
        while results.row_count < 5000:
            await pilot.press("end")
            assert await wait_for(pilot, lambda: results.row_count > counts[-1]), counts
            counts.append(results.row_count)
        assert counts == list(range(PAGE_SIZE, 5001, PAGE_SIZE))
        assert [int(v) for v in cells(results, 0)] == list(range(1, 5001))  # in order, each once
        assert str(status.render()) == "5000 rows"

        # x: the export dialog of the Tables screen, in the home folder, asking before replacing.
        target = tmp_path / "query.csv"
        target.write_text("keep me")
        await pilot.press("x")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        assert app.screen.query_one("#export-path", FormInput).value == "~/query.csv"
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")  # replace
        assert await wait_for(pilot, lambda: notified(app, "Exported"))
        with target.open() as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["n", "label"] and rows[1] == ["1", "row 1"] and len(rows) == 5001
        assert not list(Path(tmp_path).glob("*.part"))

        # From the box, Ctrl+S; another name, another format: JSON, every row.
        box.focus()
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("ctrl+u")
        await paste(pilot, str(tmp_path / "answer.json"))
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: (tmp_path / "answer.json").exists())
        answer = json.loads((tmp_path / "answer.json").read_text())
        assert len(answer) == 5000 and answer[-1] == {"n": 5000, "label": "row 5000"}
