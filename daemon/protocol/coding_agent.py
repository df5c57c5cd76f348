"""coding_agent.*: work orders of coding agents — changes, tests, deployment, lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from .envelope import WindowSeconds
from .nesting import fold_alias, fold_nested, folded, require
from .registry import Method, Role

WorkOrderId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
# One report's count; its sums over many reports still fit the 64-bit columns.
Count = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
# pending -> in_progress -> review -> deployed; failed and cancelled from any open state.
WorkOrderState = Literal["pending", "in_progress", "review", "deployed", "failed", "cancelled"]
STATES: tuple[str, ...] = ("pending", "in_progress", "review", "deployed", "failed", "cancelled")
OPEN_STATES: tuple[str, ...] = ("pending", "in_progress", "review")


class CreateWorkOrder(msgspec.Struct, forbid_unknown_fields=True):
    """A new work order, state ``pending``. ``work_order_id`` is generated when left out."""

    title: Annotated[str, msgspec.Meta(min_length=1)]
    work_order_id: WorkOrderId | None = None
    description: str | None = None
    task_type: Literal["feature", "bug_fix", "refactor", "test", "docs", "chore"] = "feature"
    priority: Literal["low", "medium", "high", "urgent"] = "medium"
    assigned_agent: str | None = None


class WorkOrder(msgspec.Struct):
    id: int  # row id in memory_coding_work_orders
    work_order_id: str
    title: str | None
    description: str | None
    task_type: str | None
    priority: str | None
    assigned_agent: str | None
    state: str | None
    files_changed: list[str]
    lines_added: int
    lines_removed: int
    tests_total: int | None
    tests_passed: int | None
    tests_failed: int | None
    pass_rate: float | None  # tests_passed / tests_total of the last test run
    trust_score: float
    impact: str | None
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None  # reached deployed, failed or cancelled
    deployed_at: datetime | None


class CodeChanges(msgspec.Struct, forbid_unknown_fields=True):
    """Changes made for a work order; several reports add up (files are a set). ``affected_files``
    is the original integration's name for ``files``."""

    work_order_id: WorkOrderId
    files: list[str] = []
    lines_added: Count = 0
    lines_removed: Count = 0
    affected_files: list[str] | None = None

    def __post_init__(self) -> None:
        fold_alias(self, "affected_files", self.affected_files, "files")
        self.affected_files = None


class TestCounts(msgspec.Struct, forbid_unknown_fields=True):
    """A test run nested as the original integration sends it (``test_results``)."""

    total: Count | None = None
    passed: Count | None = None
    failed: Count | None = None


class TestResults(msgspec.Struct, forbid_unknown_fields=True):
    """A test run; it replaces the previous one, and its pass rate becomes the trust. The counts
    come flat or nested in ``test_results`` (the original integration's shape)."""

    work_order_id: WorkOrderId
    # Required, flat or in test_results: None only until __post_init__ has folded them.
    total: Count = folded()
    passed: Count = folded()
    failed: Count = folded()  # 0 when given neither way
    test_results: TestCounts | None = None

    def __post_init__(self) -> None:
        fold_nested(self, "test_results")
        require(self, "total", "passed", where="test_results")
        if self.failed is None:
            self.failed = 0


class Deployed(msgspec.Struct, forbid_unknown_fields=True):
    work_order_id: WorkOrderId
    impact: str | None = None


class MoveWorkOrder(msgspec.Struct, forbid_unknown_fields=True):
    work_order_id: WorkOrderId
    state: WorkOrderState
    reason: str | None = None


class WorkOrderRef(msgspec.Struct, forbid_unknown_fields=True):
    work_order_id: WorkOrderId


class CodingStatsQuery(msgspec.Struct, forbid_unknown_fields=True):
    assigned_agent: str | None = None  # only this agent's work orders
    window_s: WindowSeconds | None = None  # only those created this recently


class Durations(msgspec.Struct):
    """Seconds; percentiles by the nearest-rank method."""

    count: int
    mean_s: float | None
    p50_s: float | None
    p95_s: float | None


class PassRates(msgspec.Struct):
    work_orders_tested: int
    mean: float | None  # mean of each tested work order's pass rate
    overall: float | None  # all passed tests / all tests


class CodingStats(msgspec.Struct):
    total: int
    by_state: dict[str, int]
    by_task_type: dict[str, int]
    lead_time: Durations  # created -> deployed
    cycle_time: Durations  # started (in_progress) -> deployed
    pass_rates: PassRates
    lines_added: int
    lines_removed: int


WORK_ORDER = Method(
    "coding_agent.work_order",
    CreateWorkOrder,
    WorkOrder,
    Role.agent,
    "Create a work order (state pending).",
    aliases=("create_work_order",),
)
CODE_CHANGES = Method(
    "coding_agent.code_changes",
    CodeChanges,
    WorkOrder,
    Role.agent,
    "Report files and lines changed for a work order.",
    aliases=("log_code_changes",),
)
TEST_RESULTS = Method(
    "coding_agent.test_results",
    TestResults,
    WorkOrder,
    Role.agent,
    "Report a test run; its pass rate sets the work order's trust.",
    aliases=("log_test_results",),
)
DEPLOYED = Method(
    "coding_agent.deployed",
    Deployed,
    WorkOrder,
    Role.agent,
    "Mark a work order in review as deployed, with its impact.",
    aliases=("mark_deployed", "log_deployment"),
)
STATUS = Method(
    "coding_agent.status",
    MoveWorkOrder,
    WorkOrder,
    Role.agent,
    "Move a work order along pending -> in_progress -> review -> deployed (or failed/cancelled).",
    aliases=("update_status", "update_work_order_status"),
)
GET = Method(
    "coding_agent.get",
    WorkOrderRef,
    WorkOrder,
    Role.reader,
    "One work order.",
    aliases=("get_work_order",),
)
STATS = Method(
    "coding_agent.stats",
    CodingStatsQuery,
    CodingStats,
    Role.reader,
    "Work orders by state, lead and cycle times, test pass rates.",
    aliases=("get_stats",),
)
