"""Messages the console's workers post: past-tense facts.

Each worker ends by posting one of these to the screen that started it; the screen's
handler puts the result on screen. Messages that widgets send live nested in the widget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message

from daemon.protocol import RpcError
from daemon.protocol.coding_agent import CodingStats
from daemon.protocol.ingest import IngestStatus
from daemon.protocol.proposals import Proposal, ProposalPage
from daemon.protocol.rows import RowPage
from daemon.protocol.self_healing import PlaybookStats
from daemon.protocol.sub_agents import Agent, FleetStats
from daemon.protocol.system import Health
from daemon.protocol.tables import TableDescription, TableSummary


class OverviewLoaded(Message):
    """The daemon answered: its health and every table with its row count."""

    def __init__(self, health: Health, tables: list[TableSummary], pending: int | None = None) -> None:
        super().__init__()
        self.health = health
        self.tables = tables
        self.pending = pending


class ProposalsLoaded(Message):
    """A page of the pending queue arrived; ``append`` when it follows the pages shown."""

    def __init__(self, page: ProposalPage, append: bool) -> None:
        super().__init__()
        self.page = page
        self.append = append


class ApprovalPrepared(Message):
    """What the approve dialog needs came back: the proposal as it is now and its table."""

    def __init__(
        self, proposal: Proposal, table: TableDescription | None, current: dict[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.proposal = proposal
        self.table = table
        self.current = current  # the row as it is now, for an update or a delete


class ProposalDecided(Message):
    """The daemon took a decision: ``proposal`` is its answer (applied, failed, rejected...)."""

    def __init__(self, proposal: Proposal, decision: str) -> None:
        super().__init__()
        self.proposal = proposal
        self.decision = decision  # "approved" or "rejected"


class TablesListed(Message):
    """The catalog arrived: every table with its row count."""

    def __init__(self, tables: list[TableSummary]) -> None:
        super().__init__()
        self.tables = tables


class RowsLoaded(Message):
    """A page of one table's rows arrived; ``append`` when it follows the pages shown."""

    def __init__(self, table: TableDescription, page: RowPage, search: str, append: bool) -> None:
        super().__init__()
        self.table = table
        self.page = page
        self.search = search
        self.append = append


class RowFetched(Message):
    """One row as it is now, fetched to be viewed or edited (``purpose``)."""

    def __init__(self, table: TableDescription, row: dict[str, Any], purpose: str) -> None:
        super().__init__()
        self.table = table
        self.row = row
        self.purpose = purpose  # "view" or "edit"


class RowEditProposed(Message):
    """rows.update answered: the edit is a proposal (pending, or applied when self-approved)."""

    def __init__(self, proposal: Proposal) -> None:
        super().__init__()
        self.proposal = proposal


class RowsExported(Message):
    """An export (of a table by rows.export, or of a query's answer) was written to ``path``."""

    def __init__(self, path: Path, rows: int, truncated: bool, format: str) -> None:
        super().__init__()
        self.path = path
        self.rows = rows
        self.truncated = truncated
        self.format = format


class FleetLoaded(Message):
    """The fleet, coding agents, playbooks and ingest journal, asked for together."""

    def __init__(
        self,
        fleet: FleetStats,
        agents: list[Agent],
        coding: CodingStats,
        playbooks: list[PlaybookStats],
        ingest: IngestStatus,
    ) -> None:
        super().__init__()
        self.fleet = fleet
        self.agents = agents
        self.coding = coding
        self.playbooks = playbooks
        self.ingest = ingest


class EventsLoaded(Message):
    """Stored events arrived (events.list, newest first), to fill the screen before live ones."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        super().__init__()
        self.events = events


class EventReceived(Message):
    """A live event from the daemon's stream (an ``events.event`` notification's params)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event

    @property
    def type(self) -> str:
        return str(self.event.get("type", ""))


class EventStreamChanged(Message):
    """The live stream went up (``live``) or down (``detail`` says why; it is retried every
    ``retry_s`` seconds); ``reachable`` is false while the daemon cannot be reached at all."""

    def __init__(self, live: bool, detail: str = "", reachable: bool = True, retry_s: float = 2.0) -> None:
        super().__init__()
        self.live = live
        self.detail = detail
        self.reachable = reachable
        self.retry_s = retry_s


class CurrentRowFetched(Message):
    """The row a pending update or delete would change, as it is now (None: it is gone)."""

    def __init__(self, proposal_id: int, row: dict[str, Any] | None) -> None:
        super().__init__()
        self.proposal_id = proposal_id
        self.row = row


class BatchDecided(Message):
    """Several marked proposals were decided in turn: the daemon's answers and the refusals."""

    def __init__(self, decision: str, done: list[Proposal], refused: list[tuple[int, RpcError]]) -> None:
        super().__init__()
        self.decision = decision  # "approved" or "rejected"
        self.done = done
        self.refused = refused


class HistoryLoaded(Message):
    """A page of decided proposals arrived; ``append`` when it follows the pages shown."""

    def __init__(self, page: ProposalPage, append: bool) -> None:
        super().__init__()
        self.page = page
        self.append = append


class RevertProposed(Message):
    """proposals.revert answered: the undo is a new proposal (pending, or applied)."""

    def __init__(self, original: int, proposal: Proposal) -> None:
        super().__init__()
        self.original = original
        self.proposal = proposal


class RowDeleteProposed(Message):
    """rows.delete answered: the deletion is a proposal."""

    def __init__(self, proposal: Proposal) -> None:
        super().__init__()
        self.proposal = proposal


class SchemaProposed(Message):
    """proposals.schema_tweak answered: the change waits as a proposal, with its DDL preview."""

    def __init__(self, proposal: Proposal) -> None:
        super().__init__()
        self.proposal = proposal
