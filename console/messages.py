"""Messages the console's workers post: past-tense facts."""

from __future__ import annotations

from textual.message import Message

from daemon.protocol.system import Health
from daemon.protocol.tables import TableSummary


class OverviewLoaded(Message):
    """The daemon answered: its health and every table with its row count."""

    def __init__(self, health: Health, tables: list[TableSummary]) -> None:
        super().__init__()
        self.health = health
        self.tables = tables
