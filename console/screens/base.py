"""What every console screen shares: failed workers are reported in one place, the app's;
screens that follow live events say which (``EVENT_TYPES``) and refresh soon after one,
at most once per ``REFRESH_DELAY`` — and only when shown (a hidden screen refreshes when
it comes back). Every screen shows the banner while the daemon is unreachable, and asks
again once it answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from ..messages import EventStreamChanged, RowsExported
from ..widgets.banner import ConnectionBanner
from ..widgets.mode_bar import ModeBar

if TYPE_CHECKING:  # the app imports every screen: a runtime import here would be circular
    from daemon.client import AsyncClient

    from ..app import ClarityApp


class ClarityScreen(Screen[None]):
    MODE: ClassVar[str] = ""
    """The app's mode that shows this screen (highlighted in the mode bar)."""

    EVENT_TYPES: ClassVar[tuple[str, ...]] = ()
    """Prefixes of the event types this screen hears about (EventReceived); "" for all."""

    REFRESH_DELAY: ClassVar[float] = 0.4
    """Seconds to gather a burst of events into one refresh."""

    def __init__(self) -> None:
        super().__init__()
        self._refresh_timer: Timer | None = None
        self._stale = False
        self._was_unreachable = False

    @property
    def clarity(self) -> ClarityApp:
        """The app, typed as the ClarityApp it is (Textual types ``self.app`` as any App)."""
        return cast("ClarityApp", self.app)

    @property
    def client(self) -> AsyncClient:
        """The console's one client to the daemon (the app's); every RPC goes through it."""
        return self.clarity.client

    def on_mount(self) -> None:
        self.mount(ConnectionBanner(id="banner", classes="banner"), before=0)
        self.mount(ModeBar(self.MODE, id="mode-bar"), before=0)
        # Every screen listens, if only to hear whether the daemon can be reached ("()": no events).
        self.clarity.event_feed.listen(self, self.EVENT_TYPES)

    def on_event_stream_changed(self, message: EventStreamChanged) -> None:
        self.query_one("#banner", ConnectionBanner).show_state(message.reachable, message.detail, message.retry_s)
        if not message.reachable:
            self._was_unreachable = True
            self.daemon_unreachable(message.detail)
        elif message.live and self._was_unreachable:
            self._was_unreachable = False
            self.refresh_soon()  # it is back: what is shown may be out of date

    def daemon_unreachable(self, detail: str) -> None:
        """Override to show, on the screen itself, that what it shows may be stale."""

    def on_unmount(self) -> None:
        self.clarity.event_feed.unlisten(self)

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.action_refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker state messages go to the worker's node (this screen) and do not bubble.
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.clarity.report_error(event.worker.error)
            self.worker_failed(event.worker.error, event.worker.group)

    def worker_failed(self, error: BaseException, group: str) -> None:
        """Override to show a failure on the screen itself, as well as in a notification;
        ``group`` is the failed worker's group."""

    def on_rows_exported(self, message: RowsExported) -> None:
        """An export was written (Tables, Query): said the same way on every screen."""
        more = " (truncated: more rows matched than the export limit)" if message.truncated else ""
        self.notify(
            f"{message.rows} row(s) written to {message.path} as {message.format}{more}.",
            title="Exported",
            severity="warning" if message.truncated else "information",
            timeout=8,
        )

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
