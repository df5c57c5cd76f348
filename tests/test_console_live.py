"""The Events and Fleet screens against a real daemon: live events arrive through the one
subscription, the Fleet screen refreshes when agents report, and the stream comes back after
the daemon restarts without losing events."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from console.app import make_app
from console.screens.events import EventsScreen
from console.screens.fleet import FleetScreen

from console_helpers import cells, type_text, wait_for


async def test_live_events_and_fleet(daemon):
    with daemon.client() as c:
        c.sub_agents.register(agent_id="early", agent_name="Early", agent_type="worker")
        app = make_app(socket_path=daemon.socket)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.press("5")
            screen = app.screen
            assert isinstance(screen, EventsScreen)
            events = screen.query_one("#events", DataTable)
            status = screen.query_one("#stream-status", Static)
            assert await wait_for(pilot, lambda: "agent.registered" in cells(events, 2))  # stored, then live
            assert await wait_for(pilot, lambda: str(status.render()).startswith("live"))

            c.sub_agents.register(agent_id="shard-1", agent_name="Shard one", agent_type="shard")
            c.sub_agents.heartbeat(agent_id="shard-1", status="busy", current_task="indexing")
            assert await wait_for(pilot, lambda: "agent/shard-1" in cells(events, 3))
            subjects = cells(events, 3)
            assert subjects.index("agent/early") < subjects.index("agent/shard-1")  # oldest at the top
            assert events.cursor_row == events.row_count - 1  # following the newest

            # Filter by a prefix: only matching events, stored and live.
            await pilot.press("/")
            assert isinstance(app.focused, Input)
            await type_text(pilot, "playbook")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: screen.prefix == "playbook" and events.row_count == 0)
            c.self_healing.log(playbook_name="restart-db", success=True, duration_ms=50)
            c.sub_agents.heartbeat(agent_id="shard-1")
            assert await wait_for(pilot, lambda: cells(events, 2) == ["playbook.run"])

            # The Fleet screen shows the agents and playbooks, and follows what they report.
            await pilot.press("4")
            assert isinstance(app.screen, FleetScreen)
            agents = app.screen.query_one("#agents", DataTable)
            playbooks = app.screen.query_one("#playbooks", DataTable)
            assert await wait_for(pilot, lambda: sorted(cells(agents, 0)) == ["early", "shard-1"])
            assert cells(playbooks, 0) == ["restart-db"]
            c.sub_agents.register(agent_id="shard-2", agent_name="Shard two", agent_type="shard")
            assert await wait_for(pilot, lambda: "shard-2" in cells(agents, 0))
            assert "3 online of 3" in str(app.screen.query_one("#fleet-summary", Static).content)


async def test_event_stream_survives_a_daemon_restart(daemon):
    app = make_app(socket_path=daemon.socket)
    app.event_feed.retry_s = 0.2
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        events = app.screen.query_one("#events", DataTable)
        status = app.screen.query_one("#stream-status", Static)
        assert await wait_for(pilot, lambda: str(status.render()).startswith("live"))

        daemon.stop()
        assert await wait_for(pilot, lambda: str(status.render()).startswith("reconnecting"))
        daemon.start()
        with daemon.client() as c:
            c.sub_agents.register(agent_id="after", agent_name="After", agent_type="worker")
        assert await wait_for(pilot, lambda: "agent/after" in cells(events, 3), tries=200)
        assert str(status.render()).startswith("live")
