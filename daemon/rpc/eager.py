"""Start a coroutine at once, on the caller's turn of the event loop; a task only if it waits.

Each message used to get a task of its own: one more turn of the event loop per call (a
handle scheduled, a selector poll, the task stepped) before the handler even began. Most
calls (system.health, a heartbeat answered from memory) never wait at all, so they are run
here to their end, reply written, on the read loop's turn, as Python 3.12's eager tasks do.
One that does wait carries on in a task from where it stopped.

While the eager part runs, asyncio.current_task() is the caller's task: code that binds to
the current task (asyncio.timeout, TaskGroup) must not run before a handler's first wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


def start_eagerly(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
    """Run ``coro`` until it first waits: None if it finished by then (its result is
    dropped; an exception propagates), else a task that carries it on."""
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_carry_on(coro, waiting_on))


async def _carry_on(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Any:
    return await _Resumed(coro, waiting_on)


class _Resumed:
    """Awaitable that hands the task what ``coro`` waits on, and ``coro`` what the task sends
    or throws back (a cancellation too): ``yield from coro`` for a coroutine already begun."""

    def __init__(self, coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self.coro, self.waiting_on = coro, waiting_on

    def __await__(self) -> Generator[Any, None, Any]:
        coro, waiting_on = self.coro, self.waiting_on
        while True:
            try:
                yield waiting_on
            except BaseException as e:  # thrown in by the task (a cancellation too): pass it on
                try:
                    waiting_on = coro.throw(e)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting_on = coro.send(None)
                except StopIteration as stop:
                    return stop.value
