"""The SQLite run store: one file in WAL mode, one server process writing, any number reading.

``synchronous=NORMAL`` in WAL mode keeps every committed transaction through a
crash of the process (SIGKILL included); ``fsync=True`` (``synchronous=FULL``)
keeps it through a power cut too. All writes of the process go through one
connection under a lock, so threads never wait in SQLite's busy handler; other
processes (``pyfn runs list``) read concurrently. A lock file beside the
database (``pyfn.db-lock``) lets one server at a time use it.

Example:
    >>> store = SQLiteStore(":memory:")
    >>> store.accept("wf", "forms", {"data": {}}).duplicate
    False
    >>> store.counts()
    {'available': 1}
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

from runtime.store import sql_writes as writes
from runtime.store import sqlite_ops as ops
from runtime.store.files import private_file
from runtime.store.base import RunStore
from runtime.store.records import Accepted, ClaimedRun, Purged, RunSummary, StoreBusy, now_iso, to_json_text
from runtime.store.sql_common import SQLStoreBase, dump
from runtime.store.sqlite_checkpoint import BACKSTOP_PAGES, Checkpointer

__all__ = ["SQLiteStore"]

_POLL_SECONDS = 0.25
_VACUUM_PAGES = 256  # pages returned to the file system per step of the incremental vacuum (1 MiB)
# the connection's page cache (SQLite's default is 2 MiB): a store of a million runs is 1.4 GB, and each delivery
# writes a leaf at a random place of three id indexes; with the default they are read back from the file each time
_CACHE_KIB = 64 * 1024


class SQLiteStore(SQLStoreBase, RunStore):
    """A :class:`~runtime.store.base.RunStore` in a SQLite file (``:memory:`` for a throwaway one).

    Example:
        >>> store = SQLiteStore(":memory:")
        >>> store.claim("worker-1") is None
        True
    """

    def __init__(self, path: str, fsync: bool = False):
        self.path = path
        if path != ":memory:":
            private_file(path)  # only the server's user reads the store (and its -wal, -shm)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect in a new file: purges can free space
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")  # grows only as pages are read: a small store stays small
        ops.create_schema(self._db)
        self._lock = threading.RLock()
        self._ended = threading.Condition(self._lock)
        self._lock_file: int | None = None
        self._registered = False
        self._batching = False  # a batch() transaction is open (read and set under the lock)
        self._checkpointer: Checkpointer | None = None

    @property
    def fsyncs_commits(self) -> bool:
        """``synchronous=FULL`` (``fsync=True``), read back from the database connection.

        Example:
            >>> SQLiteStore(":memory:", fsync=True).fsyncs_commits, SQLiteStore(":memory:").fsyncs_commits
            (True, False)
        """
        with self._lock:
            return self._db.execute("PRAGMA synchronous").fetchone()[0] >= 2

    # -- writing -----------------------------------------------------------------------------
    def _write(self, fn, *args):
        """Run ``fn(db, *args)`` in one immediate transaction under the process's write lock (or in
        the :meth:`batch` this thread has open)."""
        with self._lock:
            if self._batching:
                return fn(self._db, *args)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db, *args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One immediate transaction for every write inside (see :meth:`RunStore.batch`); the write lock is
        held throughout, so put only store calls inside.

        Example:
            >>> store = SQLiteStore(":memory:")
            >>> with store.batch():
            ...     first = store.accept("wf", None, {"data": 1})
            ...     second = store.accept("wf", None, {"data": 2})
            >>> store.counts()
            {'available': 2}
        """
        with self._lock:
            if self._batching:
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._batching = True
            try:
                yield
            except BaseException:
                self._batching = False
                self._db.execute("ROLLBACK")
                raise
            self._batching = False
            self._db.execute("COMMIT")

    def register_worker(self, worker_id: str) -> None:
        self._registered = True
        if self.path == ":memory:" or self._lock_file is not None:
            return
        fd = os.open(f"{self.path}-lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StoreBusy(f"{self.path} is in use by another pyfn serve ({holder})") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, worker {worker_id}".encode())
        self._lock_file = fd
        with self._lock:  # the server's writes no longer pay for checkpoints: a thread does them
            self._db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        self._checkpointer = Checkpointer(self.path)
        self._checkpointer.start()

    def upgrade_storage(self, say: Callable[[str], None]) -> None:
        """A file made before auto_vacuum (mode NONE) keeps the pages a purge frees: switch it to
        INCREMENTAL, which takes one ``VACUUM`` (a rewrite of the whole file: long on a big store)."""
        if self.path == ":memory:":
            return
        with self._lock:
            (mode,), = self._db.execute("PRAGMA auto_vacuum").fetchall()
            if mode != 0:
                return
            size = os.path.getsize(self.path)
            say(f"store {self.path} ({size / 2**20:,.0f} MiB) was made before auto_vacuum: switching it to "
                f"incremental (one VACUUM, a rewrite of the file; the server starts after it)")
            began = time.monotonic()
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("VACUUM")
            say(f"store {self.path} now gives purged space back: {os.path.getsize(self.path) / 2**20:,.0f} MiB "
                f"after VACUUM ({time.monotonic() - began:.1f} s)")

    def accept(self, workflow: str, trigger: str | None, input_state: Any, dedupe_key: str | None = None,
               priority: int = 1) -> Accepted:
        text = to_json_text(input_state)
        return self._write(ops.accept, workflow, trigger, text, dedupe_key, priority)

    def claim(self, worker_id: str, limits: Mapping[str, int] | None = None) -> ClaimedRun | None:
        return self._write(ops.claim, worker_id, dict(limits or {}))

    def run_now(self, run_id: str) -> bool:
        now = now_iso()
        return self._write(lambda db: db.execute(
            "UPDATE runs SET available_at = ? WHERE id = ? AND state = 'available' AND available_at > ?",
            (now, run_id, now)).rowcount) == 1

    def started(self, run_id: str, version: str | None = None) -> None:
        self._write(lambda db: db.execute("UPDATE runs SET state = 'started', started_at = ?, "
                                          "version = COALESCE(?, version) WHERE id = ? AND state = 'claimed'",
                                          (now_iso(), version, run_id)))

    def step_started(self, run_id: str, step: str, input_state: Any, at: str | None = None) -> None:
        self._write(lambda db: db.execute(
            "INSERT INTO steps (run_id, step, seq, input, started_at) VALUES (?, ?, "
            "(SELECT COUNT(*) FROM steps WHERE run_id = ?), ?, ?) ON CONFLICT (run_id, step) DO UPDATE "
            "SET input = excluded.input, started_at = excluded.started_at",
            (run_id, step, run_id, dump(input_state), at or now_iso())))

    def step_finished(self, run_id: str, step: str, output: Any, error: Any = None, at: str | None = None) -> None:
        values = (dump(output), dump(error), at or now_iso())
        self._write(lambda db: db.execute(
            "INSERT INTO steps (run_id, step, seq, output, error, finished_at) VALUES (?, ?, "
            "(SELECT COUNT(*) FROM steps WHERE run_id = ?), ?, ?, ?) ON CONFLICT (run_id, step) DO UPDATE "
            "SET output = excluded.output, error = excluded.error, finished_at = excluded.finished_at",
            (run_id, step, run_id, *values)))

    def append_logs(self, run_id: str, lines: Sequence[str | tuple[str, str]]) -> None:
        if lines:
            self._write(_append_logs, run_id, lines)

    def _wake_waiters(self) -> None:
        with self._ended:
            self._ended.notify_all()

    def recover_lost(self, alive_worker_ids: list[str]) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(f"SELECT id, worker FROM runs WHERE state IN {ops.ACTIVE}").fetchall()
            lost = [run_id for run_id, worker in rows if worker not in alive_worker_ids]
            return [(run_id, new_id) for run_id in lost if (new_id := self.lose(run_id))]

    def purge(self, workflow: str, *, history_before: str | None = None,
              dataclips_before: str | None = None, stop: threading.Event | None = None) -> Purged:
        """Purge in batches (see the base class), then give the freed pages back to the file system."""
        purged = super().purge(workflow, history_before=history_before, dataclips_before=dataclips_before,
                               stop=stop)
        if purged.deleted or purged.wiped:
            self._return_space()
        return purged

    def _kept(self, workflow: str) -> list[str]:
        """Read on a connection of its own (WAL: deliveries are written meanwhile), not under the write lock."""
        if self.path == ":memory:":
            return super()._kept(workflow)
        reader = sqlite3.connect(self.path, timeout=10)
        try:
            return writes.kept(reader, self._dialect, workflow)
        finally:
            reader.close()

    def _return_space(self) -> None:
        """``incremental_vacuum`` a step at a time until no page is free (a file made before auto_vacuum
        keeps its pages: mode 0)."""
        with self._lock:
            (mode,), = self._db.execute("PRAGMA auto_vacuum").fetchall()
        free = None
        while mode == 2:  # INCREMENTAL
            began = time.monotonic()
            with self._lock:
                (left,), = self._db.execute("PRAGMA freelist_count").fetchall()
                if not left or left == free:
                    return
                self._db.execute(f"PRAGMA incremental_vacuum({_VACUUM_PAGES})").fetchall()
            free = left
            self._pause_after(time.monotonic() - began)

    # -- reading -----------------------------------------------------------------------------
    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    _query = _read
    _ops = ops
    _dialect = ops.DIALECT
    _purge_pause = 1.0

    @staticmethod
    def _filters(**filters: Any) -> tuple[str, tuple]:
        return _filters(**filters)

    def _id_candidates(self, table: str, ident: str) -> list[str]:
        # a key range, not LIKE (case-insensitive in SQLite, so it reads every row): ids that start with ident
        if not ident:
            return [row[0] for row in self._read(f"SELECT id FROM {table} LIMIT 3")]
        upper = ident[:-1] + chr(ord(ident[-1]) + 1)
        return [row[0] for row in self._read(f"SELECT id FROM {table} WHERE id >= ? AND id < ? ORDER BY id LIMIT 3",
                                             (ident, upper))]

    def wait_for(self, run_id: str, timeout: float) -> RunSummary | None:
        deadline = time.monotonic() + timeout
        with self._ended:
            while True:
                summary = self._summary(run_id)
                remaining = deadline - time.monotonic()
                if summary is None or summary.final or remaining <= 0:
                    return summary
                self._ended.wait(min(remaining, _POLL_SECONDS))

    def server_running(self) -> bool:
        if self._registered or self._lock_file is not None:
            return True
        if self.path == ":memory:":
            return False
        try:
            fd = os.open(f"{self.path}-lock", os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing releases a lock it got
        return False

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._lock:
            self._db.close()
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None


def _append_logs(db: sqlite3.Connection, run_id: str, lines: Sequence[str | tuple[str, str]]) -> None:
    (last,), = db.execute("SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?", (run_id,)).fetchall()
    now = now_iso()
    rows = [(run_id, last + i, *((now, line) if isinstance(line, str) else line))
            for i, line in enumerate(lines, start=1)]
    db.executemany("INSERT INTO logs (run_id, seq, at, line) VALUES (?, ?, ?, ?)", rows)


def _filters(**filters: Any) -> tuple[str, tuple]:
    """``WHERE`` on runs ``r`` and work orders ``w``: each filter a value or a sequence of values (``None``: any)."""
    columns = {"workflow": "r.workflow", "state": "r.state", "trigger": "w.trigger", "work_order": "r.work_order_id"}
    clauses, params = [], []
    for name, value in filters.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str) else list(value)
        clauses.append(f"{columns[name]} IN ({', '.join('?' for _ in values)})" if values else "0")
        params.extend(values)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)
