"""Coding-agent work orders: creation, code changes, test runs, the enforced lifecycle, stats.

    pending -> in_progress -> review -> deployed        (failed, cancelled: from any open state)

A move off that path is INVALID_STATE. A test run's pass rate becomes the work order's trust.
Rows go straight into ``memory_coding_work_orders`` (agent-reported facts, no proposal); every
change emits an event with subject ``work_order/<work_order_id>``: work_order.created,
work_order.code_changes, work_order.test_results, work_order.status, work_order.deployed.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

from ..errors import Conflict, InvalidParams, InvalidState
from ..protocol import coding_agent as p
from ..storage.models import utcnow
from .figures import INITIAL_TRUST, mean, percentile, seconds_between
from .records import TableService, aware, find, lock, need

TABLE = "coding_agent"
NEXT_STATE = {"pending": "in_progress", "in_progress": "review", "review": "deployed"}
CLOSING_STATES = ("failed", "cancelled")


def state_of(row: Any) -> str:
    """The work order's state; a row recorded without one (an ingested file) is pending."""
    return row.state or "pending"


def subject(work_order_id: str) -> str:
    return f"work_order/{work_order_id}"


def check_move(work_order_id: str, current: str | None, target: str) -> None:
    """Raise InvalidState unless ``current -> target`` is on the lifecycle."""
    if current not in p.OPEN_STATES:
        raise InvalidState(f"work order {work_order_id!r} is {current}: it is closed and cannot move to {target}")
    if target in CLOSING_STATES or NEXT_STATE[current] == target:
        return
    raise InvalidState(
        f"work order {work_order_id!r} cannot move from {current} to {target}; "
        f"next is {NEXT_STATE[current]} (or failed, cancelled)"
    )


def to_work_order(row: Any) -> p.WorkOrder:
    total, passed = row.tests_total, row.tests_passed
    return p.WorkOrder(
        id=row.id,
        work_order_id=row.work_order_id,
        title=row.title,
        description=row.description,
        task_type=row.task_type,
        priority=row.priority,
        assigned_agent=row.assigned_agent,
        state=state_of(row),
        files_changed=list(row.files_changed or []),
        lines_added=row.lines_added or 0,
        lines_removed=row.lines_removed or 0,
        tests_total=total,
        tests_passed=passed,
        tests_failed=row.tests_failed,
        pass_rate=(passed or 0) / total if total else None,
        trust_score=row.trust_score,
        impact=row.impact,
        created_at=aware(row.created_at),
        started_at=aware(row.started_at),
        completed_at=aware(row.completed_at),
        deployed_at=aware(row.deployed_at),
    )


class CodingAgent(TableService):
    table = TABLE

    # -- writes (writer thread) -----------------------------------------------------------

    def create(self, params: p.CreateWorkOrder, actor: str) -> p.WorkOrder:
        wid = params.work_order_id or f"wo-{uuid.uuid4().hex[:12]}"
        lock(self.store, subject(wid))
        if find(self.model, "work_order_id", wid) is not None:
            raise Conflict(f"work order {wid!r} already exists")
        row = self.model.create(
            work_order_id=wid,
            title=params.title,
            description=params.description,
            task_type=params.task_type,
            priority=params.priority,
            assigned_agent=params.assigned_agent,
            state="pending",
            files_changed=[],
            lines_added=0,
            lines_removed=0,
            source=actor,
            trust_score=INITIAL_TRUST,
        )
        self.events.emit(
            "work_order.created",
            subject(wid),
            {
                "row_id": row.id,
                "title": row.title,
                "task_type": row.task_type,
                "priority": row.priority,
                "assigned_agent": row.assigned_agent,
            },
            actor,
        )
        return to_work_order(row)

    def code_changes(self, params: p.CodeChanges, actor: str) -> p.WorkOrder:
        row = self._open_row(params.work_order_id, "report code changes for")
        files = list(dict.fromkeys([*(row.files_changed or []), *params.files]))
        row.files_changed = files
        row.lines_added = (row.lines_added or 0) + params.lines_added
        row.lines_removed = (row.lines_removed or 0) + params.lines_removed
        self._save(row)
        self.events.emit(
            "work_order.code_changes",
            subject(row.work_order_id),
            {
                "files": params.files,
                "lines_added": params.lines_added,
                "lines_removed": params.lines_removed,
            },
            actor,
        )
        return to_work_order(row)

    def test_results(self, params: p.TestResults, actor: str) -> p.WorkOrder:
        if params.passed + params.failed > params.total:
            raise InvalidParams(f"passed ({params.passed}) + failed ({params.failed}) exceed total ({params.total})")
        row = self._open_row(params.work_order_id, "report test results for")
        row.tests_total, row.tests_passed, row.tests_failed = params.total, params.passed, params.failed
        pass_rate = params.passed / params.total if params.total else None
        if pass_rate is not None:
            row.trust_score = pass_rate  # a test run's pass rate sets the trust
        self._save(row)
        self.events.emit(
            "work_order.test_results",
            subject(row.work_order_id),
            {
                "total": params.total,
                "passed": params.passed,
                "failed": params.failed,
                "pass_rate": pass_rate,
                "trust_score": row.trust_score,
            },
            actor,
        )
        return to_work_order(row)

    def move(
        self, work_order_id: str, target: str, actor: str, reason: str | None = None, impact: str | None = None
    ) -> p.WorkOrder:
        lock(self.store, subject(work_order_id))
        row = need(self.model, "work_order_id", work_order_id, "work order")
        current = state_of(row)
        check_move(work_order_id, current, target)
        now = utcnow()
        row.state = target
        if target == "in_progress" and row.started_at is None:
            row.started_at = now
        if target == "deployed":
            row.deployed_at = now
            if impact is not None:
                row.impact = impact
        if target not in p.OPEN_STATES:
            row.completed_at = now
        self._save(row, now)
        kind = "work_order.deployed" if target == "deployed" else "work_order.status"
        payload: dict[str, Any] = {"from": current, "to": target, "reason": reason}
        if target == "deployed":
            payload["impact"] = row.impact
        self.events.emit(kind, subject(work_order_id), payload, actor)
        return to_work_order(row)

    # -- reads (reader threads) -----------------------------------------------------------

    def get(self, work_order_id: str) -> p.WorkOrder:
        return to_work_order(need(self.model, "work_order_id", work_order_id, "work order"))

    def stats(self, params: p.CodingStatsQuery) -> p.CodingStats:
        m = self.model
        query = m.select(
            m.state,
            m.task_type,
            m.created_at,
            m.started_at,
            m.deployed_at,
            m.tests_total,
            m.tests_passed,
            m.lines_added,
            m.lines_removed,
        )
        if params.assigned_agent is not None:
            query = query.where(m.assigned_agent == params.assigned_agent)
        if params.window_s is not None:
            query = query.where(m.created_at >= utcnow() - timedelta(seconds=params.window_s))
        rows = list(query.tuples())
        by_state: Counter[str] = Counter({s: 0 for s in p.STATES})
        by_type: Counter[str] = Counter()
        lead, cycle, rates = [], [], []
        tests = passed_all = added = removed = 0
        for state, task_type, created, started, deployed, total, passed, plus, minus in rows:
            by_state[state or "pending"] += 1  # as state_of()
            by_type[task_type or "unknown"] += 1
            if state == "deployed":
                if (s := seconds_between(created, deployed)) is not None:
                    lead.append(s)
                if (s := seconds_between(started, deployed)) is not None:
                    cycle.append(s)
            if total:
                rates.append((passed or 0) / total)
                tests += total
                passed_all += passed or 0
            added += plus or 0
            removed += minus or 0
        return p.CodingStats(
            total=len(rows),
            by_state=dict(by_state),
            by_task_type=dict(sorted(by_type.items())),
            lead_time=_durations(lead),
            cycle_time=_durations(cycle),
            pass_rates=p.PassRates(
                work_orders_tested=len(rates), mean=mean(rates), overall=passed_all / tests if tests else None
            ),
            lines_added=added,
            lines_removed=removed,
        )

    # -- helpers --------------------------------------------------------------------------

    def _open_row(self, work_order_id: str, doing: str) -> Any:
        lock(self.store, subject(work_order_id))
        row = need(self.model, "work_order_id", work_order_id, "work order")
        if state_of(row) not in p.OPEN_STATES:
            raise InvalidState(f"cannot {doing} work order {work_order_id!r}: it is {row.state}")
        return row

    def _save(self, row: Any, now: Any = None) -> None:
        row.updated_at = now or utcnow()
        row.version = (row.version or 0) + 1
        row.save(only=row.dirty_fields)


def _durations(values: list[float]) -> p.Durations:
    return p.Durations(
        count=len(values), mean_s=mean(values), p50_s=percentile(values, 50), p95_s=percentile(values, 95)
    )
