"""Self-healing playbook runs: one row per run in ``memory_self_healing_playbooks``.

A playbook's trust follows the sub-agent rule: after each run, 0.7 x the playbook's success
rate so far + 0.3 x its trust before the run (0.5 before the first). Each run row stores the
trust after it, so the latest row holds the playbook's trust. Every run emits
``playbook.run`` with subject ``playbook/<playbook_name>``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import msgspec
import peewee

from ..errors import NotFound
from ..protocol import self_healing as p
from ..storage.models import utcnow
from .figures import mean, next_trust, percentile
from .records import TableService, aware, lock, naive_utc

TABLE = "self_healing"


def subject(playbook_name: str) -> str:
    return f"playbook/{playbook_name}"


class SelfHealing(TableService):
    table = TABLE

    # -- writes (writer thread) -----------------------------------------------------------

    def log(self, params: p.LogPlaybookRun, actor: str) -> p.PlaybookRun:
        m = self.model
        lock(self.store, subject(params.playbook_name))
        runs = m.select().where(m.playbook_name == params.playbook_name)
        before = runs.count()
        successes = runs.where(m.success == True).count()  # noqa: E712  (SQL, not Python)
        last = runs.select(m.trust_score).order_by(m.id.desc()).first()
        total, good = before + 1, successes + (1 if params.success else 0)
        trust = next_trust(good, total, last.trust_score if last else None)
        executed_at = naive_utc(params.executed_at) or utcnow()
        fields = {
            name: getattr(params, name)
            for name in (
                "playbook_name",
                "success",
                "trigger_conditions",
                "trigger_event",
                "actions",
                "target_components",
                "duration_ms",
                "risk_level",
                "error",
                "rolled_back",
                "approved_by",
                "attempt",
                "health_before",
                "health_after",
            )
        }
        row = m.create(**msgspec.to_builtins(fields), executed_at=executed_at, trust_score=trust, source=actor)
        self.events.emit(
            "playbook.run",
            subject(params.playbook_name),
            {
                "row_id": row.id,
                "success": params.success,
                "duration_ms": params.duration_ms,
                "risk_level": params.risk_level,
                "target_components": params.target_components,
                "trust_score": trust,
                "error": params.error,
            },
            actor,
        )
        return p.PlaybookRun(
            id=row.id,
            playbook_name=params.playbook_name,
            success=params.success,
            duration_ms=params.duration_ms,
            risk_level=params.risk_level,
            executed_at=aware(executed_at),
            runs=total,
            success_rate=good / total,
            trust_score=trust,
        )

    # -- reads (reader threads) -----------------------------------------------------------

    def stats(self, params: p.PlaybookRef) -> p.PlaybookStats:
        found = self._collect(params.window_s, params.playbook_name)
        if params.playbook_name not in found:
            if self.model.select().where(self.model.playbook_name == params.playbook_name).exists():
                return _figures(params.playbook_name, [], self._latest_trust([params.playbook_name]))
            raise NotFound(f"no playbook {params.playbook_name!r} has run")
        return _figures(params.playbook_name, found[params.playbook_name], self._latest_trust([params.playbook_name]))

    def top(self, params: p.TopPlaybooks) -> list[p.PlaybookStats]:
        found = self._collect(params.window_s, None)
        trusts = self._latest_trust(list(found))
        stats = [_figures(name, runs, trusts) for name, runs in found.items() if len(runs) >= params.min_runs]
        key = {
            "runs": lambda s: (-s.runs, s.playbook_name),
            "success_rate": lambda s: (-(s.success_rate or 0), -s.runs, s.playbook_name),
            "trust": lambda s: (-s.trust_score, -s.runs, s.playbook_name),
        }[params.by]
        return sorted(stats, key=key)[: params.limit]

    def _collect(self, window_s: float | None, name: str | None) -> dict[str, list[tuple[Any, ...]]]:
        """Runs by playbook, oldest first: (id, success, duration_ms, rolled_back, executed_at).

        A run row that arrived without ``executed_at`` (from an ingested file, through a
        proposal) counts as run when it was recorded."""
        m = self.model
        query = m.select(m.playbook_name, m.id, m.success, m.duration_ms, m.rolled_back, m.executed_at, m.created_at)
        if name is not None:
            query = query.where(m.playbook_name == name)
        if window_s is not None:
            cutoff = utcnow() - timedelta(seconds=window_s)
            query = query.where((m.executed_at >= cutoff) | (m.executed_at.is_null() & (m.created_at >= cutoff)))
        found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        rows = query.where(m.playbook_name.is_null(False)).order_by(m.id).tuples()
        for playbook, *run, executed_at, created_at in rows:
            found[playbook].append((*run, executed_at or created_at))
        return found

    def _latest_trust(self, names: list[str]) -> dict[str, float]:
        """Each playbook's trust: that of its latest run (by arrival), whatever the window."""
        if not names:
            return {}
        m = self.model
        latest = (
            m.select(m.playbook_name, peewee.fn.MAX(m.id).alias("last"))
            .where(m.playbook_name.in_(names))
            .group_by(m.playbook_name)
        )
        rows = m.select(m.playbook_name, m.trust_score).where(m.id.in_([r.last for r in latest]))
        return {name: trust for name, trust in rows.tuples()}


def _figures(name: str, runs: list[tuple[Any, ...]], trusts: dict[str, float]) -> p.PlaybookStats:
    successes = sum(1 for _, ok, *_ in runs if ok)
    durations = [d for _, _, d, *_ in runs if d is not None]
    last = max(runs, key=lambda r: (r[4], r[0])) if runs else None
    return p.PlaybookStats(
        playbook_name=name,
        runs=len(runs),
        successes=successes,
        failures=len(runs) - successes,
        success_rate=successes / len(runs) if runs else None,
        mean_duration_ms=mean(durations),
        p95_duration_ms=percentile(durations, 95),
        rolled_back=sum(1 for r in runs if r[3]),
        last_run_at=aware(last[4]) if last else None,
        last_success=bool(last[1]) if last else None,
        trust_score=trusts.get(name, 0.5),
    )
