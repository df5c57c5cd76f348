"""What every console screen shares: failed workers are reported in one place, the app's;
screens that follow live events say which (``EVENT_TYPES``) and refresh soon after one,
at most once per ``REFRESH_DELAY`` — and only when shown (a hidden screen refreshes when
it comes back)."""

from __future__ import annotations

from typing import ClassVar

from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState


class ClarityScreen(Screen[None]):
    EVENT_TYPES: ClassVar[tuple[str, ...]] = ()
    """Prefixes of the event types this screen hears about (EventReceived); "" for all."""

    REFRESH_DELAY: ClassVar[float] = 0.4
    """Seconds to gather a burst of events into one refresh."""

    def __init__(self) -> None:
        super().__init__()
        self._refresh_timer: Timer | None = None
        self._stale = False

    def on_mount(self) -> None:
        if self.EVENT_TYPES:
            self.app.event_feed.listen(self, self.EVENT_TYPES)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        self.app.event_feed.unlisten(self)  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.action_refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker state messages go to the worker's node (this screen) and do not bubble.
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.app.report_error(event.worker.error)  # type: ignore[attr-defined]
            self.worker_failed(event.worker.error, event.worker.group)

    def worker_failed(self, error: BaseException, group: str) -> None:
        """Override to show a failure on the screen itself, as well as in a notification;
        ``group`` is the failed worker's group."""

    def action_refresh(self) -> None:
        """Ask the daemon again (screens override)."""

    def refresh_soon(self) -> None:
        """Something changed on the daemon: refresh shortly (or when next shown)."""
        if not self.is_current:
            self._stale = True
        elif self._refresh_timer is None:
            self._refresh_timer = self.set_timer(self.REFRESH_DELAY, self._refresh_due)

    def _refresh_due(self) -> None:
        self._refresh_timer = None
        if self.is_current:
            self.action_refresh()
        else:
            self._stale = True
