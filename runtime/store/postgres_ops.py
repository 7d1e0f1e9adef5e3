"""The SQL of the PostgreSQL run store: each write, as one statement or one transaction.

Every function takes an autocommit psycopg connection; those that need several
statements open their own ``conn.transaction()``. Queued runs send ``NOTIFY
pyfn_runs`` and ended runs ``NOTIFY pyfn_ended`` in the same transaction, so
the notification goes out at commit or not at all.

**Claims under limits.** The candidate run is picked with ``FOR UPDATE SKIP
LOCKED`` (claimers never wait for each other). When its workflow has a
``max_concurrency``, the claimer then takes a transaction-level advisory lock
on the workflow and checks the limit again with a fresh snapshot: claims of a
limited workflow are serialised across every machine, so it never runs more
than its limit, and ``max_concurrency: 1`` keeps arrival order.

Example::

    with pool.connection() as conn:
        accepted = accept(conn, "wf", "hook", '{"data":{}}', None, 1)
        claimed = claim(conn, "worker-a", {"wf": 1})
"""

from __future__ import annotations

import uuid
from typing import Any, Mapping

from runtime.store.migrate import LOCK_SPACE
from runtime.store.records import Accepted, ClaimedRun, NotRetryable, Purged, match_step

__all__ = ["QUEUED", "ENDED", "accept", "claim", "finish", "lose", "retry", "fire_cron", "wipe", "purge",
           "ACTIVE", "UNFINISHED"]

QUEUED, ENDED = "pyfn_runs", "pyfn_ended"
ACTIVE = "('claimed', 'started')"
UNFINISHED = "('available', 'claimed', 'started')"
WORKFLOW_LOCKS = LOCK_SPACE + 1  # advisory lock (WORKFLOW_LOCKS, hashtext(workflow)): claims of a limited workflow

_NEW_RUN = f"""
INSERT INTO runs (id, work_order_id, workflow, state, priority, attempt, inserted_at, available_at, cause,
                  start_step, input)
SELECT %(id)s, %(wo)s, %(wf)s, 'available', %(priority)s,
       (SELECT COALESCE(MAX(attempt), 0) + 1 FROM runs WHERE work_order_id = %(wo)s), now(),
       COALESCE(%(at)s::timestamptz, now()), %(cause)s, %(step)s, %(input)s
RETURNING pg_notify('{QUEUED}', workflow)"""

_ACCEPT = f"""
WITH wo AS (INSERT INTO work_orders (id, workflow, trigger, dedupe_key, input, created_at)
            VALUES (%(wo)s, %(wf)s, %(trigger)s, %(key)s, %(input)s, now())
            ON CONFLICT (workflow, dedupe_key) DO NOTHING RETURNING id),
     run AS (INSERT INTO runs (id, work_order_id, workflow, state, priority, attempt, inserted_at, available_at)
             SELECT %(run)s, id, %(wf)s, 'available', %(priority)s, 1, now(), now() FROM wo RETURNING workflow)
SELECT pg_notify('{QUEUED}', workflow) FROM run"""

_CLAIMED = """
RETURNING r.id, r.work_order_id, r.workflow, r.attempt,
          COALESCE(r.input, (SELECT input FROM work_orders w WHERE w.id = r.work_order_id)), r.start_step,
          (SELECT COUNT(*) FROM runs x WHERE x.work_order_id = r.work_order_id AND x.cause = 'retry')"""

# under limit n, run r (of work order w) may start: fewer than n running, and with n = 1 nothing queued before it
_WITHIN = f"""(
  (SELECT COUNT(*) FROM runs a WHERE a.workflow = r.workflow AND a.state IN {ACTIVE}) < {{n}}
  AND ({{n}} > 1 OR NOT EXISTS (
    SELECT 1 FROM runs e JOIN work_orders ew ON ew.id = e.work_order_id
    WHERE e.workflow = r.workflow AND e.state = 'available' AND e.id <> r.id
      AND (e.priority, ew.seq, e.attempt) < (r.priority, w.seq, r.attempt))))"""

_CANDIDATE = f"""
SELECT r.id, r.workflow FROM runs r JOIN work_orders w ON w.id = r.work_order_id
WHERE r.state = 'available' AND r.available_at <= now() AND NOT r.workflow = ANY(%(skip)s)
  AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.work_order_id = r.work_order_id AND o.state IN {ACTIVE})
  AND NOT EXISTS (SELECT 1 FROM unnest(%(names)s::text[], %(limits)s::integer[]) AS l (workflow, n)
                  WHERE l.workflow = r.workflow AND NOT {_WITHIN.format(n="l.n")})
ORDER BY r.priority, r.available_at, w.seq, r.attempt
LIMIT 1 FOR UPDATE OF r SKIP LOCKED"""

_FINISH = f"""
UPDATE runs SET state = %s, error_type = %s, finished_at = now(), final_state = %s, webhook_response = %s
WHERE id = %s AND state IN {ACTIVE}
RETURNING work_order_id, workflow, start_step, input, pg_notify('{ENDED}', id)"""


def _new_run(conn: Any, work_order_id: str, workflow: str, *, cause: str, priority: int,
             available_at: str | None = None, start_step: str | None = None, input_text: str | None = None) -> str:
    run_id = str(uuid.uuid4())
    conn.execute(_NEW_RUN, {"id": run_id, "wo": work_order_id, "wf": workflow, "priority": priority,
                            "at": available_at, "cause": cause, "step": start_step, "input": input_text})
    return run_id


def accept(conn: Any, workflow: str, trigger: str | None, text: str, dedupe_key: str | None,
           priority: int) -> Accepted:
    """A new work order and its first run (one statement), or the original ids of a duplicate."""
    work_order_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    params = {"wo": work_order_id, "run": run_id, "wf": workflow, "trigger": trigger, "key": dedupe_key,
              "input": text, "priority": priority}
    if conn.execute(_ACCEPT, params).fetchall():
        return Accepted(work_order_id, run_id)
    (original, latest), = conn.execute(
        "SELECT w.id, r.id FROM work_orders w JOIN runs r ON r.work_order_id = w.id "
        "WHERE w.workflow = %s AND w.dedupe_key = %s ORDER BY r.attempt DESC LIMIT 1", (workflow, dedupe_key))
    return Accepted(original, latest, duplicate=True)


class _Taken(Exception):
    """The limited workflow filled up while this claimer waited for its lock: roll back, look again."""


def claim(conn: Any, worker_id: str, limits: Mapping[str, int]) -> ClaimedRun | None:
    """Take the next claimable run (see :meth:`RunStore.claim` and the module docstring)."""
    limits = {name: n for name, n in limits.items() if n}
    if not limits:  # one statement: pick, lock and claim
        row = conn.execute(f"WITH next AS ({_CANDIDATE}) UPDATE runs r SET state = 'claimed', worker = %(worker)s, "
                           f"claimed_at = now() FROM next WHERE r.id = next.id {_CLAIMED}",
                           {"skip": [], "names": [], "limits": [], "worker": worker_id}).fetchone()
        return ClaimedRun(*row) if row else None
    skip: list[str] = []
    for _ in range(len(limits) + 1):
        try:
            with conn.transaction():
                return _claim_once(conn, worker_id, limits, skip)
        except _Taken as taken:
            skip.append(str(taken))
    return None


def _claim_once(conn: Any, worker_id: str, limits: Mapping[str, int], skip: list[str]) -> ClaimedRun | None:
    row = conn.execute(_CANDIDATE, {"skip": skip, "names": list(limits), "limits": list(limits.values())}).fetchone()
    if row is None:
        return None
    run_id, workflow = row
    if workflow in limits:
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (WORKFLOW_LOCKS, workflow))
        within = conn.execute(f"SELECT {_WITHIN.format(n='%(n)s')} FROM runs r JOIN work_orders w "
                              f"ON w.id = r.work_order_id WHERE r.id = %(id)s", {"n": limits[workflow], "id": run_id})
        if not within.fetchone()[0]:
            raise _Taken(workflow)
    claimed = conn.execute(f"UPDATE runs r SET state = 'claimed', worker = %s, claimed_at = now() WHERE id = %s "
                           f"{_CLAIMED}", (worker_id, run_id)).fetchone()
    return ClaimedRun(*claimed)


def finish(conn: Any, run_id: str, values: tuple, retry_at: str | None, wipe_data: bool) -> bool:
    """End a run (``values``: state, error type, final state, webhook response); then retry or wipe."""
    with conn.transaction():
        row = conn.execute(_FINISH, (*values, run_id)).fetchone()
        if row is None:
            return False
        work_order_id, workflow, start_step, input_text, _ = row
        if retry_at is not None:
            _new_run(conn, work_order_id, workflow, cause="retry", priority=1, available_at=retry_at,
                     start_step=start_step, input_text=input_text)
        elif wipe_data:
            wipe(conn, work_order_id)
    return True


def lose(conn: Any, run_id: str) -> str | None:
    """Mark an unfinished run lost and queue the next attempt first in line; the new run's id."""
    with conn.transaction():
        row = conn.execute(f"UPDATE runs SET state = 'lost', error_type = 'LostError', finished_at = now() "
                           f"WHERE id = %s AND state IN {ACTIVE} "
                           f"RETURNING work_order_id, workflow, start_step, input, pg_notify('{ENDED}', id)",
                           (run_id,)).fetchone()
        if row is None:
            return None
        work_order_id, workflow, start_step, input_text, _ = row
        return _new_run(conn, work_order_id, workflow, cause="lost", priority=0, start_step=start_step,
                        input_text=input_text)


def retry(conn: Any, run_id: str, from_step: str | None, priority: int) -> Accepted:
    """A manual retry of a run's work order (see :meth:`RunStore.retry`)."""
    import psycopg

    try:
        with conn.transaction():
            return _retry(conn, run_id, from_step, priority)
    except psycopg.errors.UniqueViolation:  # another machine queued one at the same moment
        raise NotRetryable(f"the work order of run {run_id} already has a run waiting or running: "
                           f"wait for it to end") from None


def _retry(conn: Any, run_id: str, from_step: str | None, priority: int) -> Accepted:
    work_order_id, workflow, wiped_at = conn.execute(
        "SELECT r.work_order_id, r.workflow, w.wiped_at FROM runs r JOIN work_orders w ON w.id = r.work_order_id "
        "WHERE r.id = %s FOR UPDATE OF w", (run_id,)).fetchone()
    busy = conn.execute(f"SELECT id, state FROM runs WHERE work_order_id = %s AND state IN {UNFINISHED} LIMIT 1",
                        (work_order_id,)).fetchone()
    if busy:
        raise NotRetryable(f"work order {work_order_id} already has a run waiting or running "
                           f"(run {busy[0]}, {busy[1]}): wait for it to end")
    gone = (f"its input is no longer stored (wiped at {wiped_at and wiped_at.isoformat()}, by the workflow's "
            f"keep_dataclips_days or zero_persistence)")
    if from_step is None:
        if wiped_at:
            raise NotRetryable(f"run {run_id} cannot be retried: {gone}")
        return Accepted(work_order_id, _new_run(conn, work_order_id, workflow, cause="manual", priority=priority))
    steps = conn.execute("SELECT step, input FROM steps WHERE run_id = %s ORDER BY seq", (run_id,)).fetchall()
    step = match_step(from_step, [name for name, _ in steps], run_id)
    input_text = dict(steps)[step]
    if input_text is None:
        raise NotRetryable(f"run {run_id} cannot be retried from step {step}: "
                           f"{gone if wiped_at else 'the input of that step was not stored'}")
    new_id = _new_run(conn, work_order_id, workflow, cause="manual", priority=priority, start_step=step,
                      input_text=input_text)
    return Accepted(work_order_id, new_id)


def fire_cron(conn: Any, workflow: str, trigger: str, scheduled_at: str, text: str) -> Accepted | None:
    """Record a firing and queue its work order, or ``None`` if any server recorded that firing before."""
    with conn.transaction():
        inserted = conn.execute("INSERT INTO cron_firings (workflow, trigger, scheduled_at) VALUES (%s, %s, %s) "
                                "ON CONFLICT DO NOTHING RETURNING 1", (workflow, trigger, scheduled_at)).fetchone()
        if inserted is None:
            return None
        accepted = accept(conn, workflow, trigger, text, None, 1)
        conn.execute("UPDATE cron_firings SET work_order_id = %s WHERE workflow = %s AND trigger = %s "
                     "AND scheduled_at = %s", (accepted.work_order_id, workflow, trigger, scheduled_at))
        return accepted


def wipe(conn: Any, work_order_id: str) -> None:
    """Remove every input and output of a work order, keeping its metadata; mark it ``wiped_at``."""
    conn.execute("UPDATE work_orders SET input = 'null', wiped_at = now() WHERE id = %s", (work_order_id,))
    conn.execute("UPDATE runs SET input = NULL, final_state = NULL, webhook_response = NULL "
                 "WHERE work_order_id = %s", (work_order_id,))
    conn.execute("UPDATE steps SET input = NULL, output = NULL WHERE run_id IN "
                 "(SELECT id FROM runs WHERE work_order_id = %s)", (work_order_id,))


_KEPT = """
SELECT (SELECT work_order_id FROM runs WHERE workflow = %(wf)s AND state = 'success'
        ORDER BY finished_at DESC LIMIT 1)
UNION
SELECT (SELECT r.work_order_id FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.workflow = %(wf)s
        AND r.state = 'success' AND s.step = k.step AND s.error IS NULL ORDER BY r.finished_at DESC LIMIT 1)
FROM (SELECT DISTINCT s.step FROM steps s JOIN runs r ON r.id = s.run_id
      WHERE r.workflow = %(wf)s AND r.state = 'success') k
"""
_ENDED_BEFORE = f"""
SELECT w.id FROM work_orders w WHERE w.workflow = %(wf)s {{extra}}
AND NOT EXISTS (SELECT 1 FROM runs u WHERE u.work_order_id = w.id AND u.state IN {UNFINISHED})
AND COALESCE((SELECT MAX(COALESCE(f.finished_at, f.inserted_at)) FROM runs f WHERE f.work_order_id = w.id),
             w.created_at) < %(before)s::timestamptz
AND w.id NOT IN (SELECT kept FROM ({_KEPT}) AS keep (kept) WHERE kept IS NOT NULL)
FOR UPDATE OF w SKIP LOCKED
"""


def purge(conn: Any, workflow: str, history_before: str | None, dataclips_before: str | None) -> Purged:
    """Delete, then wipe, the workflow's work orders that ended before each cutoff (see :meth:`RunStore.purge`)."""
    deleted = wiped = 0
    with conn.transaction():
        if history_before:
            params = {"wf": workflow, "before": history_before}
            doomed = [row[0] for row in conn.execute(_ENDED_BEFORE.format(extra=""), params)]
            conn.execute("DELETE FROM work_orders WHERE id = ANY(%s)", (doomed,))  # runs, steps, logs cascade
            conn.execute("DELETE FROM cron_firings c WHERE workflow = %s AND scheduled_at < %s AND scheduled_at < "
                         "(SELECT MAX(scheduled_at) FROM cron_firings l WHERE l.workflow = c.workflow "
                         "AND l.trigger = c.trigger)", (workflow, history_before))
            deleted = len(doomed)
        if dataclips_before:
            params = {"wf": workflow, "before": dataclips_before}
            stale = [row[0] for row in conn.execute(_ENDED_BEFORE.format(extra="AND w.wiped_at IS NULL"), params)]
            for work_order_id in stale:
                wipe(conn, work_order_id)
            wiped = len(stale)
    return Purged(deleted, wiped)
