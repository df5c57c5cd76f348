"""The arithmetic behind the stats methods, kept apart so tests can check it by hand."""

from __future__ import annotations

import math
from datetime import datetime
from collections.abc import Iterable, Sequence

TRUST_WEIGHT_RATE = 0.7  # the original system's rule: 0.7 x success rate + 0.3 x previous trust
TRUST_WEIGHT_PREVIOUS = 0.3
INITIAL_TRUST = 0.5  # the common trust_score default of every memory row


def next_trust(successes: int, total: int, previous: float | None) -> float:
    """Trust after an outcome: 0.7 x success rate (``successes / total``) + 0.3 x previous trust."""
    rate = successes / total if total else 0.0
    prior = INITIAL_TRUST if previous is None else previous
    return TRUST_WEIGHT_RATE * rate + TRUST_WEIGHT_PREVIOUS * prior


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``p`` percent at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()
