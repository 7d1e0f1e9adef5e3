"""WAL checkpoints of a serving process's SQLite store, off the path of the writes.

SQLite copies its write-ahead log back into the database file (a checkpoint) in whichever
connection commits past ``wal_autocheckpoint`` pages, and that copy syncs the file: the
webhook delivery that happened to commit then waits for it. A server (the process holding the
store's lock) checkpoints in a thread of its own instead, every ``interval_s``, with ``PASSIVE``
checkpoints that never block a writer or a reader; the writers' automatic checkpoint stays as a
backstop, far out (:data:`BACKSTOP_PAGES`). Durability does not change: a transaction is kept
once its commit is in the log (``synchronous`` says how surely).

Example:
    >>> import tempfile, pathlib
    >>> folder = tempfile.mkdtemp()
    >>> checkpointer = Checkpointer(str(pathlib.Path(folder) / "pyfn.db"), interval_s=0.01)
    >>> checkpointer.start(); checkpointer.stop()
"""

from __future__ import annotations

import sqlite3
import threading

__all__ = ["BACKSTOP_PAGES", "Checkpointer"]

BACKSTOP_PAGES = 10_000  # about 40 MB of log before a writer checkpoints itself


class Checkpointer:
    """A daemon thread running ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection every ``interval_s``."""

    def __init__(self, path: str, interval_s: float = 0.25):
        self.path, self.interval_s = path, interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pyfn-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after the checkpoint in progress, if any."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        try:
            while not self._stopping.wait(self.interval_s):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    continue  # busy or locked now: the next turn, or the writers' backstop
        finally:
            db.close()
