"""SQLite's WAL folded back into the database on a thread of its own, not by the writer.

By default the connection whose commit takes the WAL past 1,000 pages copies them back
(and syncs the file) before its commit returns: a group of agents' reports or files then
waits milliseconds to tens of milliseconds for it. Here the database's connections never
do that (``wal_autocheckpoint`` is 0 in SQLITE_PRAGMAS): after writes, this thread runs a
PASSIVE checkpoint, which copies what no reader still needs while the writer goes on.
"""

from __future__ import annotations

import logging
import threading

import peewee

log = logging.getLogger(__name__)

CHECKPOINT_S = 0.5  # how long after a write the WAL is folded back: at most twice a second


class Checkpointer:
    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def written(self) -> None:
        """A write committed: fold the WAL back soon (started by the first write)."""
        if self._thread is None and not self._stopping.is_set():
            self._thread = threading.Thread(target=self._run, name="db-checkpoint", daemon=True)
            self._thread.start()
        self._due.set()

    def stop(self) -> None:
        """Stop the thread (the last connection's close folds the WAL back in full)."""
        self._stopping.set()
        self._due.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            # stop() sets _stopping before _due: one that comes after the wait below and clears
            # its wake-up with ours is seen here, before the next wait (which would never end).
            while not self._stopping.is_set():
                self._due.wait()
                if self._stopping.wait(CHECKPOINT_S):  # meanwhile a burst of writes piles up
                    return
                self._due.clear()
                try:
                    self.db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
                    self.runs += 1
                except Exception as e:  # busy, or the database went away: the next write tries again
                    log.debug("WAL checkpoint failed: %s", e)
        finally:
            try:
                self.db.close()
            except peewee.PeeweeException:
                pass
