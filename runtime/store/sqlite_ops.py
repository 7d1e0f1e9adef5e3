"""The SQL of the SQLite run store: its schema (and the upgrade of older files) and each write transaction.

Every function here takes the open connection inside a transaction that
:class:`~runtime.store.sqlite.SQLiteStore` began; none commits. The queue's
arrival order is SQLite's ``rowid`` of ``work_orders`` (it only grows), so two
work orders accepted within one microsecond still keep their order.

Example:
    >>> import sqlite3
    >>> db = sqlite3.connect(":memory:")
    >>> create_schema(db)
    >>> accepted = accept(db, "wf", "hook", '{"data":{}}', None, 1)
    >>> claim(db, "w-1", {}).id == accepted.run_id
    True
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Mapping

from runtime.store.records import Accepted, ClaimedRun, NotRetryable, Purged, match_step, now_iso

__all__ = ["create_schema", "accept", "claim", "finish_run", "lose", "retry", "fire_cron", "purge", "wipe",
           "ACTIVE", "UNFINISHED"]

ACTIVE = "('claimed', 'started')"
UNFINISHED = "('available', 'claimed', 'started')"

TABLES = """
CREATE TABLE IF NOT EXISTS work_orders (
  id TEXT PRIMARY KEY, workflow TEXT NOT NULL, trigger TEXT, dedupe_key TEXT,
  input TEXT NOT NULL, created_at TEXT NOT NULL, wiped_at TEXT, UNIQUE (workflow, dedupe_key));
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, work_order_id TEXT NOT NULL REFERENCES work_orders (id), workflow TEXT NOT NULL,
  state TEXT NOT NULL, error_type TEXT, priority INTEGER NOT NULL DEFAULT 1, attempt INTEGER NOT NULL DEFAULT 1,
  worker TEXT, inserted_at TEXT NOT NULL, claimed_at TEXT, started_at TEXT, finished_at TEXT,
  final_state TEXT, webhook_response TEXT, available_at TEXT, cause TEXT NOT NULL DEFAULT 'trigger',
  start_step TEXT, input TEXT);
CREATE TABLE IF NOT EXISTS steps (
  run_id TEXT NOT NULL REFERENCES runs (id), step TEXT NOT NULL, seq INTEGER NOT NULL, input TEXT, output TEXT,
  error TEXT, started_at TEXT, finished_at TEXT, PRIMARY KEY (run_id, step));
CREATE TABLE IF NOT EXISTS logs (
  run_id TEXT NOT NULL REFERENCES runs (id), seq INTEGER NOT NULL, at TEXT NOT NULL, line TEXT NOT NULL,
  PRIMARY KEY (run_id, seq));
CREATE TABLE IF NOT EXISTS cron_firings (
  workflow TEXT NOT NULL, trigger TEXT NOT NULL, scheduled_at TEXT NOT NULL, work_order_id TEXT,
  fired_at TEXT NOT NULL, PRIMARY KEY (workflow, trigger, scheduled_at));
"""
INDEXES = """
DROP INDEX IF EXISTS runs_queue;
CREATE INDEX IF NOT EXISTS runs_claim ON runs (state, priority, available_at);
CREATE INDEX IF NOT EXISTS runs_work_order ON runs (work_order_id);
CREATE INDEX IF NOT EXISTS runs_workflow ON runs (workflow, inserted_at);
CREATE INDEX IF NOT EXISTS runs_workflow_state ON runs (workflow, state, finished_at);
"""
# columns added after the first release: (table, column, definition)
ADDED_COLUMNS = (("work_orders", "wiped_at", "TEXT"), ("runs", "available_at", "TEXT"),
                 ("runs", "cause", "TEXT NOT NULL DEFAULT 'trigger'"), ("runs", "start_step", "TEXT"),
                 ("runs", "input", "TEXT"))


def create_schema(db: sqlite3.Connection) -> None:
    """Create the tables, add the columns an older file lacks, then the indexes (idempotent)."""
    db.executescript(TABLES)
    for table, column, definition in ADDED_COLUMNS:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            if column == "available_at":
                db.execute("UPDATE runs SET available_at = inserted_at")
    db.executescript(INDEXES)


def _new_run(db: sqlite3.Connection, work_order_id: str, workflow: str, *, cause: str, priority: int,
             available_at: str | None = None, start_step: str | None = None, input_text: str | None = None) -> str:
    """Insert the next ``available`` run of a work order (attempt = the highest so far + 1); its id."""
    now, run_id = now_iso(), str(uuid.uuid4())
    (attempt,), = db.execute("SELECT COALESCE(MAX(attempt), 0) + 1 FROM runs WHERE work_order_id = ?",
                             (work_order_id,)).fetchall()
    db.execute("INSERT INTO runs (id, work_order_id, workflow, state, priority, attempt, inserted_at, available_at, "
               "cause, start_step, input) VALUES (?, ?, ?, 'available', ?, ?, ?, ?, ?, ?, ?)",
               (run_id, work_order_id, workflow, priority, attempt, now, available_at or now, cause, start_step,
                input_text))
    return run_id


def accept(db: sqlite3.Connection, workflow, trigger, text, dedupe_key, priority) -> Accepted:
    """A new work order and its first run, or the original ids of a duplicate."""
    work_order_id = str(uuid.uuid4())
    inserted = db.execute("INSERT INTO work_orders (id, workflow, trigger, dedupe_key, input, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workflow, dedupe_key) DO NOTHING",
                          (work_order_id, workflow, trigger, dedupe_key, text, now_iso())).rowcount
    if not inserted:
        (original,), = db.execute("SELECT id FROM work_orders WHERE workflow = ? AND dedupe_key = ?",
                                  (workflow, dedupe_key)).fetchall()
        (run_id,), = db.execute("SELECT id FROM runs WHERE work_order_id = ? ORDER BY attempt DESC LIMIT 1",
                                (original,)).fetchall()
        return Accepted(original, run_id, duplicate=True)
    return Accepted(work_order_id, _new_run(db, work_order_id, workflow, cause="trigger", priority=priority))


def _limits_sql(limits: Mapping[str, int]) -> tuple[str, str, tuple]:
    """The ``WITH limits`` clause and the condition keeping each limited workflow within its limit."""
    if not limits:
        return "", "", ()
    values = ", ".join("(?, ?)" for _ in limits)
    params = tuple(item for pair in limits.items() for item in pair)
    condition = (
        f"AND NOT EXISTS (SELECT 1 FROM limits l WHERE l.workflow = r.workflow AND ("
        f"(SELECT COUNT(*) FROM runs a WHERE a.workflow = r.workflow AND a.state IN {ACTIVE}) >= l.n "
        f"OR (l.n = 1 AND EXISTS (SELECT 1 FROM runs e JOIN work_orders ew ON ew.id = e.work_order_id "
        f"WHERE e.workflow = r.workflow AND e.state = 'available' AND e.id != r.id "
        f"AND (e.priority, ew.rowid, e.attempt) < (r.priority, w.rowid, r.attempt)))))")
    return f"WITH limits (workflow, n) AS (VALUES {values}) ", condition, params


def claim(db: sqlite3.Connection, worker_id: str, limits: Mapping[str, int]) -> ClaimedRun | None:
    """Take the next claimable run (see :meth:`RunStore.claim`)."""
    with_sql, condition, params = _limits_sql(limits)
    row = db.execute(
        f"{with_sql}SELECT r.id, r.work_order_id, r.workflow, r.attempt, COALESCE(r.input, w.input), r.start_step, "
        f"(SELECT COUNT(*) FROM runs x WHERE x.work_order_id = r.work_order_id AND x.cause = 'retry') "
        f"FROM runs r JOIN work_orders w ON w.id = r.work_order_id WHERE r.state = 'available' "
        f"AND r.available_at <= ? AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.work_order_id = r.work_order_id "
        f"AND o.state IN {ACTIVE}) {condition} ORDER BY r.priority, r.available_at, r.inserted_at LIMIT 1",
        (*params, now_iso())).fetchone()
    if row is None:
        return None
    db.execute("UPDATE runs SET state = 'claimed', worker = ?, claimed_at = ? WHERE id = ?",
               (worker_id, now_iso(), row[0]))
    return ClaimedRun(*row)


def finish_run(db: sqlite3.Connection, run_id: str, values: tuple, retry_at: str | None, wipe_data: bool) -> bool:
    """End a run (``values``: state, error type, final state, webhook response); then retry or wipe."""
    done = db.execute(f"UPDATE runs SET state = ?, error_type = ?, finished_at = ?, final_state = ?, "
                      f"webhook_response = ? WHERE id = ? AND state IN {ACTIVE}",
                      (values[0], values[1], now_iso(), values[2], values[3], run_id)).rowcount == 1
    if not done:
        return False
    (work_order_id, workflow, start_step, input_text), = db.execute(
        "SELECT work_order_id, workflow, start_step, input FROM runs WHERE id = ?", (run_id,)).fetchall()
    if retry_at is not None:
        _new_run(db, work_order_id, workflow, cause="retry", priority=1, available_at=retry_at,
                 start_step=start_step, input_text=input_text)
    elif wipe_data:
        wipe(db, work_order_id)
    return True


def lose(db: sqlite3.Connection, run_id: str) -> str | None:
    """Mark an unfinished run lost and queue the next attempt first in line; the new run's id."""
    row = db.execute(f"SELECT work_order_id, workflow, start_step, input FROM runs "
                     f"WHERE id = ? AND state IN {ACTIVE}", (run_id,)).fetchone()
    if row is None:
        return None
    work_order_id, workflow, start_step, input_text = row
    db.execute("UPDATE runs SET state = 'lost', error_type = 'LostError', finished_at = ? WHERE id = ?",
               (now_iso(), run_id))
    return _new_run(db, work_order_id, workflow, cause="lost", priority=0, start_step=start_step,
                    input_text=input_text)


def retry(db: sqlite3.Connection, run_id: str, from_step: str | None, priority: int) -> Accepted:
    """A manual retry of a run's work order (see :meth:`RunStore.retry`)."""
    work_order_id, workflow, wiped_at = db.execute(
        "SELECT r.work_order_id, r.workflow, w.wiped_at FROM runs r JOIN work_orders w ON w.id = r.work_order_id "
        "WHERE r.id = ?", (run_id,)).fetchone()
    busy = db.execute(f"SELECT id, state FROM runs WHERE work_order_id = ? AND state IN {UNFINISHED} LIMIT 1",
                      (work_order_id,)).fetchone()
    if busy:
        raise NotRetryable(f"work order {work_order_id} already has a run waiting or running "
                           f"(run {busy[0]}, {busy[1]}): wait for it to end")
    gone = (f"its input is no longer stored (wiped at {wiped_at}, by the workflow's keep_dataclips_days or "
            f"zero_persistence)")
    if from_step is None:
        if wiped_at:
            raise NotRetryable(f"run {run_id} cannot be retried: {gone}")
        new_id = _new_run(db, work_order_id, workflow, cause="manual", priority=priority)
        return Accepted(work_order_id, new_id)
    steps = db.execute("SELECT step, input FROM steps WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
    step = match_step(from_step, [name for name, _ in steps], run_id)
    input_text = dict(steps)[step]
    if input_text is None:
        raise NotRetryable(f"run {run_id} cannot be retried from step {step}: "
                           f"{gone if wiped_at else 'the input of that step was not stored'}")
    new_id = _new_run(db, work_order_id, workflow, cause="manual", priority=priority, start_step=step,
                      input_text=input_text)
    return Accepted(work_order_id, new_id)


def fire_cron(db: sqlite3.Connection, workflow: str, trigger: str, scheduled_at: str, text: str) -> Accepted | None:
    """Record a firing and queue its work order, or ``None`` if the firing exists."""
    inserted = db.execute("INSERT INTO cron_firings (workflow, trigger, scheduled_at, fired_at) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT DO NOTHING", (workflow, trigger, scheduled_at, now_iso())).rowcount
    if not inserted:
        return None
    accepted = accept(db, workflow, trigger, text, None, 1)
    db.execute("UPDATE cron_firings SET work_order_id = ? WHERE workflow = ? AND trigger = ? AND scheduled_at = ?",
               (accepted.work_order_id, workflow, trigger, scheduled_at))
    return accepted


def wipe(db: sqlite3.Connection, work_order_id: str) -> None:
    """Remove every input and output of a work order, keeping its metadata; mark it ``wiped_at``."""
    db.execute("UPDATE work_orders SET input = 'null', wiped_at = ? WHERE id = ?", (now_iso(), work_order_id))
    db.execute("UPDATE runs SET input = NULL, final_state = NULL, webhook_response = NULL WHERE work_order_id = ?",
               (work_order_id,))
    db.execute("UPDATE steps SET input = NULL, output = NULL WHERE run_id IN "
               "(SELECT id FROM runs WHERE work_order_id = ?)", (work_order_id,))


_KEPT = """
SELECT kept FROM (
  SELECT (SELECT work_order_id FROM runs WHERE workflow = :wf AND state = 'success'
          ORDER BY finished_at DESC LIMIT 1) AS kept
  UNION
  SELECT (SELECT r.work_order_id FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.workflow = :wf
          AND r.state = 'success' AND s.step = k.step AND s.error IS NULL ORDER BY r.finished_at DESC LIMIT 1)
  FROM (SELECT DISTINCT s.step FROM steps s JOIN runs r ON r.id = s.run_id
        WHERE r.workflow = :wf AND r.state = 'success') k)
WHERE kept IS NOT NULL
"""
_ENDED_BEFORE = f"""
SELECT w.id FROM work_orders w WHERE w.workflow = :wf {{extra}}
AND NOT EXISTS (SELECT 1 FROM runs u WHERE u.work_order_id = w.id AND u.state IN {UNFINISHED})
AND COALESCE((SELECT MAX(COALESCE(f.finished_at, f.inserted_at)) FROM runs f WHERE f.work_order_id = w.id),
             w.created_at) < :before
AND w.id NOT IN ({_KEPT})
"""


def purge(db: sqlite3.Connection, workflow: str, history_before: str | None, dataclips_before: str | None) -> Purged:
    """Delete, then wipe, the workflow's work orders that ended before each cutoff (see :meth:`RunStore.purge`)."""
    deleted = wiped = 0
    if history_before:
        doomed = [row[0] for row in db.execute(_ENDED_BEFORE.format(extra=""),
                                               {"wf": workflow, "before": history_before})]
        for work_order_id in doomed:
            runs = "SELECT id FROM runs WHERE work_order_id = ?"
            db.execute(f"DELETE FROM logs WHERE run_id IN ({runs})", (work_order_id,))
            db.execute(f"DELETE FROM steps WHERE run_id IN ({runs})", (work_order_id,))
            db.execute("DELETE FROM runs WHERE work_order_id = ?", (work_order_id,))
            db.execute("DELETE FROM work_orders WHERE id = ?", (work_order_id,))
        db.execute("DELETE FROM cron_firings WHERE workflow = ? AND scheduled_at < ? AND scheduled_at < "
                   "(SELECT MAX(scheduled_at) FROM cron_firings l WHERE l.workflow = cron_firings.workflow "
                   "AND l.trigger = cron_firings.trigger)", (workflow, history_before))
        deleted = len(doomed)
    if dataclips_before:
        stale = [row[0] for row in db.execute(_ENDED_BEFORE.format(extra="AND w.wiped_at IS NULL"),
                                              {"wf": workflow, "before": dataclips_before})]
        for work_order_id in stale:
            wipe(db, work_order_id)
        wiped = len(stale)
    return Purged(deleted, wiped)
