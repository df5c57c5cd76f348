"""What local agents report — sub-agents, coding work orders, self-healing runs — and the live
event stream, wired into the daemon with their periodic jobs (heartbeat sweep, event and task-history retention)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from ..event_relay import PgEventRelay
from ..event_stream import EventStreams
from ..events import Event
from ..retention import prune_all
from .coding_agent import CodingAgent
from .fleet import HOUR
from .self_healing import SelfHealing
from .sub_agents import AgentTask, SubAgents

if TYPE_CHECKING:
    from ..service import Daemon

log = logging.getLogger(__name__)


class Subsystems:
    def __init__(self, daemon: Daemon) -> None:
        """Build the services; call before the store creates its tables (they register theirs)."""
        self.daemon = daemon
        store, events = daemon.store, daemon.events
        self.sub_agents = SubAgents(store, events, lambda: daemon.config.sub_agents)
        self.coding_agent = CodingAgent(store, events)
        self.self_healing = SelfHealing(store, events)
        self.streams = EventStreams(events, store, lambda: daemon.config.events.subscriber_queue)
        self.relay: PgEventRelay | None = None

    async def prepare(self) -> None:
        """After the tables exist, before the socket answers: the relay (an event written by a
        call that came before the relay names its channel would reach no other daemon). The
        natural keys' indexes come with the tables (storage/links.py)."""
        d = self.daemon
        if d.store.backend == "postgresql":
            self.relay = PgEventRelay(d.events, d.store)
            await self.relay.start()

    async def start(self) -> None:
        """Once the scheduler runs: the sweep and retention jobs."""
        d = self.daemon
        d.jobs.every(d.config.sub_agents.sweep_interval_s, self.sub_agents.sweep, "heartbeat-sweep")
        d.jobs.every(d.config.events.retention_check_s, self.prune_events, "event-retention")
        d.jobs.every(d.config.sub_agents.task_history_check_s, self.prune_tasks, "task-history-retention")

    def stop(self) -> None:
        self.streams.close()
        if self.relay is not None:
            self.relay.stop()

    async def prune_events(self) -> int:
        """Delete events older than ``events.retention_days``, a batch per transaction."""
        d = self.daemon
        max_age = timedelta(days=d.config.events.retention_days)
        return await prune_all(d.store, Event, max_age, lambda: d.stopping)

    async def prune_tasks(self) -> int:
        """Delete finished-task rows older than ``sub_agents.task_history_days``, a batch per
        transaction; never those of the last hour, which the fleet's hourly figures count."""
        d = self.daemon
        max_age = max(timedelta(days=d.config.sub_agents.task_history_days), HOUR)
        return await prune_all(d.store, AgentTask, max_age, lambda: d.stopping)
