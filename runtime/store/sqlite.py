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
import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Sequence

from . import (AmbiguousId, Accepted, ClaimedRun, RunDetail, RunStore, RunSummary, StepRecord, StoreBusy,
               FINAL_STATES, now_iso, to_json_text)

__all__ = ["SQLiteStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS work_orders (
  id TEXT PRIMARY KEY, workflow TEXT NOT NULL, trigger TEXT, dedupe_key TEXT,
  input TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (workflow, dedupe_key));
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, work_order_id TEXT NOT NULL REFERENCES work_orders (id), workflow TEXT NOT NULL,
  state TEXT NOT NULL, error_type TEXT, priority INTEGER NOT NULL DEFAULT 1, attempt INTEGER NOT NULL DEFAULT 1,
  worker TEXT, inserted_at TEXT NOT NULL, claimed_at TEXT, started_at TEXT, finished_at TEXT,
  final_state TEXT, webhook_response TEXT);
CREATE INDEX IF NOT EXISTS runs_queue ON runs (state, priority, inserted_at);
CREATE INDEX IF NOT EXISTS runs_work_order ON runs (work_order_id);
CREATE INDEX IF NOT EXISTS runs_workflow ON runs (workflow, inserted_at);
CREATE TABLE IF NOT EXISTS steps (
  run_id TEXT NOT NULL REFERENCES runs (id), step TEXT NOT NULL, seq INTEGER NOT NULL, input TEXT, output TEXT,
  error TEXT, started_at TEXT, finished_at TEXT, PRIMARY KEY (run_id, step));
CREATE TABLE IF NOT EXISTS logs (
  run_id TEXT NOT NULL REFERENCES runs (id), seq INTEGER NOT NULL, at TEXT NOT NULL, line TEXT NOT NULL,
  PRIMARY KEY (run_id, seq));
"""
_RUN_COLUMNS = ("r.id, r.work_order_id, r.workflow, w.trigger, r.state, r.error_type, r.attempt, r.worker, "
                "r.inserted_at, r.claimed_at, r.started_at, r.finished_at")
_ACTIVE = "('claimed', 'started')"
_POLL_SECONDS = 0.25


class SQLiteStore(RunStore):
    """A :class:`~runtime.store.RunStore` in a SQLite file (``:memory:`` for a throwaway one).

    Example:
        >>> store = SQLiteStore(":memory:")
        >>> store.claim("worker-1") is None
        True
    """

    def __init__(self, path: str, fsync: bool = False):
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._ended = threading.Condition(self._lock)
        self._lock_file: int | None = None

    # -- writing -----------------------------------------------------------------------------
    def _write(self, fn, *args):
        """Run ``fn(db, *args)`` in one immediate transaction under the process's write lock."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db, *args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def register_worker(self, worker_id: str) -> None:
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

    def accept(self, workflow: str, trigger: str | None, input_state: Any, dedupe_key: str | None = None,
               priority: int = 1) -> Accepted:
        text = to_json_text(input_state)
        return self._write(_accept, workflow, trigger, text, dedupe_key, priority)

    def claim(self, worker_id: str) -> ClaimedRun | None:
        return self._write(_claim, worker_id)

    def started(self, run_id: str) -> None:
        self._write(lambda db: db.execute("UPDATE runs SET state = 'started', started_at = ? "
                                          "WHERE id = ? AND state = 'claimed'", (now_iso(), run_id)))

    def step_started(self, run_id: str, step: str, input_state: Any, at: str | None = None) -> None:
        text = to_json_text(input_state)
        self._write(lambda db: db.execute(
            "INSERT INTO steps (run_id, step, seq, input, started_at) VALUES (?, ?, "
            "(SELECT COUNT(*) FROM steps WHERE run_id = ?), ?, ?) ON CONFLICT (run_id, step) DO UPDATE "
            "SET input = excluded.input, started_at = excluded.started_at",
            (run_id, step, run_id, text, at or now_iso())))

    def step_finished(self, run_id: str, step: str, output: Any, error: Any = None, at: str | None = None) -> None:
        values = (to_json_text(output), None if error is None else to_json_text(error), at or now_iso())
        self._write(lambda db: db.execute(
            "INSERT INTO steps (run_id, step, seq, output, error, finished_at) VALUES (?, ?, "
            "(SELECT COUNT(*) FROM steps WHERE run_id = ?), ?, ?, ?) ON CONFLICT (run_id, step) DO UPDATE "
            "SET output = excluded.output, error = excluded.error, finished_at = excluded.finished_at",
            (run_id, step, run_id, *values)))

    def append_logs(self, run_id: str, lines: Sequence[str | tuple[str, str]]) -> None:
        if lines:
            self._write(_append_logs, run_id, lines)

    def finish(self, run_id: str, state: str, error_type: str | None = None, final_state: Any = None,
               webhook_response: dict | None = None) -> bool:
        if state not in FINAL_STATES:
            raise ValueError(f"{state!r} is not a final run state")
        final = None if final_state is None else to_json_text(final_state)
        response = None if webhook_response is None else to_json_text(webhook_response)
        with self._lock:
            done = self._write(lambda db: db.execute(
                f"UPDATE runs SET state = ?, error_type = ?, finished_at = ?, final_state = ?, "
                f"webhook_response = ? WHERE id = ? AND state IN {_ACTIVE}",
                (state, error_type, now_iso(), final, response, run_id)).rowcount == 1)
            self._ended.notify_all()
        return done

    def lose(self, run_id: str) -> str | None:
        with self._lock:
            new_id = self._write(_lose, run_id)
            self._ended.notify_all()
        return new_id

    def recover_lost(self, alive_worker_ids: list[str]) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(f"SELECT id, worker FROM runs WHERE state IN {_ACTIVE}").fetchall()
            lost = [run_id for run_id, worker in rows if worker not in alive_worker_ids]
            return [(run_id, new_id) for run_id in lost if (new_id := self.lose(run_id))]

    # -- reading -----------------------------------------------------------------------------
    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def list_runs(self, workflow: str | None = None, state: str | None = None,
                  limit: int = 50) -> list[RunSummary]:
        where, params = _filters(workflow, state)
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs r JOIN work_orders w ON w.id = r.work_order_id "
                          f"{where} ORDER BY r.inserted_at DESC, r.attempt DESC LIMIT ?", (*params, limit))
        return [RunSummary(*row) for row in rows]

    def _summary(self, run_id: str) -> RunSummary | None:
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs r JOIN work_orders w ON w.id = r.work_order_id "
                          f"WHERE r.id = ?", (run_id,))
        return RunSummary(*rows[0]) if rows else None

    def _resolve(self, ident: str) -> str | None:
        for table in ("runs", "work_orders"):
            found = self._read(f"SELECT id FROM {table} WHERE id = ? OR id LIKE ? LIMIT 3",
                               (ident, ident.replace("%", "").replace("_", "") + "%"))
            ids = sorted({row[0] for row in found})
            if ident in ids:
                ids = [ident]
            if len(ids) > 1:
                raise AmbiguousId(f"'{ident}' matches several {table.replace('_', ' ')}: {', '.join(ids)}")
            if ids and table == "runs":
                return ids[0]
            if ids:
                latest = self._read("SELECT id FROM runs WHERE work_order_id = ? ORDER BY attempt DESC LIMIT 1",
                                    (ids[0],))
                return latest[0][0] if latest else None
        return None

    def get_run(self, run_id: str) -> RunDetail | None:
        resolved = self._resolve(run_id)
        summary = self._summary(resolved) if resolved else None
        if summary is None:
            return None
        (input_text, final, response), = self._read(
            "SELECT w.input, r.final_state, r.webhook_response FROM runs r JOIN work_orders w "
            "ON w.id = r.work_order_id WHERE r.id = ?", (summary.id,))
        steps = [StepRecord(step, _load(i), _load(o), _load(e), s, f) for step, i, o, e, s, f in self._read(
            "SELECT step, input, output, error, started_at, finished_at FROM steps WHERE run_id = ? "
            "ORDER BY seq", (summary.id,))]
        logs = self._read("SELECT at, line FROM logs WHERE run_id = ? ORDER BY seq", (summary.id,))
        return RunDetail(summary, _load(input_text), _load(final), _load(response), steps,
                         [tuple(row) for row in logs])

    def wait_for(self, run_id: str, timeout: float) -> RunSummary | None:
        deadline = time.monotonic() + timeout
        with self._ended:
            while True:
                summary = self._summary(run_id)
                remaining = deadline - time.monotonic()
                if summary is None or summary.final or remaining <= 0:
                    return summary
                self._ended.wait(min(remaining, _POLL_SECONDS))

    def counts(self, workflow: str | None = None) -> dict[str, int]:
        where, params = _filters(workflow, None)
        return dict(self._read(f"SELECT r.state, COUNT(*) FROM runs r {where} GROUP BY r.state", params))

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None


def _accept(db: sqlite3.Connection, workflow, trigger, text, dedupe_key, priority) -> Accepted:
    now, work_order_id = now_iso(), str(uuid.uuid4())
    inserted = db.execute("INSERT INTO work_orders (id, workflow, trigger, dedupe_key, input, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workflow, dedupe_key) DO NOTHING",
                          (work_order_id, workflow, trigger, dedupe_key, text, now)).rowcount
    if not inserted:
        (original,), = db.execute("SELECT id FROM work_orders WHERE workflow = ? AND dedupe_key = ?",
                                  (workflow, dedupe_key)).fetchall()
        (run_id,), = db.execute("SELECT id FROM runs WHERE work_order_id = ? ORDER BY attempt DESC LIMIT 1",
                                (original,)).fetchall()
        return Accepted(original, run_id, duplicate=True)
    run_id = str(uuid.uuid4())
    db.execute("INSERT INTO runs (id, work_order_id, workflow, state, priority, attempt, inserted_at) "
               "VALUES (?, ?, ?, 'available', ?, 1, ?)", (run_id, work_order_id, workflow, priority, now))
    return Accepted(work_order_id, run_id)


def _claim(db: sqlite3.Connection, worker_id: str) -> ClaimedRun | None:
    row = db.execute(
        f"SELECT r.id, r.work_order_id, r.workflow, r.attempt, w.input FROM runs r "
        f"JOIN work_orders w ON w.id = r.work_order_id WHERE r.state = 'available' AND NOT EXISTS "
        f"(SELECT 1 FROM runs o WHERE o.work_order_id = r.work_order_id AND o.state IN {_ACTIVE}) "
        f"ORDER BY r.priority, r.inserted_at LIMIT 1").fetchone()
    if row is None:
        return None
    db.execute("UPDATE runs SET state = 'claimed', worker = ?, claimed_at = ? WHERE id = ?",
               (worker_id, now_iso(), row[0]))
    return ClaimedRun(*row)


def _append_logs(db: sqlite3.Connection, run_id: str, lines: Sequence[str | tuple[str, str]]) -> None:
    (last,), = db.execute("SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?", (run_id,)).fetchall()
    now = now_iso()
    rows = [(run_id, last + i, *((now, line) if isinstance(line, str) else line))
            for i, line in enumerate(lines, start=1)]
    db.executemany("INSERT INTO logs (run_id, seq, at, line) VALUES (?, ?, ?, ?)", rows)


def _lose(db: sqlite3.Connection, run_id: str) -> str | None:
    row = db.execute(f"SELECT work_order_id, workflow, attempt FROM runs "
                     f"WHERE id = ? AND state IN {_ACTIVE}", (run_id,)).fetchone()
    if row is None:
        return None
    work_order_id, workflow, attempt = row
    now, new_id = now_iso(), str(uuid.uuid4())
    db.execute("UPDATE runs SET state = 'lost', error_type = 'LostError', finished_at = ? WHERE id = ?",
               (now, run_id))
    db.execute("INSERT INTO runs (id, work_order_id, workflow, state, priority, attempt, inserted_at) "
               "VALUES (?, ?, ?, 'available', 0, ?, ?)", (new_id, work_order_id, workflow, attempt + 1, now))
    return new_id


def _filters(workflow: str | None, state: str | None) -> tuple[str, tuple]:
    clauses, params = [], []
    if workflow is not None:
        clauses.append("r.workflow = ?")
        params.append(workflow)
    if state is not None:
        clauses.append("r.state = ?")
        params.append(state)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)
