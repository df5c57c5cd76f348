"""What a new operator met at 80×24, driven by Pilot against a real daemon: the Query box has
the keys on arriving and keeps each mode's text; the SQL names of tables are said; selections
survive a resize; stale figures stay marked stale; the approve dialog's table and note are in sight."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from console.app import make_app
from console.dialogs.approve import ApproveDialog
from console.screens.proposals import ProposalsScreen
from console.screens.query import QueryScreen
from console.widgets.form_input import FormInput
from console.widgets.paged_table import PagedTable
from daemon.protocol import RpcError

from console_helpers import fully_visible, open_query, type_text, wait_for


async def test_the_query_box_has_the_keys_and_keeps_each_modes_text(daemon):
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, box, results, status = await open_query(pilot)
        # Empty, with a placeholder: typing never joins onto a sample statement.
        assert box.has_focus and box.text == "" and "memory_" in str(box.placeholder)
        await type_text(pilot, "SELECT 1 AS sq")  # q is typed, not quit
        assert app.is_running and box.text == "SELECT 1 AS sq"
        await pilot.press("ctrl+r")
        assert await wait_for(pilot, lambda: results.row_count == 1)

        # Esc leaves the box for the results (the footer says so); back on the screen, the box again.
        assert any(b.binding.key == "escape" for b in screen.active_bindings.values() if b.binding.show)
        await pilot.press("escape")
        assert results.has_focus
        await pilot.press("1")
        await pilot.press("7")
        assert await wait_for(pilot, lambda: isinstance(app.screen, QueryScreen))
        assert box.has_focus

        # Each mode keeps its own text.
        await pilot.press("ctrl+t")
        assert screen.kind == "search" and box.text == ""
        await type_text(pilot, "zanzibar")
        await pilot.press("ctrl+t")
        assert screen.kind == "sql" and box.text == "SELECT 1 AS sq"
        await pilot.press("ctrl+t")
        assert box.text == "zanzibar"

        # Ctrl+U empties the box, wherever the cursor is.
        box.move_cursor((0, 3))
        await pilot.press("ctrl+u")
        assert box.text == ""

        # A catalog name where SQL wants the table's own: the error says which.
        await pilot.press("ctrl+t")
        await pilot.press("ctrl+u")
        await type_text(pilot, "SELECT * FROM documents")
        await pilot.press("ctrl+r")
        assert await wait_for(pilot, lambda: "not answered" in str(status.render()))
        assert "memory_documents" in str(status.render())


def test_query_sql_says_a_tables_sql_name(database_url, make_daemon):
    with make_daemon(database=database_url).client() as c:
        for name, physical in (("documents", "memory_documents"), ("coding_agent", "memory_coding_work_orders")):
            try:
                c.query.sql(sql=f"SELECT * FROM {name}")
            except RpcError as e:
                assert e.message.splitlines()[0].endswith(
                    f'{name}" does not exist (in SQL: {physical})'
                    if "relation" in e.message
                    else f"no such table: {name} (in SQL: {physical})"
                )
            else:
                raise AssertionError("a table by its catalog name ran")
        try:
            c.query.sql(sql="SELECT * FROM nowhere")
        except RpcError as e:
            assert "memory_*" in e.message.splitlines()[0]


async def test_a_resize_keeps_the_selected_proposal(daemon):
    with daemon.client() as c:
        ids = [
            c.proposals.create(table="feedback", confidence=0.9, fields={"content": f"n{i}", "rating": 3}).id
            for i in range(4)
        ]
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ProposalsScreen))
        screen = app.screen
        queue = screen.query_one("#proposals", PagedTable)
        assert await wait_for(pilot, lambda: queue.row_count == 4)
        queue.move_cursor(row=2)
        await pilot.pause()
        chosen = screen.selected_key()
        assert chosen == str(ids[2])
        await pilot.resize_terminal(80, 24)  # narrower: other columns
        assert await wait_for(pilot, lambda: screen.narrow)
        assert screen.selected_key() == chosen
        await pilot.resize_terminal(140, 40)
        assert await wait_for(pilot, lambda: not screen.narrow)
        assert screen.selected_key() == chosen
        screen.action_refresh()
        await pilot.pause(0.3)
        assert screen.selected_key() == chosen


async def test_overview_figures_stay_stale_while_the_daemon_is_away(daemon):
    app = make_app(socket_path=daemon.socket, retry_s=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        health = app.screen.query_one("#health", Static)
        assert await wait_for(pilot, lambda: " · up " in str(health.render()))
        daemon.stop()
        await pilot.press("r")  # found gone by the refresh, if the event feed has not found it yet
        assert await wait_for(pilot, lambda: "from before" in str(health.render()), tries=200)

        async def stays_stale() -> None:
            for _ in range(10):  # never, even for a moment, "ok · up …"
                await pilot.pause(0.02)
                assert "from before" in str(health.render())

        await pilot.resize_terminal(80, 24)
        await stays_stale()
        await pilot.press("2")
        await pilot.press("1")
        await stays_stale()
        daemon.start()
        for _ in range(100):  # back: the feed's return refreshes, or r does
            if " · up " in str(health.render()):
                break
            await pilot.press("r")
            await pilot.pause(0.2)
        assert " · up " in str(health.render())


async def test_approve_dialog_shows_table_and_note_first(daemon):
    with daemon.client() as c:
        described = c.tables.describe(table="finance_treasury")
        fields = {f.name: None for f in described.fields if not f.common}
        assert len(fields) > 10  # more fields than an 80×24 dialog shows
        c.proposals.create(table="finance_treasury", confidence=0.9, fields={"title": "wire to Acme"})
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        queue = app.screen.query_one("#proposals", PagedTable)
        assert await wait_for(pilot, lambda: queue.row_count == 1)
        await pilot.press("a")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ApproveDialog))
        dialog = app.screen
        await pilot.pause()
        for input_id in ("#approve-table", "#approve-note"):
            assert fully_visible(dialog, dialog.query_one(input_id, FormInput)), input_id
        first = dialog.query("#approve-fields FormInput").first()
        assert app.focused is first and fully_visible(dialog, first)


async def test_fleet_keeps_the_selected_agent_across_a_refresh(daemon):
    with daemon.client() as c:
        for name in ("a1", "a2", "a3"):
            c.sub_agents.register(agent_id=name, agent_name=name, agent_type="worker")
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        agents = app.screen.query_one("#agents", DataTable)
        assert await wait_for(pilot, lambda: agents.row_count == 3)
        agents.move_cursor(row=2)
        chosen = agents.coordinate_to_cell_key(agents.cursor_coordinate).row_key.value
        with daemon.client() as c:
            c.sub_agents.register(agent_id="a0", agent_name="a0", agent_type="worker")
        app.screen.action_refresh()
        assert await wait_for(pilot, lambda: agents.row_count == 4)
        assert agents.coordinate_to_cell_key(agents.cursor_coordinate).row_key.value == chosen
