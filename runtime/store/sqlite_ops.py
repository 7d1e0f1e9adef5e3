"""The SQL of the SQLite run store: its schema (and the upgrade of older files), accepting, claiming and
cron firings (the other write rules are :mod:`runtime.store.sql_writes`, with :data:`DIALECT`).

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

from runtime.store.records import Accepted, ClaimedRun, now_iso
from runtime.store.sql_writes import ACTIVE, Dialect, new_run

__all__ = ["DIALECT", "create_schema", "recount", "accept", "claim", "fire_cron", "ACTIVE"]

# the write rules of runtime.store.sql_writes, in SQLite: inside the transaction SQLiteStore began, times
# from this process's clock
DIALECT = Dialect()

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
# the history's pages (newest first, filtered by workflow and/or state) each read one index in order; a purge
# reads only the work orders made before its cutoff (work_orders_created). The queue (runs_available) and the
# latest success of a workflow (runs_workflow_success, for last_success/last_output and the cron cursor) are
# partial indexes: the queue's stays as small as the backlog, and a delivery's new run is not written to the other
INDEXES = """
DROP INDEX IF EXISTS runs_queue;
DROP INDEX IF EXISTS runs_claim;
CREATE INDEX IF NOT EXISTS runs_available ON runs (state, priority, available_at) WHERE state = 'available';
CREATE INDEX IF NOT EXISTS runs_work_order ON runs (work_order_id);
DROP INDEX IF EXISTS runs_workflow;
CREATE INDEX IF NOT EXISTS runs_workflow_newest ON runs (workflow, inserted_at, attempt);
DROP INDEX IF EXISTS runs_workflow_state;
CREATE INDEX IF NOT EXISTS runs_workflow_success ON runs (workflow, finished_at) WHERE state = 'success';
CREATE INDEX IF NOT EXISTS runs_newest ON runs (inserted_at, attempt);
CREATE INDEX IF NOT EXISTS runs_state_newest ON runs (state, inserted_at, attempt);
CREATE INDEX IF NOT EXISTS runs_workflow_state_newest ON runs (workflow, state, inserted_at, attempt);
CREATE INDEX IF NOT EXISTS work_orders_created ON work_orders (workflow, created_at);
"""
# columns added after the first release: (table, column, definition)
ADDED_COLUMNS = (("work_orders", "wiped_at", "TEXT"), ("runs", "available_at", "TEXT"),
                 ("runs", "cause", "TEXT NOT NULL DEFAULT 'trigger'"), ("runs", "start_step", "TEXT"),
                 ("runs", "input", "TEXT"), ("runs", "step_failed", "INTEGER NOT NULL DEFAULT 0"),
                 ("runs", "version", "TEXT"))
# runs by (workflow, state, with a failed step), kept by triggers in the transaction that changes a run, so
# counting the history reads a few rows however long it grows; a step that fails marks its run
COUNTERS = """
CREATE TABLE run_counts (
  workflow TEXT NOT NULL, state TEXT NOT NULL, step_failed INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (workflow, state, step_failed)) WITHOUT ROWID;
CREATE TRIGGER runs_counted_insert AFTER INSERT ON runs BEGIN
  INSERT INTO run_counts (workflow, state, step_failed, n) VALUES (new.workflow, new.state, new.step_failed, 1)
  ON CONFLICT (workflow, state, step_failed) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER runs_counted_update AFTER UPDATE OF workflow, state, step_failed ON runs
WHEN old.workflow IS NOT new.workflow OR old.state IS NOT new.state OR old.step_failed IS NOT new.step_failed BEGIN
  UPDATE run_counts SET n = n - 1
  WHERE workflow = old.workflow AND state = old.state AND step_failed = old.step_failed;
  INSERT INTO run_counts (workflow, state, step_failed, n) VALUES (new.workflow, new.state, new.step_failed, 1)
  ON CONFLICT (workflow, state, step_failed) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER runs_counted_delete AFTER DELETE ON runs BEGIN
  UPDATE run_counts SET n = n - 1
  WHERE workflow = old.workflow AND state = old.state AND step_failed = old.step_failed;
END;
CREATE TRIGGER steps_failed_insert AFTER INSERT ON steps WHEN new.error IS NOT NULL BEGIN
  UPDATE runs SET step_failed = 1 WHERE id = new.run_id AND step_failed = 0;
END;
CREATE TRIGGER steps_failed_update AFTER UPDATE OF error ON steps WHEN new.error IS NOT NULL BEGIN
  UPDATE runs SET step_failed = 1 WHERE id = new.run_id AND step_failed = 0;
END;
"""


def create_schema(db: sqlite3.Connection) -> None:
    """Create the tables, add the columns an older file lacks, the indexes, then the counters (idempotent)."""
    db.executescript(TABLES)
    for table, column, definition in ADDED_COLUMNS:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            if column == "available_at":
                db.execute("UPDATE runs SET available_at = inserted_at")
            if column == "step_failed":
                db.execute("UPDATE runs SET step_failed = 1 WHERE id IN (SELECT run_id FROM steps "
                           "WHERE error IS NOT NULL)")
    db.executescript(INDEXES)
    if not _has_table(db, "run_counts"):
        db.execute("BEGIN IMMEDIATE")  # counted once, in the transaction that adds the triggers
        try:
            if not _has_table(db, "run_counts"):  # another process may have counted meanwhile
                for statement in _statements(COUNTERS):
                    db.execute(statement)
                recount(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def recount(db: sqlite3.Connection) -> None:
    """Count the runs afresh into ``run_counts`` (for rows written with the triggers dropped, as a bulk load does)."""
    db.execute("DELETE FROM run_counts")
    db.execute("INSERT INTO run_counts (workflow, state, step_failed, n) "
               "SELECT workflow, state, step_failed, COUNT(*) FROM runs GROUP BY workflow, state, step_failed")


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _statements(script: str) -> list[str]:
    """A script's statements (a trigger's body, with its own ``;``, stays whole)."""
    statements, current = [], ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


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
    return Accepted(work_order_id, new_run(db, DIALECT, work_order_id, workflow, cause="trigger",
                                          priority=priority))


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
