"""Delivering alerts: POST to a webhook, or run a command with the event on stdin.

Nothing here ever makes the daemon wait. Deliveries go into a bounded queue that a few worker
tasks empty; a webhook is POSTed from a small thread pool of its own with the rule's timeout,
a command runs as a subprocess that is killed at the timeout. A failed try is queued again
after a backoff (1 s, 2 s, 4 s… by default) until the rule's ``max_attempts``; a full queue drops
the delivery, and says so. The last deliveries are kept for ``alerts.deliveries``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import urllib.error
import urllib.request
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, UTC
from typing import Any

import msgspec

from .rules import AlertRule, masked

log = logging.getLogger("clarityd.alerts")
QUEUE = 1000  # deliveries waiting at most; more are dropped (and logged)
WORKERS = 4  # deliveries in flight at once
KEEP = 1000  # delivery records kept for alerts.deliveries
MAX_BACKOFF_S = 300.0
NO_RETRY = {400, 401, 403, 404, 405, 410, 413, 422}  # the receiver refuses the request itself


class Attempt:
    """One delivery of one event to one target (a webhook or a command), over its tries."""

    def __init__(self, rule: AlertRule, target: str, event: dict[str, Any], body: bytes) -> None:
        self.rule = rule
        self.target = target  # "webhook" or "command"
        self.event = event
        self.body = body
        self.tries = 0
        self.timer: asyncio.TimerHandle | None = None  # the wait before the next try


class Deliveries:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Attempt] = asyncio.Queue(QUEUE)
        self.records: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._ids = itertools.count(1)
        self._http = ThreadPoolExecutor(WORKERS, thread_name_prefix="alert-webhook")
        self._tasks: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self.stats = {"delivered": 0, "failed": 0, "dropped": 0}

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work()) for _ in range(WORKERS)]

    def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for h in self._timers:
            h.cancel()
        self._http.shutdown(wait=False, cancel_futures=True)

    @property
    def pending(self) -> int:
        """Deliveries queued or waiting to be tried again."""
        return self.queue.qsize() + len(self._timers)

    def send(self, rule: AlertRule, event: dict[str, Any]) -> None:
        """Queue the event for each of the rule's targets (never waits)."""
        body = msgspec.json.encode({**event, "alert": rule.name})
        for target in ("webhook", "command"):
            if rule.webhook if target == "webhook" else rule.command:
                self._offer(Attempt(rule, target, event, body))

    def _offer(self, attempt: Attempt) -> None:
        try:
            self.queue.put_nowait(attempt)
        except asyncio.QueueFull:
            self._record(attempt, "dropped", f"more than {QUEUE} deliveries waiting", 0.0)

    async def _work(self) -> None:
        while True:
            attempt = await self.queue.get()
            attempt.tries += 1
            started = time.monotonic()
            try:
                ok, retry, detail = await (self._post(attempt) if attempt.target == "webhook" else self._run(attempt))
            except Exception as e:  # a bug here must not end the worker
                log.exception("alert delivery failed unexpectedly")
                ok, retry, detail = False, False, f"internal error: {e}"
            took = (time.monotonic() - started) * 1000
            if ok:
                self._record(attempt, "delivered", detail, took)
            elif retry and attempt.tries < attempt.rule.max_attempts:
                delay = min(attempt.rule.backoff_s * 2 ** (attempt.tries - 1), MAX_BACKOFF_S)
                self._record(attempt, "retrying", f"{detail}; again in {delay:g} s", took)
                attempt.timer = asyncio.get_running_loop().call_later(delay, self._retry, attempt)
                self._timers.add(attempt.timer)
            else:
                self._record(attempt, "failed", detail, took)

    def _retry(self, attempt: Attempt) -> None:
        if attempt.timer is not None:
            self._timers.discard(attempt.timer)
        self._offer(attempt)

    async def _post(self, attempt: Attempt) -> tuple[bool, bool, str]:
        """(delivered, worth retrying, what happened)."""
        rule = attempt.rule

        def post() -> tuple[bool, bool, str]:
            request = urllib.request.Request(
                rule.webhook,
                data=attempt.body,
                method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "clarityd-alerts"},
            )
            try:
                # http(s) only: the rule checked the URL's scheme.
                with urllib.request.urlopen(request, timeout=rule.timeout_s) as response:  # noqa: S310
                    return True, False, f"HTTP {response.status}"
            except urllib.error.HTTPError as e:
                return False, e.code not in NO_RETRY, f"HTTP {e.code}"
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                return False, True, f"unreachable: {reason}"

        loop = asyncio.get_running_loop()
        try:
            # The thread's own timeout bounds each socket operation; this bounds the whole try.
            return await asyncio.wait_for(loop.run_in_executor(self._http, post), rule.timeout_s * 2 + 1)
        except TimeoutError:
            return False, True, f"no answer within {rule.timeout_s:g} s"

    async def _run(self, attempt: Attempt) -> tuple[bool, bool, str]:
        rule = attempt.rule
        try:
            proc = await asyncio.create_subprocess_exec(
                *rule.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as e:
            return False, False, f"cannot run {rule.command[0]}: {e.strerror or e}"
        try:
            _, err = await asyncio.wait_for(proc.communicate(attempt.body), rule.timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return False, True, f"killed after {rule.timeout_s:g} s"
        if proc.returncode == 0:
            return True, False, "exit 0"
        tail = err.decode(errors="replace").strip().splitlines()[-1:] if err else []
        return False, True, f"exit {proc.returncode}" + (f": {tail[0][:200]}" if tail else "")

    def _record(self, attempt: Attempt, status: str, detail: str, took_ms: float) -> None:
        if status in self.stats:
            self.stats[status] += 1
        event, rule = attempt.event, attempt.rule
        record = {
            "id": next(self._ids),
            "rule": rule.name,
            "target": attempt.target,
            "destination": masked(rule.webhook) if attempt.target == "webhook" else " ".join(rule.command),
            "event_id": event.get("id"),
            "event_type": event["type"],
            "subject": event.get("subject", ""),
            "attempt": attempt.tries,
            "status": status,
            "detail": detail,
            "duration_ms": round(took_ms, 1),
            "at": datetime.now(UTC),
        }
        self.records.append(record)
        level = logging.INFO if status == "delivered" else logging.WARNING
        log.log(
            level,
            "alert %s: %s %s of %s (try %d): %s",
            attempt.rule.name,
            attempt.target,
            status,
            event["type"],
            attempt.tries,
            detail,
        )
