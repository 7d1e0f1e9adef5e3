"""The members of a shared PostgreSQL store: servers and workers that register, heartbeat and leave.

Every process says how long it may stay silent (``lost_after_s``, sent with
each heartbeat, timed by the database's clock). Any process may call
:meth:`Membership.recover_lost`: the runs of a silent member are lost and
queued again, and its row is removed, so its next heartbeat answers ``False``
and it knows to stop what it runs.

Example::

    store.register_worker("worker-a", kind="worker")
    store.heartbeat("worker-a")          # True while the store counts it alive
    store.recover_lost(["worker-a"])     # [(lost run, new run)] of members that went silent
    store.record_versions("worker-a", {"forms": "3f2c9a0b1d4e"})   # after each reload
"""

from __future__ import annotations

import json
import os
import socket
from typing import Callable

from runtime.store import postgres_ops as ops
from runtime.store.postgres_ops import QUEUED

__all__ = ["Membership"]

_FRESH = "k.heartbeat_at > now() - make_interval(secs => k.lost_after_s)"  # judged by its own lost_after_s
_STALE = f"""
SELECT r.id FROM runs r
WHERE r.state IN {ops.ACTIVE} AND (r.worker IS NULL OR NOT r.worker = ANY(%s))
  AND NOT EXISTS (SELECT 1 FROM workers k WHERE k.id = r.worker AND {_FRESH})
ORDER BY r.claimed_at"""


class Membership:
    """The part of :class:`~runtime.store.postgres.PostgresStore` that tracks live servers and workers
    (the membership half of :class:`~runtime.store.base.SharedRunStore`).

    Example::

        class PostgresStore(SQLStoreBase, Membership, SharedRunStore): ...
    """

    lost_after_s: float
    _registered: set[str]

    def register_worker(self, worker_id: str, kind: str = "server") -> None:
        """Record a live server or worker (many may share this store); it must :meth:`heartbeat` from now on."""
        self._execute("INSERT INTO workers (id, kind, host, pid, lost_after_s) VALUES (%s, %s, %s, %s, %s) "
                      "ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), lost_after_s = excluded.lost_after_s",
                      (worker_id, kind, socket.gethostname(), os.getpid(), self.lost_after_s))
        self._registered.add(worker_id)

    def heartbeat(self, worker_id: str) -> bool:
        """Refresh the worker's heartbeat; ``False`` if it was declared dead (its runs were requeued).

        It also folds the run counters' pending changes when many wait (workers alone never count runs)."""
        self._write(ops.fold_counts)
        return bool(self._execute("UPDATE workers SET heartbeat_at = now(), lost_after_s = %s WHERE id = %s "
                                  "RETURNING 1", (self.lost_after_s, worker_id)))

    def unregister_worker(self, worker_id: str) -> None:
        """A worker that stopped cleanly leaves (its runs must have ended or been lost)."""
        self._execute("DELETE FROM workers WHERE id = %s", (worker_id,))
        self._registered.discard(worker_id)

    def live_workers(self) -> list[tuple[str, str, str, int]]:
        """``(id, kind, host, pid)`` of every worker whose heartbeat is fresh."""
        return [tuple(row) for row in self._execute(
            f"SELECT id, kind, host, pid FROM workers k WHERE {_FRESH} ORDER BY started_at, id")]

    def record_versions(self, worker_id: str, versions: dict[str, str]) -> None:
        """Record the workflow versions this member serves (``runtime.worker.reload``)."""
        self._execute("UPDATE workers SET versions = %s WHERE id = %s", (json.dumps(versions), worker_id))

    def member_versions(self) -> dict[str, dict[str, str]]:
        """``{member id: {workflow: version}}`` of every live member that recorded its versions."""
        return {row[0]: json.loads(row[1]) for row in self._execute(
            f"SELECT id, versions FROM workers k WHERE {_FRESH} AND versions IS NOT NULL ORDER BY id")}

    def server_running(self) -> bool:
        """Whether any server or worker is alive on this store (it will run what is queued)."""
        return bool(self.live_workers())

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever a run is queued, by any process (``LISTEN pyfn_runs``)."""
        self._listener.on(QUEUED, lambda payload: callback())

    def recover_lost(self, alive_worker_ids: list[str]) -> list[tuple[str, str]]:
        """Lose every claimed or started run whose worker is neither in ``alive_worker_ids`` nor heartbeating.

        Safe from many processes at once: each run is lost by exactly one of them.
        Workers whose heartbeat is stale are removed, so they learn they were declared dead.
        """
        stale = [row[0] for row in self._execute(_STALE, (list(alive_worker_ids),))]
        recovered = [(run_id, new_id) for run_id in stale if (new_id := self.lose(run_id))]
        self._execute(f"DELETE FROM workers k WHERE NOT {_FRESH} AND NOT id = ANY(%s)", (list(alive_worker_ids),))
        return recovered
