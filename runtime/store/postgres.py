"""The PostgreSQL run store: one database shared by webhook servers and workers on many machines.

- **Claims** take the next run with ``SELECT … FOR UPDATE SKIP LOCKED`` (see
  :mod:`runtime.store.postgres_ops`); at most one unfinished run per work order.
- **Heartbeats.** Every server and worker registers in ``workers`` and beats
  every few seconds (the database's clock), saying how long it may stay silent
  (``lost_after_s``). Any of them may :meth:`~PostgresStore.recover_lost`: the
  runs of a silent worker are lost and queued again, and its row is removed,
  so its own next :meth:`~PostgresStore.heartbeat` answers ``False``.
- **Wake-ups.** Queued runs send ``NOTIFY pyfn_runs``, ended ones ``NOTIFY
  pyfn_ended``: :meth:`~PostgresStore.subscribe` and :meth:`~PostgresStore.wait_for`
  use them, polling as the fallback. The schema is migrated on open.

Example::

    store = PostgresStore("postgresql://pyfn@db.internal/pyfn")
    store.register_worker("worker-a")
    store.subscribe(lambda: print("a run was queued"))
    run = store.claim("worker-a", {"sequential-workflow": 1})
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from runtime.store import postgres_ops as ops
from runtime.store.base import SharedRunStore
from runtime.store.pgconn import Listener, Pool
from runtime.store.postgres_members import Membership
from runtime.store.postgres_ops import ENDED, QUEUED
from runtime.store.records import Accepted, ClaimedRun, RunSummary, to_json_text
from runtime.store.sql_common import SQLStoreBase, dump, like_prefix

__all__ = ["PostgresStore", "QUEUED", "ENDED", "display_url"]

_FILTER_COLUMNS = {"workflow": "r.workflow", "state": "r.state", "trigger": "w.trigger", "work_order": "r.work_order_id"}
_POLL_SECONDS = 0.25
_APPEND_LOGS = """
INSERT INTO logs (run_id, seq, at, line)
SELECT %(run)s, base.last + t.n, t.at, t.line
FROM unnest(%(at)s::timestamptz[], %(lines)s::text[]) WITH ORDINALITY AS t (at, line, n),
     (SELECT COALESCE(MAX(seq), 0) AS last FROM logs WHERE run_id = %(run)s) AS base"""


def display_url(url: str) -> str:
    """``url`` with its password masked, for logs.

    Example:
        >>> display_url("postgresql://pyfn:s3cret@db.internal:5432/pyfn")
        'postgresql://pyfn:****@db.internal:5432/pyfn'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _iso(value: _dt.datetime | None) -> str | None:
    return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


def _clean(line: str) -> str:
    return line.replace("\x00", "\\u0000")  # PostgreSQL text cannot hold NUL


def _filters(**filters: Any) -> tuple[str, list]:
    """``WHERE`` on runs ``r`` and work orders ``w``: each filter a value or a sequence of values (``None``: any)."""
    clauses, params = [], []
    for name, value in filters.items():
        if value is not None:
            clauses.append(f"{_FILTER_COLUMNS[name]} = ANY(%s)")
            params.append([value] if isinstance(value, str) else list(value))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


class PostgresStore(SQLStoreBase, Membership, SharedRunStore):
    """A :class:`~runtime.store.base.SharedRunStore` in a PostgreSQL database, shared by every server and worker.

    Args:
        url: ``postgresql://user[:password]@host[:port]/database`` (libpq's URL, its query options too).
        pool_size: connections this process may open at once.
        lost_after_s: how long this process may go without a heartbeat before others declare it dead
            (recorded with each heartbeat: every process is judged by its own setting).
        migrate: bring the schema up to date on open (``False``: the caller runs ``pyfn db upgrade``).

    Example::

        store = PostgresStore("postgresql://pyfn@127.0.0.1/pyfn", lost_after_s=10)
    """

    def __init__(self, url: str, pool_size: int = 10, lost_after_s: float = 30.0, migrate: bool = True):
        self.url, self.lost_after_s = url, lost_after_s
        self._pool = Pool(url, size=pool_size)
        self._listener = Listener(url)
        self._ended = threading.Condition()
        self._ends_seen = 0
        self._listening_ends = False
        self._registered: set[str] = set()
        if migrate:
            self.upgrade()

    def upgrade(self) -> list:
        """Apply pending schema migrations (see :mod:`runtime.store.migrate`); the ones applied."""
        from runtime.store.migrate import upgrade

        with self._pool.connection() as conn:
            return upgrade(conn)

    def _execute(self, sql: str, params: Any = None) -> list[tuple]:
        with self._pool.connection() as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    _ops = ops
    _dialect = ops.DIALECT
    _counters = ops.COUNTERS

    def counts(self, workflow: str | None = None) -> dict[str, int]:
        self._write(ops.fold_counts)  # when many changes are pending: a count reads a few rows
        return super().counts(workflow)

    def _query(self, sql: str, params: Any = ()) -> list[tuple]:
        """The shared queries are written with ``?`` placeholders (see :mod:`.sql_common`)."""
        return self._execute(sql.replace("?", "%s"), params)

    @staticmethod
    def _filters(**filters: Any) -> tuple[str, list]:
        return _filters(**filters)

    @staticmethod
    def _time(value: Any) -> str | None:
        return _iso(value)

    def batch(self) -> Any:
        """The writes inside in one transaction on one pooled connection (see :meth:`RunStore.batch`)."""
        return self._pool.transaction()

    def _write(self, fn, *args):
        """``fn(conn, *args)`` (a function of :mod:`runtime.store.postgres_ops`) on a pooled connection."""
        with self._pool.connection() as conn:
            return fn(conn, *args)

    # -- the queue ---------------------------------------------------------------------------
    def accept(self, workflow: str, trigger: str | None, input_state: Any, dedupe_key: str | None = None,
               priority: int = 1) -> Accepted:
        return self._write(ops.accept, workflow, trigger, to_json_text(input_state), dedupe_key, priority)

    def claim(self, worker_id: str, limits: Mapping[str, int] | None = None) -> ClaimedRun | None:
        return self._write(ops.claim, worker_id, dict(limits or {}))

    def run_now(self, run_id: str) -> bool:
        return bool(self._execute("UPDATE runs SET available_at = now() WHERE id = %s AND state = 'available' "
                                  "AND available_at > now() RETURNING id", (run_id,)))

    def started(self, run_id: str, version: str | None = None) -> None:
        self._execute("UPDATE runs SET state = 'started', started_at = now()" + (", version = %s" if version else "")
                      + " WHERE id = %s AND state = 'claimed'", (version, run_id) if version else (run_id,))

    def step_started(self, run_id: str, step: str, input_state: Any, at: str | None = None) -> None:
        self._execute(
            "INSERT INTO steps (run_id, step, seq, input, started_at) VALUES (%(run)s, %(step)s, "
            "(SELECT COUNT(*) FROM steps WHERE run_id = %(run)s), %(input)s, COALESCE(%(at)s::timestamptz, now())) "
            "ON CONFLICT (run_id, step) DO UPDATE SET input = excluded.input, started_at = excluded.started_at",
            {"run": run_id, "step": step, "input": dump(input_state), "at": at})

    def step_finished(self, run_id: str, step: str, output: Any, error: Any = None, at: str | None = None) -> None:
        self._execute(
            "INSERT INTO steps (run_id, step, seq, output, error, finished_at) VALUES (%(run)s, %(step)s, "
            "(SELECT COUNT(*) FROM steps WHERE run_id = %(run)s), %(output)s, %(error)s, "
            "COALESCE(%(at)s::timestamptz, now())) ON CONFLICT (run_id, step) DO UPDATE "
            "SET output = excluded.output, error = excluded.error, finished_at = excluded.finished_at",
            {"run": run_id, "step": step, "output": dump(output), "error": dump(error), "at": at})

    def append_logs(self, run_id: str, lines: Sequence[str | tuple[str, str]]) -> None:
        if not lines:
            return
        now = _iso(_dt.datetime.now(_dt.timezone.utc))
        pairs = [(now, line) if isinstance(line, str) else line for line in lines]
        self._execute(_APPEND_LOGS, {"run": run_id, "at": [at for at, _ in pairs],
                                     "lines": [_clean(text) for _, text in pairs]})

    # -- reading -----------------------------------------------------------------------------
    def _id_candidates(self, table: str, ident: str) -> list[str]:
        return [row[0] for row in self._execute(f"SELECT id FROM {table} WHERE id = %s UNION "
                                                f"(SELECT id FROM {table} WHERE id LIKE %s ESCAPE '\\' LIMIT 3)",
                                                (ident, like_prefix(ident)))]

    def _wake_waiters(self, payload: str | None = None) -> None:
        with self._ended:
            self._ends_seen += 1
            self._ended.notify_all()

    def wait_for(self, run_id: str, timeout: float) -> RunSummary | None:
        if not self._listening_ends:
            self._listening_ends = True
            self._listener.on(ENDED, self._wake_waiters)
        deadline = time.monotonic() + timeout
        while True:
            seen = self._ends_seen
            summary = self._summary(run_id)
            remaining = deadline - time.monotonic()
            if summary is None or summary.final or remaining <= 0:
                return summary
            with self._ended:
                self._ended.wait_for(lambda: self._ends_seen != seen, min(remaining, _POLL_SECONDS))

    def close(self) -> None:
        """Leave (the workers this store registered) and release the connections."""
        for worker_id in list(self._registered):
            try:
                self.unregister_worker(worker_id)
            except Exception:  # noqa: BLE001 - the database is gone: the heartbeat goes stale instead
                pass
        self._listener.close()
        self._pool.close()
