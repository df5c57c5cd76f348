"""What every console screen shares: failed workers are reported in one place, the app's."""

from __future__ import annotations

from textual.screen import Screen
from textual.worker import Worker, WorkerState


class ClarityScreen(Screen[None]):
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker state messages go to the worker's node (this screen) and do not bubble.
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.app.report_error(event.worker.error)  # type: ignore[attr-defined]
            self.worker_failed(event.worker.error)

    def worker_failed(self, error: BaseException) -> None:
        """Override to show a failure on the screen itself, as well as in a notification."""
