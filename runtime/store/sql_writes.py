"""The run store's write rules, written once for SQLite and PostgreSQL: how a run ends (``finish``),
is lost (``lose``), is run again (``retry``), and how retention deletes and wipes (``purge``).

Only the dialect differs, and a small :class:`Dialect` says how: the SQL here is written with
``:name`` parameters and ``{field}`` slots the dialect fills (PostgreSQL's notifications and row
locks); ``:now`` is the current time (SQLite: this process's clock as ISO text; PostgreSQL: the
database's ``now()``, one clock for every machine). Each rule runs in one transaction: SQLite's
is the one :class:`~runtime.store.sqlite.SQLiteStore` began, PostgreSQL's is opened here.

Example:
    >>> import sqlite3
    >>> from runtime.store.sqlite_ops import DIALECT, accept, claim, create_schema
    >>> db = sqlite3.connect(":memory:")
    >>> create_schema(db)
    >>> run_id = accept(db, "wf", "hook", '{"data":{}}', None, 1).run_id
    >>> claim(db, "w-1", {}).id == run_id
    True
    >>> new_id = lose(db, DIALECT, run_id)
    >>> finish(db, DIALECT, new_id, ("success", None, None, None), None, False)
    False
"""

from __future__ import annotations

import json
import re
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, ContextManager

from runtime.store.records import Accepted, NotRetryable, Purged, match_step, now_iso

__all__ = ["Dialect", "ACTIVE", "UNFINISHED", "KEPT", "new_run", "finish", "lose", "retry", "wipe", "kept",
           "purge"]

ACTIVE = "('claimed', 'started')"
UNFINISHED = "('available', 'claimed', 'started')"


@dataclass(frozen=True)
class Dialect:
    """What one SQL backend does its own way; the rules below are the same for every backend.

    Args:
        database_clock: ``:now`` is the database's ``now()`` (else this process's time, bound as ISO text).
        fields: SQL for the ``{queued}``, ``{ended}``, ``{lock}`` and ``{skip_locked}`` slots.
        transaction: ``transaction(conn)``: the context of one rule's transaction.
        conflicts: errors meaning another transaction queued a run of the same work order first.
        any_of: ``{column} IN``-like SQL matching a list bound as ``:ids``; ``ids(list)`` binds the list.
        show_time: a stored time as a message shows it.

    Example:
        >>> Dialect(database_clock=True).sql("SELECT :a, :now, x::text")
        'SELECT %(a)s, now(), x::text'
    """

    database_clock: bool = False
    fields: dict = field(default_factory=lambda: {"queued": "", "ended": "", "lock": "", "skip_locked": ""})
    transaction: Callable[[Any], ContextManager] = lambda conn: nullcontext()
    conflicts: tuple = ()
    any_of: str = "IN (SELECT value FROM json_each(:ids))"
    ids: Callable[[list], Any] = json.dumps
    show_time: Callable[[Any], Any] = lambda value: value

    def sql(self, text: str) -> str:
        """``text`` with its slots filled and its parameters in the driver's style."""
        return _render(text, self.database_clock, tuple(sorted(self.fields.items())))

    def execute(self, conn: Any, text: str, params: dict) -> Any:
        """Run ``text`` with ``params`` (and ``:now``); the cursor."""
        return conn.execute(self.sql(text), params if self.database_clock else {**params, "now": now_iso()})


@lru_cache(maxsize=256)
def _render(text: str, database_clock: bool, fields: tuple) -> str:
    text = text.format(**dict(fields))
    if not database_clock:
        return text
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", text.replace(":now", "now()"))


_NEW_RUN = """
INSERT INTO runs (id, work_order_id, workflow, state, priority, attempt, inserted_at, available_at, cause,
                  start_step, input)
SELECT :id, :wo, :wf, 'available', :priority,
       (SELECT COALESCE(MAX(attempt), 0) + 1 FROM runs WHERE work_order_id = :wo), :now,
       COALESCE(:at, :now), :cause, :step, :input {queued}"""
_ENDED = f"""
WHERE id = :run AND state IN {ACTIVE}
RETURNING work_order_id, workflow, start_step, input{{ended}}"""
_FINISH = """UPDATE runs SET state = :state, error_type = :error_type, finished_at = :now, final_state = :final,
                webhook_response = :response""" + _ENDED
_LOSE = "UPDATE runs SET state = 'lost', error_type = 'LostError', finished_at = :now" + _ENDED


def new_run(conn: Any, dialect: Dialect, work_order_id: str, workflow: str, *, cause: str, priority: int,
            available_at: str | None = None, start_step: str | None = None, input_text: str | None = None) -> str:
    """Insert the next ``available`` run of a work order (attempt = the highest so far + 1); its id."""
    run_id = str(uuid.uuid4())
    dialect.execute(conn, _NEW_RUN, {"id": run_id, "wo": work_order_id, "wf": workflow, "priority": priority,
                                     "at": available_at, "cause": cause, "step": start_step, "input": input_text})
    return run_id


def finish(conn: Any, dialect: Dialect, run_id: str, values: tuple, retry_at: str | None, wipe_data: bool) -> bool:
    """End a run (``values``: state, error type, final state, webhook response); then retry or wipe.

    ``False`` when the run had already ended (nothing changes).
    """
    state, error_type, final, response = values
    with dialect.transaction(conn):
        rows = dialect.execute(conn, _FINISH, {"state": state, "error_type": error_type, "final": final,
                                               "response": response, "run": run_id}).fetchall()
        if not rows:
            return False
        work_order_id, workflow, start_step, input_text = rows[0][:4]
        if retry_at is not None:
            new_run(conn, dialect, work_order_id, workflow, cause="retry", priority=1, available_at=retry_at,
                    start_step=start_step, input_text=input_text)
        elif wipe_data:
            wipe(conn, dialect, work_order_id)
    return True


def lose(conn: Any, dialect: Dialect, run_id: str) -> str | None:
    """Mark an unfinished run lost and queue the next attempt first in line; the new run's id."""
    with dialect.transaction(conn):
        rows = dialect.execute(conn, _LOSE, {"run": run_id}).fetchall()
        if not rows:
            return None
        work_order_id, workflow, start_step, input_text = rows[0][:4]
        return new_run(conn, dialect, work_order_id, workflow, cause="lost", priority=0, start_step=start_step,
                       input_text=input_text)


def retry(conn: Any, dialect: Dialect, run_id: str, from_step: str | None, priority: int) -> Accepted:
    """A manual retry of a run's work order (see :meth:`RunStore.retry`)."""
    try:
        with dialect.transaction(conn):
            return _retry(conn, dialect, run_id, from_step, priority)
    except dialect.conflicts:  # another machine queued one at the same moment
        raise NotRetryable(f"the work order of run {run_id} already has a run waiting or running: "
                           f"wait for it to end") from None


def _retry(conn: Any, dialect: Dialect, run_id: str, from_step: str | None, priority: int) -> Accepted:
    (work_order_id, workflow, wiped_at), = dialect.execute(
        conn, "SELECT r.work_order_id, r.workflow, w.wiped_at FROM runs r JOIN work_orders w "
              "ON w.id = r.work_order_id WHERE r.id = :run{lock}", {"run": run_id}).fetchall()
    busy = dialect.execute(conn, f"SELECT id, state FROM runs WHERE work_order_id = :wo AND state IN {UNFINISHED} "
                                 f"LIMIT 1", {"wo": work_order_id}).fetchall()
    if busy:
        raise NotRetryable(f"work order {work_order_id} already has a run waiting or running "
                           f"(run {busy[0][0]}, {busy[0][1]}): wait for it to end")
    gone = (f"its input is no longer stored (wiped at {dialect.show_time(wiped_at)}, by the workflow's "
            f"keep_dataclips_days or zero_persistence)")
    if from_step is None:
        if wiped_at:
            raise NotRetryable(f"run {run_id} cannot be retried: {gone}")
        return Accepted(work_order_id, new_run(conn, dialect, work_order_id, workflow, cause="manual",
                                               priority=priority))
    steps = dialect.execute(conn, "SELECT step, input FROM steps WHERE run_id = :run ORDER BY seq",
                            {"run": run_id}).fetchall()
    step = match_step(from_step, [name for name, _ in steps], run_id)
    input_text = dict(steps)[step]
    if input_text is None:
        raise NotRetryable(f"run {run_id} cannot be retried from step {step}: "
                           f"{gone if wiped_at else 'the input of that step was not stored'}")
    new_id = new_run(conn, dialect, work_order_id, workflow, cause="manual", priority=priority, start_step=step,
                     input_text=input_text)
    return Accepted(work_order_id, new_id)


_WIPE = ("UPDATE work_orders SET input = 'null', wiped_at = :now WHERE id = :wo",
         "UPDATE runs SET input = NULL, final_state = NULL, webhook_response = NULL WHERE work_order_id = :wo",
         "UPDATE steps SET input = NULL, output = NULL WHERE run_id IN (SELECT id FROM runs WHERE work_order_id = :wo)")


def wipe(conn: Any, dialect: Dialect, work_order_id: str) -> None:
    """Remove every input and output of a work order, keeping its metadata; mark it ``wiped_at``."""
    for statement in _WIPE:
        dialect.execute(conn, statement, {"wo": work_order_id})


# the work orders holding the cron cursor: computed once per purge, before its batches (any work order that
# becomes one meanwhile ended after the cutoff, so no batch would take it anyway)
KEPT = """
SELECT kept FROM (
  SELECT (SELECT work_order_id FROM runs WHERE workflow = :wf AND state = 'success'
          ORDER BY finished_at DESC LIMIT 1) AS kept
  UNION
  SELECT (SELECT r.work_order_id FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.workflow = :wf
          AND r.state = 'success' AND s.step = k.step AND s.error IS NULL ORDER BY r.finished_at DESC LIMIT 1)
  FROM (SELECT DISTINCT s.step FROM steps s JOIN runs r ON r.id = s.run_id
        WHERE r.workflow = :wf AND r.state = 'success') k) AS keep
WHERE kept IS NOT NULL"""
# the workflow's work orders that ended before :before, unfinished ones and the cron cursor's spared; only those
# made before it are read (an index range: a purge never reads the history it keeps)
_ENDED_BEFORE = f"""
SELECT w.id FROM work_orders w WHERE w.workflow = :wf AND w.created_at < :before {{extra}}
AND NOT EXISTS (SELECT 1 FROM runs u WHERE u.work_order_id = w.id AND u.state IN {UNFINISHED})
AND COALESCE((SELECT MAX(COALESCE(f.finished_at, f.inserted_at)) FROM runs f WHERE f.work_order_id = w.id),
             w.created_at) < :before
AND NOT w.id {{any_kept}}
LIMIT :limit{{skip_locked}}"""
_DELETE = ("DELETE FROM logs WHERE run_id IN (SELECT id FROM runs WHERE work_order_id {any_of})",
           "DELETE FROM steps WHERE run_id IN (SELECT id FROM runs WHERE work_order_id {any_of})",
           "DELETE FROM runs WHERE work_order_id {any_of}",
           "DELETE FROM work_orders WHERE id {any_of}")
_OLD_FIRINGS = """
DELETE FROM cron_firings WHERE workflow = :wf AND scheduled_at < :before AND scheduled_at <
  (SELECT MAX(scheduled_at) FROM cron_firings l WHERE l.workflow = cron_firings.workflow
   AND l.trigger = cron_firings.trigger)"""


def kept(conn: Any, dialect: Dialect, workflow: str) -> list[str]:
    """The workflow's work orders a purge spares for the cron cursor (see :meth:`RunStore.purge`)."""
    return [row[0] for row in dialect.execute(conn, KEPT, {"wf": workflow})]


def purge(conn: Any, dialect: Dialect, workflow: str, history_before: str | None,
          dataclips_before: str | None, limit: int, spared: list[str]) -> Purged:
    """Delete, then wipe, at most ``limit`` of the workflow's work orders that ended before each cutoff,
    except the ``spared`` ones (:func:`kept`; see :meth:`RunStore.purge`)."""
    deleted = wiped = 0
    ended_before = _ENDED_BEFORE.replace("{any_kept}", dialect.any_of.replace(":ids", ":kept"))
    with dialect.transaction(conn):
        if history_before:
            params = {"wf": workflow, "before": history_before, "limit": limit, "kept": dialect.ids(spared)}
            doomed = [row[0] for row in dialect.execute(conn, ended_before.replace("{extra}", ""), params)]
            for statement in _DELETE:
                dialect.execute(conn, statement.replace("{any_of}", dialect.any_of), {"ids": dialect.ids(doomed)})
            dialect.execute(conn, _OLD_FIRINGS, params)
            deleted = len(doomed)
        if dataclips_before:
            params = {"wf": workflow, "before": dataclips_before, "limit": limit, "kept": dialect.ids(spared)}
            stale = [row[0] for row in dialect.execute(
                conn, ended_before.replace("{extra}", "AND w.wiped_at IS NULL"), params)]
            for work_order_id in stale:
                wipe(conn, dialect, work_order_id)
            wiped = len(stale)
    return Purged(deleted, wiped)
