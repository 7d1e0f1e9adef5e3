"""What both SQL run stores share: the reads (runs, details, counts, cursors), id matching,
and the write rules of :mod:`runtime.store.sql_writes` (finish, lose, retry, purge).

Counting reads the counters the schema's triggers keep (``_counters``), never the runs.
A backend provides ``_query(sql, params)`` (SQL written with ``?`` placeholders),
``_filters(**filters) -> (where, params)``, ``_id_candidates(table, ident)``,
``_time(value)`` (its stored time as an ISO string), ``_write(fn, *args)``, ``_wake_waiters()``
(a run ended: wake :meth:`wait_for`), ``_ops`` (its module of write transactions) and
``_dialect`` (its :class:`~runtime.store.sql_writes.Dialect`).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Sequence

from runtime.store import sql_writes as writes
from runtime.store.records import (FINAL_STATES, Accepted, AmbiguousId, Purged, RunDetail, RunSummary, StepRecord,
                                   to_json_text)

PURGE_BATCH = 20  # work orders in a purge's first transaction; then sized to take about PURGE_SECONDS
PURGE_SECONDS = 0.01  # of the write lock per purge transaction (bench: history)
PURGE_LIMITS = (5, 1000)

__all__ = ["SQLStoreBase", "next_batch", "RUN_COLUMNS", "FROM_RUNS", "STEP_FAILED", "like_prefix", "load", "dump"]

RUN_COLUMNS = ("r.id, r.work_order_id, r.workflow, w.trigger, r.state, r.error_type, r.attempt, r.worker, "
               "r.inserted_at, r.claimed_at, r.started_at, r.finished_at, r.cause, r.start_step, r.available_at, "
               "(SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id AND s.error IS NOT NULL), r.version")
# runs with at least one failed step (a handled failure leaves the run ``success``)
STEP_FAILED = "EXISTS (SELECT 1 FROM steps s WHERE s.run_id = r.id AND s.error IS NOT NULL)"
FROM_RUNS = "FROM runs r JOIN work_orders w ON w.id = r.work_order_id"


def like_prefix(ident: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching the ids that start with ``ident``, taken literally.

    Example:
        >>> like_prefix("ab_%")
        'ab\\\\_\\\\%%'
    """
    return ident.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def dump(value: Any) -> str | None:
    """A value → stored JSON text (``None`` stays ``None``)."""
    return None if value is None else to_json_text(value)


def load(text: str | None) -> Any:
    """Stored JSON text → the value (``None`` stays ``None``)."""
    return None if text is None else json.loads(text)


class SQLStoreBase:
    """The parts of a run store written once for SQLite and PostgreSQL."""

    _ops: Any = None  # the backend's module of write transactions
    _dialect: writes.Dialect  # how the shared write rules speak to the backend
    # the runs counted by (workflow, state, step_failed): rows of ``n`` to add up, kept by the schema's triggers
    _counters = "run_counts"
    # pause between purge transactions, as a share of the time each took: one writer at a time in SQLite,
    # other writers go on in PostgreSQL (the pause leaves them the cores)
    _purge_pause = 0.25

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        raise NotImplementedError

    def _time(self, value: Any) -> str | None:
        return value

    def _run_summary(self, row: tuple) -> RunSummary:
        times = [self._time(value) for value in row[8:12]]
        return RunSummary(*row[:8], *times, row[12], row[13], self._time(row[14]), int(row[15]), row[16])

    def list_runs(self, workflow: str | None = None, state: str | Sequence[str] | None = None, limit: int = 50,
                  *, trigger: str | Sequence[str] | None = None, work_order: str | None = None,
                  offset: int = 0, step_failed: bool = False) -> list[RunSummary]:
        where, params = self._filters(workflow=workflow, state=state, trigger=trigger, work_order=work_order)
        if step_failed:
            where += (" AND " if where else "WHERE ") + STEP_FAILED
        rows = self._query(f"SELECT {RUN_COLUMNS} {FROM_RUNS} {where} ORDER BY r.inserted_at DESC, "
                           f"r.attempt DESC LIMIT ? OFFSET ?", (*params, limit, offset))
        return [self._run_summary(row) for row in rows]

    def summary(self, run_id: str) -> RunSummary | None:
        return self._summary(run_id)

    def _summary(self, run_id: str) -> RunSummary | None:
        rows = self._query(f"SELECT {RUN_COLUMNS} {FROM_RUNS} WHERE r.id = ?", (run_id,))
        return self._run_summary(rows[0]) if rows else None

    def step_records(self, run_id: str) -> list[StepRecord]:
        return [StepRecord(step, None, None, load(e), self._time(s), self._time(f)) for step, e, s, f in self._query(
            "SELECT step, error, started_at, finished_at FROM steps WHERE run_id = ? ORDER BY seq", (run_id,))]

    def get_run(self, run_id: str) -> RunDetail | None:
        resolved = self._resolve(run_id)
        summary = self._summary(resolved) if resolved else None
        if summary is None:
            return None
        (input_text, final, response, wiped_at), = self._query(
            f"SELECT COALESCE(r.input, w.input), r.final_state, r.webhook_response, w.wiped_at {FROM_RUNS} "
            f"WHERE r.id = ?", (summary.id,))
        steps = [StepRecord(step, load(i), load(o), load(e), self._time(s), self._time(f))
                 for step, i, o, e, s, f in self._query(
                     "SELECT step, input, output, error, started_at, finished_at FROM steps WHERE run_id = ? "
                     "ORDER BY seq", (summary.id,))]
        logs = [(self._time(at), line) for at, line in
                self._query("SELECT at, line FROM logs WHERE run_id = ? ORDER BY seq", (summary.id,))]
        return RunDetail(summary, load(input_text), load(final), load(response), steps, logs,
                         self._time(wiped_at))

    def counts(self, workflow: str | None = None) -> dict[str, int]:
        where, params = self._filters(workflow=workflow)
        return {state: int(n) for state, n in self._query(
            f"SELECT r.state, SUM(r.n) FROM {self._counters} r {where} GROUP BY r.state HAVING SUM(r.n) <> 0",
            params)}

    def count_step_failed(self, workflow: str | None = None) -> int:
        where, params = self._filters(workflow=workflow)
        where += (" AND " if where else "WHERE ") + "r.step_failed"
        return int(self._query(f"SELECT COALESCE(SUM(r.n), 0) FROM {self._counters} r {where}", params)[0][0])

    def last_firing(self, workflow: str, trigger: str) -> str | None:
        (latest,), = self._query("SELECT MAX(scheduled_at) FROM cron_firings WHERE workflow = ? AND trigger = ?",
                                 (workflow, trigger))
        return self._time(latest)

    def last_success(self, workflow: str) -> tuple[Any, Any] | None:
        rows = self._query(f"SELECT COALESCE(r.input, w.input), r.final_state {FROM_RUNS} WHERE r.workflow = ? "
                           "AND r.state = 'success' ORDER BY r.finished_at DESC LIMIT 1", (workflow,))
        return (load(rows[0][0]), load(rows[0][1])) if rows else None

    def last_output(self, workflow: str, step: str | None = None) -> Any:
        if step is None:
            rows = self._query("SELECT final_state FROM runs WHERE workflow = ? AND state = 'success' "
                               "ORDER BY finished_at DESC LIMIT 1", (workflow,))
        else:
            rows = self._query("SELECT s.output FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.workflow = ? "
                               "AND r.state = 'success' AND s.step = ? AND s.error IS NULL "
                               "ORDER BY r.finished_at DESC LIMIT 1", (workflow, step))
        return load(rows[0][0]) if rows else None

    def _resolve(self, ident: str) -> str | None:
        """The run ``ident`` names: a run id, a work order id (its latest run), or a unique prefix."""
        for table in ("runs", "work_orders"):
            ids = sorted(set(self._id_candidates(table, ident)))
            if ident in ids:
                ids = [ident]
            if len(ids) > 1:
                raise AmbiguousId(f"'{ident}' matches several {table.replace('_', ' ')}: {', '.join(ids)}")
            if ids and table == "runs":
                return ids[0]
            if ids:
                latest = self._query("SELECT id FROM runs WHERE work_order_id = ? ORDER BY attempt DESC LIMIT 1",
                                     (ids[0],))
                return latest[0][0] if latest else None
        return None

    def _wake_waiters(self) -> None:
        raise NotImplementedError

    def finish(self, run_id: str, state: str, error_type: str | None = None, final_state: Any = None,
               webhook_response: dict | None = None, *, retry_at: str | None = None, wipe: bool = False) -> bool:
        if state not in FINAL_STATES:
            raise ValueError(f"{state!r} is not a final run state")
        values = (state, error_type, dump(final_state), dump(webhook_response))
        done = self._write(writes.finish, self._dialect, run_id, values, retry_at, wipe)
        self._wake_waiters()
        return done

    def lose(self, run_id: str) -> str | None:
        new_id = self._write(writes.lose, self._dialect, run_id)
        self._wake_waiters()
        return new_id

    def retry(self, run_id: str, from_step: str | None = None, *, priority: int = 0) -> Accepted:
        resolved = self._resolve(run_id)
        if resolved is None:
            raise LookupError(f"No run or work order matches '{run_id}'")
        return self._write(writes.retry, self._dialect, resolved, from_step, priority)

    def fire_cron(self, workflow: str, trigger: str, scheduled_at: str, input_state: Any) -> Accepted | None:
        return self._write(self._ops.fire_cron, workflow, trigger, scheduled_at, to_json_text(input_state))

    def _kept(self, workflow: str) -> list[str]:
        """The work orders a purge of ``workflow`` spares (a read: outside the purge's write transactions)."""
        return self._write(writes.kept, self._dialect, workflow)

    def purge(self, workflow: str, *, history_before: str | None = None,
              dataclips_before: str | None = None, stop: threading.Event | None = None) -> Purged:
        # in short transactions (about PURGE_SECONDS each, sized by how long the last one took): a delivery
        # arriving meanwhile waits for one of them at most
        if not (history_before or dataclips_before):
            return Purged(0, 0)
        spared = self._kept(workflow)
        deleted = wiped = 0
        limit = PURGE_BATCH
        while True:
            began = time.monotonic()
            batch = self._write(writes.purge, self._dialect, workflow, history_before, dataclips_before, limit,
                                spared)
            took = time.monotonic() - began
            deleted, wiped = deleted + batch.deleted, wiped + batch.wiped
            if (batch.deleted < limit and batch.wiped < limit) or (stop is not None and stop.is_set()):
                return Purged(deleted, wiped)
            limit = next_batch(limit, took)
            self._pause_after(took)

    def _pause_after(self, took: float) -> None:
        """After a housekeeping transaction that took ``took`` s: the write lock is not fair (SQLite), and the
        cores are shared: leave room to the deliveries (a share of that time, at most 50 ms)."""
        time.sleep(min(took * self._purge_pause, 0.05))


def next_batch(limit: int, took: float) -> int:
    """The next purge transaction's size in work orders: aimed at :data:`PURGE_SECONDS`, at most doubled or
    halved at a time, within ``PURGE_LIMITS``.

    Example:
        >>> next_batch(100, 0.005), next_batch(100, 0.04), next_batch(100, 0.01)
        (200, 50, 100)
    """
    aimed = int(limit * PURGE_SECONDS / max(took, 1e-4))
    return max(PURGE_LIMITS[0], min(PURGE_LIMITS[1], limit * 2, max(limit // 2, aimed)))
