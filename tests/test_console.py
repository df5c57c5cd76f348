"""The console's first screen, driven by Pilot against a real daemon."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from console.app import make_app


async def wait_for(pilot, predicate, tries=100):
    for _ in range(tries):
        if predicate():
            return True
        await pilot.pause(0.05)
    return False


async def test_overview_shows_health_and_33_tables(daemon):
    app = make_app(socket_path=daemon.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#tables", DataTable)
        assert await wait_for(pilot, lambda: table.row_count == 33)
        health = str(app.screen.query_one("#health", Static).render())
        assert "ok" in health and "sqlite" in health and "33 tables" in health
        assert table.get_row_at(0)[0] == "ai_safety"
        await pilot.press("r")
        assert await wait_for(pilot, lambda: table.row_count == 33)


async def test_overview_without_daemon_says_so_in_words(tmp_path):
    app = make_app(socket_path=str(tmp_path / "absent.sock"))
    async with app.run_test(size=(100, 30)) as pilot:
        banner = app.screen.query_one("#banner", Static)
        assert await wait_for(pilot, lambda: banner.display)
        assert "clarityd unreachable (no socket)" in str(banner.render())
        assert "absent.sock" in str(banner.tooltip)  # the raw error
        health = app.screen.query_one("#health", Static)
        assert await wait_for(pilot, lambda: "from before" in str(health.render()))
        assert not app._notifications  # said once, by the banner
        assert app.screen.query_one("#tables", DataTable).row_count == 0
