"""What every screen has, driven by Pilot against a real daemon: ? lists the keys, Esc closes
them (and the Keys panel), the command palette finds every action by name, a banner while
the daemon is unreachable with nothing typed lost, and permission errors in words."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import DataTable, Static, TextArea

from console.app import make_app
from console.palette import console_commands
from console.dialogs.keys import KeysDialog
from console.dialogs.reject import RejectDialog
from console.error_text import describe_error, unreachable_banner, unreachable_reason
from console.screens.overview import OverviewScreen
from console.screens.proposals import ProposalsScreen
from console.widgets.banner import ConnectionBanner
from console.widgets.form_input import FormInput
from console.widgets.paged_table import PagedTable
from daemon.protocol import ErrorCode, RpcError

from console_helpers import cells, notified, type_text, wait_for


async def test_keys_help_and_the_command_palette(daemon):
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ProposalsScreen))
        await pilot.press("question_mark")
        assert await wait_for(pilot, lambda: isinstance(app.screen, KeysDialog))
        keys = app.screen.query_one("#keys", DataTable)
        actions = cells(keys, 1)
        assert {"Approve", "Reject", "Mark", "Filter", "Sort", "History", "Overview", "Quit"} <= set(actions)
        assert actions.index("Approve") < actions.index("Overview")  # the screen's own keys first
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ProposalsScreen))

        # The Keys panel (Textual's, from the palette) closes with Esc too.
        app.action_show_help_panel()
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: not app.screen.query("HelpPanel"))

        # The palette: "prop" finds Proposals; running a screen's command switches to it first.
        names = [c.name for c in console_commands(app)]
        wanted = {"Proposals", "Proposals: Approve", "Proposals: Reject", "Tables: Delete", "History: Revert"}
        assert wanted <= set(names)
        assert len(names) == len(set(names))  # an action with two keys (Query: Run) is one command
        await pilot.press("1")
        await pilot.press("ctrl+p")
        assert await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await type_text(pilot, "tables: filt")
        await pilot.pause(0.5)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: app.current_mode == "tables")


async def test_banner_while_unreachable_and_dialogs_keep_their_text(daemon):
    with daemon.client() as c:
        p = c.proposals.create(table="documents", fields={"title": "Memo"}, confidence=0.5)
    app = make_app(socket_path=daemon.socket, retry_s=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        health = overview.query_one("#health", Static)
        assert await wait_for(pilot, lambda: " · ok · " in str(health.render()))
        banner = app.screen.query_one("#banner", ConnectionBanner)
        assert not banner.display

        await pilot.press("2")
        queue = app.screen.query_one("#proposals", PagedTable)
        assert await wait_for(pilot, lambda: cells(queue, 1) == [p.id])
        await pilot.press("x")
        assert await wait_for(pilot, lambda: isinstance(app.screen, RejectDialog))
        await type_text(pilot, "duplicate")

        daemon.stop()
        proposals_banner = app.screen_stack[0].query_one("#banner", ConnectionBanner)
        assert await wait_for(pilot, lambda: proposals_banner.display and not app.reachable)
        said = str(proposals_banner.render())
        assert "clarityd unreachable" in said and "retrying every 0.2s · nothing typed is lost" in said
        assert proposals_banner.tooltip == app.event_feed.detail  # the raw error, on hover
        # At 80 columns: one line of words, the raw error left to the tooltip.
        await pilot.resize_terminal(80, 24)
        assert await wait_for(pilot, lambda: proposals_banner.outer_size.width == 80)
        await pilot.pause()
        assert proposals_banner.size.height == 1, str(proposals_banner.render())
        await pilot.press("enter")  # refused while unreachable: the dialog and its text stay
        assert isinstance(app.screen, RejectDialog)
        assert notified(app, "Not sent")
        assert app.screen.query_one("#reject-reason", FormInput).value == "duplicate"
        # The overview (hidden) no longer claims the daemon is ok.
        assert await wait_for(pilot, lambda: "unreachable" in str(health.render()))
        assert not notified(app, "Daemon unreachable")  # the banner says it, once: no toasts as well

        daemon.start()
        assert await wait_for(pilot, lambda: app.reachable and not proposals_banner.display, tries=200)
        await pilot.press("enter")
        with daemon.client() as c:
            assert await wait_for(pilot, lambda: c.proposals.get(id=p.id).status == "rejected")
            assert c.proposals.get(id=p.id).note == "duplicate"
        await pilot.press("1")
        health = app.screen.query_one("#health", Static)
        assert await wait_for(pilot, lambda: " · ok · " in str(health.render()))


def test_permission_errors_in_words():
    refused = RpcError(ErrorCode.FORBIDDEN, "proposals.approve needs the operator role; bob (uid 1001) has reader")
    title, message = describe_error(refused)
    assert "FORBIDDEN" in title
    assert message == "your role (reader) may not approve: operators only"
    _, message = describe_error(RpcError(ErrorCode.FORBIDDEN, "rows.delete needs the agent role; x (uid 1) has reader"))
    assert message == "your role (reader) may not delete rows: agents only"
    policy = RpcError(ErrorCode.FORBIDDEN, "proposals for hr_playbooks are decided by alice only (approvals.tables)")
    assert describe_error(policy)[1] == policy.message  # the policy's own words are kept


async def test_home_and_end_go_to_the_first_and_last_row_of_every_list(daemon):
    with daemon.client() as c:
        for i in range(4):
            c.proposals.create(table="documents", fields={"title": f"Doc {i}"}, confidence=0.99)
            c.proposals.create(table="documents", fields={"title": f"Memo {i}"}, confidence=0.5)
            c.sub_agents.register(agent_id=f"a{i}", agent_name=f"Agent {i}", agent_type="worker")
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(120, 40)) as pilot:

        async def check(mode: str, list_id: str, rows: int) -> None:
            await pilot.press(mode)
            table = app.screen.query_one(list_id, DataTable)
            assert await wait_for(pilot, lambda: table.row_count >= rows), mode
            table.focus()
            await pilot.press("end")
            assert table.cursor_row == table.row_count - 1 > 0, mode
            await pilot.press("home")
            assert table.cursor_row == 0, mode

        await check("2", "#proposals", 4)
        await check("6", "#history", 4)
        await check("4", "#agents", 4)
        await pilot.press("3")
        app.screen.choose_table("documents")
        await check("3", "#rows", 4)
        await pilot.press("7")
        app.screen.query_one("#query-box", TextArea).text = "SELECT id FROM memory_documents"
        await pilot.press("ctrl+r")
        await check("7", "#query-results", 4)

        # ? lists them with the list's other keys.
        await pilot.press("question_mark")
        assert await wait_for(pilot, lambda: isinstance(app.screen, KeysDialog))
        keys = app.screen.query_one("#keys", DataTable)
        listed = set(zip(cells(keys, 0), cells(keys, 1), strict=True))
        assert {("home", "First row"), ("end", "Last row")} <= listed, listed


def test_the_unreachable_banner_is_one_line_of_words():
    lost = "cannot connect to clarityd at /run/user/1000/clarity/clarity.sock: No such file or directory"
    for width in (78, 118, 198):
        line = unreachable_banner(lost, 2.0, width)
        assert len(line) <= width and "retrying every 2s · nothing typed is lost" in line
    assert unreachable_banner(lost, 2.0, 78).startswith("clarityd unreachable (no socket)")
    assert unreachable_banner(lost, 2.0, 198).endswith(lost)  # room for the raw error too
    assert unreachable_reason("clarityd at /x closed the connection") == "connection lost"
    assert unreachable_reason("cannot connect to clarityd at /x: Connection refused") == "refused"
