"""self_healing.*: runs of remediation playbooks, their stats and trust."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from .envelope import WindowSeconds
from .nesting import fold_nested, folded, require
from .registry import Method, Role

PlaybookName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
RiskLevel = Literal["low", "medium", "high", "critical"]


DurationMs = Annotated[float, msgspec.Meta(ge=0)]


class ExecutionResult(msgspec.Struct, forbid_unknown_fields=True):
    """A run's outcome nested as the original integration sends it (``execution_result``)."""

    success: bool | None = None
    duration_ms: DurationMs | None = None
    risk_level: RiskLevel | None = None
    error: str | None = None


class LogPlaybookRun(msgspec.Struct, forbid_unknown_fields=True):
    """One run of a playbook, as the agent that ran it reports it. The outcome may come flat
    (``success``, ``duration_ms``, ``risk_level``, ``error``) or nested in ``execution_result``
    as in the original integration; the same field given both ways with different values is
    INVALID_PARAMS."""

    playbook_name: PlaybookName
    # Required, flat or in execution_result: None only until __post_init__ has folded them.
    success: bool = folded()
    trigger_conditions: dict[str, Any] | list[Any] | str | None = None
    trigger_event: str | None = None
    actions: list[Any] = []  # in the order executed: names or objects
    target_components: list[str] = []
    duration_ms: DurationMs | None = None
    risk_level: RiskLevel = folded()  # "low" when given neither way
    error: str | None = None
    rolled_back: bool = False
    approved_by: str | None = None
    attempt: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None
    health_before: dict[str, Any] | None = None
    health_after: dict[str, Any] | None = None
    executed_at: datetime | None = None  # when it ran; now when left out
    execution_result: ExecutionResult | None = None

    def __post_init__(self) -> None:
        fold_nested(self, "execution_result")
        require(self, "success", where="execution_result")
        if self.risk_level is None:
            self.risk_level = "low"


class PlaybookRun(msgspec.Struct):
    id: int  # row id in memory_self_healing_playbooks
    playbook_name: str
    success: bool
    duration_ms: float | None
    risk_level: str
    executed_at: datetime
    runs: int  # of this playbook, this one included
    success_rate: float
    trust_score: float  # the playbook's trust after this run


class PlaybookRef(msgspec.Struct, forbid_unknown_fields=True):
    playbook_name: PlaybookName
    window_s: WindowSeconds | None = None  # only runs executed this recently


class PlaybookStats(msgspec.Struct):
    """Percentiles by the nearest-rank method, over runs that reported a duration."""

    playbook_name: str
    runs: int
    successes: int
    failures: int
    success_rate: float | None
    mean_duration_ms: float | None
    p95_duration_ms: float | None
    rolled_back: int
    last_run_at: datetime | None
    last_success: bool | None
    trust_score: float  # after the playbook's latest run, whatever the window


class TopPlaybooks(msgspec.Struct, forbid_unknown_fields=True):
    by: Literal["runs", "success_rate", "trust"] = "runs"
    window_s: WindowSeconds | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    min_runs: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] = 1


LOG = Method(
    "self_healing.log",
    LogPlaybookRun,
    PlaybookRun,
    Role.agent,
    "Record a playbook run: triggers, actions, targets, outcome, duration, risk.",
    aliases=("log_playbook_execution",),
)
STATS = Method(
    "self_healing.stats",
    PlaybookRef,
    PlaybookStats,
    Role.reader,
    "One playbook: runs, success rate, mean and p95 duration, last run, trust.",
    aliases=("get_playbook_stats",),
)
TOP_PLAYBOOKS = Method(
    "self_healing.top_playbooks",
    TopPlaybooks,
    list[PlaybookStats],
    Role.reader,
    "Playbooks ranked by runs, success rate or trust, within a window.",
    aliases=("get_top_playbooks",),
)
