"""The fleet at a glance: sub-agents (counts, trust, late heartbeats, who is online), coding
agents' work orders, the most used self-healing playbooks and the ingest journal. It
refreshes itself when agents, work orders, playbooks or ingested files report something."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Label, Static

from daemon.client import ConnectionLost
from daemon.protocol.coding_agent import CodingStats
from daemon.protocol.ingest import IngestStatus
from daemon.protocol.sub_agents import FleetStats

from ..formatting import cell, cell_path, when
from ..messages import EventReceived, FleetLoaded
from ..widgets.row_table import RowTable
from .base import ClarityScreen


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{k} {v}" for k, v in counts.items() if v]
    return ", ".join(shown) or "none"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _secs(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}s" if value < 120 else f"{value / 60:.0f}m" if value < 7200 else f"{value / 3600:.1f}h"


def fleet_summary(f: FleetStats) -> Text:
    lines = [
        Text("Sub-agents", style="bold"),
        Text(f"{f.online} online of {f.total} · mean trust {cell(f.mean_trust) or '—'}"),
        Text(f"by status: {_counts(f.by_status)}"),
        Text(f"by type: {_counts(f.by_type)}"),
        Text(
            f"tasks last hour: {f.tasks_last_hour} ({f.tasks_succeeded_last_hour} ok, "
            f"{f.tasks_failed_last_hour} failed)"
        ),
    ]
    if f.late:
        late = ", ".join(a.agent_id for a in f.late[:5]) + (" …" if len(f.late) > 5 else "")
        lines.append(Text(f"late heartbeats: {late}", style="bold red"))
    return Text("\n").join(lines)


def coding_summary(c: CodingStats) -> Text:
    return Text("\n").join(
        [
            Text("Coding agents", style="bold"),
            Text(f"{c.total} work orders · {_counts(c.by_state)}"),
            Text(
                f"lead time p50 {_secs(c.lead_time.p50_s)} p95 {_secs(c.lead_time.p95_s)} · "
                f"cycle p50 {_secs(c.cycle_time.p50_s)}"
            ),
            Text(f"test pass rate {_pct(c.pass_rates.overall)} over {c.pass_rates.work_orders_tested} tested"),
            Text(f"lines +{c.lines_added} −{c.lines_removed}"),
        ]
    )


def ingest_summary(s: IngestStatus) -> Text:
    lines = [
        Text("Ingest", style="bold"),
        Text(f"{s.total} files · queued {s.queued} · settling {s.settling}"),
        Text(_counts(s.counts)),
    ]
    for folder in s.folders:
        style = "red" if folder.mode == "missing" else ""
        lines.append(Text(f"{folder.path} ({folder.mode})", style=style))
    if s.failures:
        lines.append(Text(f"{len(s.failures)} failed: listed below", style="red"))
    return Text("\n").join(lines)


class FleetScreen(ClarityScreen):
    MODE = "fleet"
    TITLE = "Clarity · Fleet"
    EVENT_TYPES = ("agent.", "work_order.", "playbook.", "ingest.")
    REFRESH_DELAY = 1.0
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="fleet-refresh", tooltip="Ask the daemon again"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="fleet-summaries"):
            yield Static("loading…", id="fleet-summary", classes="panel")
            yield Static("", id="coding-summary", classes="panel")
            yield Static("", id="ingest-summary", classes="panel")
        with Vertical(id="fleet-tables"):
            yield Label("Ingest failures (most recent; the file name kept, the reason beside it)", classes="section")
            failures: RowTable[str] = RowTable(id="ingest-failures", cursor_type="row", zebra_stripes=True)
            failures.add_column("file", key="file")
            failures.add_column("reason", key="reason")
            yield failures
            yield Label("Agents online", classes="section")
            agents: RowTable[str] = RowTable(id="agents", cursor_type="row", zebra_stripes=True)
            agents.add_columns("agent", "name", "type", "status", "task", "trust", "tasks", "success", "last heartbeat")
            yield agents
            yield Label("Top playbooks (by runs)", classes="section")
            playbooks: RowTable[str] = RowTable(id="playbooks", cursor_type="row", zebra_stripes=True)
            playbooks.add_columns(
                "playbook", "runs", "success", "failures", "p95 ms", "rolled back", "trust", "last run"
            )
            yield playbooks
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="fleet", exit_on_error=False)
    async def load(self) -> None:
        client = self.client
        fleet, agents, coding, playbooks, ingest = await asyncio.gather(
            client.sub_agents.fleet_stats(),
            client.sub_agents.active(limit=500),
            client.coding_agent.stats(),
            client.self_healing.top_playbooks(limit=20),
            client.ingest.status(limit=5),
        )
        self.post_message(FleetLoaded(fleet, agents, coding, playbooks, ingest))

    def on_fleet_loaded(self, message: FleetLoaded) -> None:
        self.query_one("#fleet-summary", Static).update(fleet_summary(message.fleet))
        self.query_one("#coding-summary", Static).update(coding_summary(message.coding))
        self.query_one("#ingest-summary", Static).update(ingest_summary(message.ingest))
        agents = self.query_one("#agents", DataTable)
        kept = agents.coordinate_to_cell_key(agents.cursor_coordinate).row_key.value if agents.row_count else None
        agents.clear()  # (which puts the cursor on the first row: it goes back to the same agent below)
        for a in message.agents:
            agents.add_row(
                a.agent_id,
                cell(a.agent_name, 24),
                a.agent_type or "",
                a.status or "",
                cell(a.current_task, 30),
                f"{a.trust_score:.2f}",
                str(a.tasks_completed),
                _pct(a.success_rate),
                when(a.last_heartbeat),
                key=a.agent_id,
            )
        if kept is not None and kept in agents.rows:
            agents.move_cursor(row=agents.get_row_index(kept))
        failures = self.query_one("#ingest-failures", DataTable)
        failures.clear()
        path_width = max(24, min(60, self.app.size.width // 2 - 4))
        for failure in message.ingest.failures:
            reason_width = max(20, self.app.size.width - path_width - 6)
            failures.add_row(
                cell_path(failure.path, path_width), cell(failure.last_error or "(no reason recorded)", reason_width)
            )
        playbooks = self.query_one("#playbooks", DataTable)
        playbooks.clear()
        for p in message.playbooks:
            p95 = "—" if p.p95_duration_ms is None else f"{p.p95_duration_ms:.0f}"
            playbooks.add_row(
                p.playbook_name,
                str(p.runs),
                _pct(p.success_rate),
                str(p.failures),
                p95,
                str(p.rolled_back),
                f"{p.trust_score:.2f}",
                when(p.last_run_at),
                key=p.playbook_name,
            )

    def on_event_received(self, message: EventReceived) -> None:
        self.refresh_soon()

    def worker_failed(self, error: BaseException, group: str) -> None:
        # Unreachable: the banner says why, and the screen asks again once the daemon answers.
        why = "clarityd is unreachable" if isinstance(error, ConnectionLost) else f"{error} — press r to retry"
        self.query_one("#fleet-summary", Static).update(f"not available: {why}")
