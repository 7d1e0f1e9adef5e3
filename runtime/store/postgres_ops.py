"""The SQL of the PostgreSQL run store: accepting, claiming and cron firings, each as one statement or one
transaction (the other write rules are :mod:`runtime.store.sql_writes`, with :data:`DIALECT`).

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
from runtime.store.pgconn import psycopg  # imported there, with a hint when it is missing
from runtime.store.records import Accepted, ClaimedRun
from runtime.store.sql_writes import ACTIVE, Dialect

__all__ = ["DIALECT", "QUEUED", "ENDED", "COUNTERS", "accept", "claim", "fire_cron", "fold_counts", "recount", "ACTIVE"]

QUEUED, ENDED = "pyfn_runs", "pyfn_ended"
# the write rules of runtime.store.sql_writes, in PostgreSQL: each in its own transaction, on the database's
# clock, notifying queued and ended runs, locking the work orders they change
DIALECT = Dialect(
    database_clock=True,
    fields={"queued": f"RETURNING pg_notify('{QUEUED}', workflow)", "ended": f", pg_notify('{ENDED}', id)",
            "lock": " FOR UPDATE OF w", "skip_locked": "\nFOR UPDATE OF w SKIP LOCKED"},
    transaction=lambda conn: conn.transaction(),
    conflicts=(psycopg.errors.UniqueViolation,),  # the one unfinished run per work order, queued elsewhere first
    any_of="= ANY(:ids)", ids=list, show_time=lambda value: value and value.isoformat())
WORKFLOW_LOCKS = LOCK_SPACE + 1  # advisory lock (WORKFLOW_LOCKS, hashtext(workflow)): claims of a limited workflow
FOLD_LOCK = 2  # advisory lock (LOCK_SPACE, FOLD_LOCK): one process at a time folds the counters' changes
FOLD_AFTER = 1000  # pending counter changes that make a count fold them first

# the runs counted (schema version 3): the folded counters and the changes not folded yet, read as one
COUNTERS = ("(SELECT workflow, state, step_failed, n FROM run_counts UNION ALL "
            "SELECT workflow, state, step_failed, n FROM run_count_changes)")
_FOLD = """
WITH moved AS (DELETE FROM run_count_changes RETURNING workflow, state, step_failed, n)
INSERT INTO run_counts (workflow, state, step_failed, n)
SELECT workflow, state, step_failed, SUM(n) FROM moved GROUP BY workflow, state, step_failed
ON CONFLICT (workflow, state, step_failed) DO UPDATE SET n = run_counts.n + excluded.n"""

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


def fold_counts(conn: Any, at_least: int = FOLD_AFTER) -> bool:
    """Move the counters' pending changes into ``run_counts`` when there are ``at_least`` of them and no other
    process is folding; whether it folded. Counts are the same before and after (see :data:`COUNTERS`)."""
    pending = conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM run_count_changes LIMIT %s) AS p",
                           (max(at_least, 1),)).fetchone()[0]
    if pending < max(at_least, 1):
        return False
    with conn.transaction():
        if not conn.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_SPACE, FOLD_LOCK)).fetchone()[0]:
            return False
        conn.execute(_FOLD)
    return True


def recount(conn: Any) -> None:
    """Count the runs afresh into ``run_counts`` (after rows written with the triggers off, as a bulk load does)."""
    with conn.transaction():
        conn.execute("LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE")
        conn.execute("DELETE FROM run_count_changes")
        conn.execute("DELETE FROM run_counts")
        conn.execute("INSERT INTO run_counts (workflow, state, step_failed, n) "
                     "SELECT workflow, state, step_failed, COUNT(*) FROM runs GROUP BY workflow, state, step_failed")
