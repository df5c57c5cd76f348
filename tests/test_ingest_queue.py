"""The ingestion queue (Pipeline.submit and its workers): a path asked for while it is being
read is looked at once more afterwards, with what the later request asked for."""

from __future__ import annotations

import asyncio
import itertools

from daemon.ingest.pipeline import Pipeline


async def test_a_retry_asked_for_during_a_second_pass_is_not_lost():
    """The watcher hands a file over twice (a second pass follows the first), and the operator's
    retry (force) arrives during the second pass: a third pass runs, forced."""
    # A Pipeline with its queue and one worker; its passes over a file only record their force.
    pipe = object.__new__(Pipeline)
    pipe._queue, pipe._jobs, pipe._order, pipe.stopping = asyncio.PriorityQueue(), {}, itertools.count(), False
    passes: list[bool] = []
    started = [asyncio.Event() for _ in range(3)]
    finish = [asyncio.Event() for _ in range(3)]

    async def process(path, force, callers):
        n = len(passes)
        passes.append(force)
        started[n].set()
        await finish[n].wait()
        return {"passes": n + 1}

    pipe._process = process
    worker = asyncio.create_task(pipe._work())
    try:
        done = pipe.submit("/inbox/a.txt")
        await started[0].wait()
        pipe.submit("/inbox/a.txt")  # the watcher again, while the first pass runs
        finish[0].set()
        await started[1].wait()
        pipe.submit("/inbox/a.txt", force=True)  # ingest.retry, during the second pass
        finish[1].set()
        finish[2].set()
        assert (await asyncio.wait_for(done, 5)) == {"passes": 3}
        assert passes == [False, False, True]
        assert pipe._jobs == {}
    finally:
        worker.cancel()
