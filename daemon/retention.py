"""Retention: delete a history table's old rows, a batch per transaction.

Shared by the jobs that keep append-only tables bounded (``clarity_events``,
``clarity_agent_tasks``). The table needs an ``id`` primary key and an indexed ``created_at``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING
from collections.abc import Callable

import peewee

from .storage.models import utcnow

if TYPE_CHECKING:
    from .storage.store import Store

log = logging.getLogger(__name__)

PRUNE_BATCH = 10_000


def prune_older(model: type[peewee.Model], max_age: timedelta, batch: int = PRUNE_BATCH) -> int:
    """Delete up to ``batch`` rows of ``model`` older than ``max_age`` (call inside Store.write);
    how many went.

    Batches keep each transaction short, so the one writer is never held for long."""
    cutoff = utcnow() - max_age
    fields = model._meta.fields  # every model pruned here has an id and a created_at
    oldest = model.select(fields["id"]).where(fields["created_at"] < cutoff).order_by(fields["id"]).limit(batch)
    deleted: int = model.delete().where(fields["id"].in_(oldest)).execute()
    return deleted


async def prune_all(
    store: Store,
    model: type[peewee.Model],
    max_age: timedelta,
    stopping: Callable[[], bool] = lambda: False,
    batch: int = PRUNE_BATCH,
) -> int:
    """Delete every row of ``model`` older than ``max_age``, one batch per write, until none is
    left or the daemon stops; how many went."""
    total = 0
    while True:
        n = await store.write(prune_older, model, max_age, batch)
        total += n
        if n < batch or stopping():
            break
    if total:
        log.info("retention: %d row(s) of %s older than %s deleted", total, model._meta.table_name, max_age)
    return total
