"""Heartbeats: how every process on a shared store shows it is alive, and finds those that are not.

Every ``interval_s`` the thread refreshes this process's row in the store's
``workers`` table, and every ``reap_every_s`` it asks the store to lose the
runs of workers whose heartbeat is older than the store's ``lost_after_s``
(any live process may do it; each run is lost once). ``on_dead`` is called
when this process must stop running what it has claimed:

- the store answered that this worker was declared dead (its runs were
  already requeued: running them on would run them twice), or
- the store could not be reached for most of ``lost_after_s`` (others are
  about to declare it dead).

Example::

    beat = Heartbeat(store, worker_id, log, interval_s=2, on_dead=lambda why: pool.abort())
    beat.start()
    ...
    beat.stop()
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from runtime import defaults
from runtime.logger import Logger
from runtime.store.base import RunStore, SharedRunStore

__all__ = ["Heartbeat", "join_cluster", "SHARED_IDLE_S"]

SHARED_IDLE_S = 2.0  # idle claim loops on a shared store: LISTEN/NOTIFY wakes them, this is the fallback
_FENCE_FRACTION = 0.8  # unreachable for this share of lost_after_s: stop before others requeue the runs


class Heartbeat:
    """The heartbeat thread of one server or worker (see the module docstring).

    Args:
        store: a shared store (:class:`~runtime.store.base.SharedRunStore`, PostgreSQL).
        worker_id: the id this process registered with ``store.register_worker``.
        log: where requeued runs and store trouble are reported.
        interval_s: seconds between heartbeats (well under ``store.lost_after_s``).
        reap_every_s: seconds between looks for dead workers (default: ``interval_s``).
        on_dead: called once with the reason when this process must stop its runs.
        on_lost: called with the id of each run of a dead process that this one requeued.

    Example::

        Heartbeat(store, "w-1", log, interval_s=0.5).start()
    """

    def __init__(self, store, worker_id: str, log: Logger, interval_s: float = defaults.HEARTBEAT_S,
                 reap_every_s: float | None = None, on_dead: Callable[[str], None] | None = None,
                 on_lost: Callable[[str], None] | None = None):
        self.store, self.worker_id, self.log = store, worker_id, log
        self.interval_s = interval_s
        self.reap_every_s = interval_s if reap_every_s is None else reap_every_s
        self.on_dead, self.on_lost = on_dead, on_lost
        self.dead_reason: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pyfn-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        lost_after_s = self.store.lost_after_s
        if self.interval_s * 2 > lost_after_s:
            self.log.warn(f"a heartbeat every {self.interval_s:g}s with --lost-after-s {lost_after_s:g}: one late "
                          f"heartbeat could get this process declared dead (keep --lost-after-s at 3 heartbeats "
                          f"or more)")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        last_ok, next_reap = time.monotonic(), 0.0
        while not self._stop.wait(self.interval_s) and self.dead_reason is None:
            now = time.monotonic()
            try:
                if not self.store.heartbeat(self.worker_id):
                    self._die("the store declared this process dead (no heartbeat for "
                              f"{self.store.lost_after_s:g}s): its runs were queued again elsewhere")
                    return
                last_ok = now
                if now >= next_reap:
                    next_reap = now + self.reap_every_s
                    self.reap()
            except Exception as exc:  # noqa: BLE001 - a store hiccup: keep trying, fence if it lasts
                self.log.error(f"heartbeat failed: {type(exc).__name__}: {exc}")
                if now - last_ok > self.store.lost_after_s * _FENCE_FRACTION:
                    self._die(f"the store was unreachable for {now - last_ok:.0f}s: stopping runs before "
                              f"another process requeues them")
                    return

    def reap(self) -> list[tuple[str, str]]:
        """Requeue the runs of dead workers now; ``[(lost run, new run)]``."""
        recovered = self.store.recover_lost([self.worker_id])
        for lost, queued in recovered:
            self.log.warn(f"run {lost} was left unfinished by a worker that stopped heartbeating: marked lost, "
                          f"queued again as {queued}")
            if self.on_lost is not None:
                self.on_lost(lost)
        return recovered

    def _die(self, reason: str) -> None:
        self.dead_reason = reason
        self.log.error(reason)
        if self.on_dead is not None:
            self.on_dead(reason)


def join_cluster(store: RunStore, worker_id: str, log: Logger, interval_s: float, lost_after_s: float,
                 on_dead: Callable[[str], None] | None = None,
                 on_lost: Callable[[str], None] | None = None) -> Heartbeat | None:
    """Start heartbeating on a shared (PostgreSQL) store; ``None`` for a store of one machine (SQLite).

    Sets the store's ``lost_after_s`` first, so this process judges others as
    they judge it.

    Example::

        beat = join_cluster(store, worker_id, log, 2.0, 30.0, on_dead=lambda why: pool.abort())
        ...
        if beat: beat.stop()
    """
    if not isinstance(store, SharedRunStore):
        return None
    store.lost_after_s = lost_after_s
    return Heartbeat(store, worker_id, log, interval_s, on_dead=on_dead, on_lost=on_lost).start()
