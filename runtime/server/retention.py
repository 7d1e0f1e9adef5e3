"""Data retention: a periodic cleanup enforcing each workflow's ``history_days`` and ``keep_dataclips_days``.

``pyfn serve`` runs :func:`enforce` once at start and then every
``--cleanup-interval-s`` (an hour by default), by the server's clock (see
``runtime.server.clock`` for a clock that runs ahead):

- ``history_days: N``: work orders whose last run ended more than N days ago
  are deleted with their runs, steps and logs;
- ``keep_dataclips_days: N``: their inputs and outputs are wiped after N days
  (``wiped_at`` is set; states, errors, times and logs stay);
- work orders with a run still waiting or running are never touched, nor
  those holding the cron cursor (the last successful run and the last
  successful output of each step), so a scheduled sync never starts over.

``zero_persistence: true`` needs no cleanup: its inputs and outputs are never
kept past the run (see ``runtime.worker.pool``).

Example:
    >>> import datetime as dt
    >>> from runtime.workflow.policy import RunPolicy
    >>> now = dt.datetime(2024, 5, 10, tzinfo=dt.timezone.utc)
    >>> cutoffs(RunPolicy(history_days=7, keep_dataclips_days=1.5), now)
    ('2024-05-03T00:00:00.000000Z', '2024-05-08T12:00:00.000000Z')
"""

from __future__ import annotations

import datetime as _dt
import threading

from runtime.logger import Logger
from runtime.workflow.model import Workflow
from runtime.workflow.policy import RunPolicy
from runtime.store import Purged, RunStore, iso
from runtime.server.clock import ServerClock

__all__ = ["cutoffs", "enforce", "Housekeeper"]


def cutoffs(policy: RunPolicy, now: _dt.datetime) -> tuple[str | None, str | None]:
    """``(history_before, dataclips_before)`` for :meth:`RunStore.purge` (``None``: keep), as of ``now``."""
    def before(days: float | None) -> str | None:
        return None if days is None else iso(now - _dt.timedelta(days=days))

    return before(policy.history_days), before(policy.keep_dataclips_days)


def enforce(store: RunStore, plans: dict[str, Workflow], now: _dt.datetime,
            stop: threading.Event | None = None) -> dict[str, Purged]:
    """Apply every workflow's retention as of ``now``; what was done, by workflow (only where something was).
    Once ``stop`` is set, the purge under way ends after its current transaction and no other begins.

    Example::

        enforce(store, project.plans, ServerClock().now())   # {'sync': Purged(deleted=3, wiped=0)}
    """
    done = {}
    for name, plan in plans.items():
        if plan.policy.retains_everything or (stop is not None and stop.is_set()):
            continue
        history_before, dataclips_before = cutoffs(plan.policy, now)
        purged = store.purge(name, history_before=history_before, dataclips_before=dataclips_before, stop=stop)
        if purged.deleted or purged.wiped:
            done[name] = purged
    return done


class Housekeeper:
    """Runs :func:`enforce` at start and every ``interval_s`` seconds in a thread, logging what it did.

    Example::

        keeper = Housekeeper(store, project.plans, ServerClock(), 3600, log)
        keeper.start(); ...; keeper.stop()
    """

    def __init__(self, store: RunStore, plans: dict[str, Workflow], clock: ServerClock, interval_s: float, log: Logger):
        self.store, self.plans, self.clock, self.interval_s, self.log = store, plans, clock, interval_s, log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def needed(self) -> bool:
        return any(not plan.policy.retains_everything for plan in self.plans.values())

    def start(self) -> None:
        if self.needed and self.interval_s > 0:
            self._thread = threading.Thread(target=self._loop, name="pyfn-retention", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_once(self) -> dict[str, Purged]:
        """Enforce retention now and log what was deleted or wiped."""
        try:
            done = enforce(self.store, self.plans, self.clock.now(), self._stop)
        except Exception as exc:  # noqa: BLE001 - retried at the next interval
            self.log.error(f"retention cleanup failed: {type(exc).__name__}: {exc}")
            return {}
        for name, purged in done.items():
            self.log.always(f"retention: workflow {name}: {purged.deleted} work order(s) deleted, "
                          f"{purged.wiped} wiped")
        return done

    def _loop(self) -> None:
        self.run_once()
        while not self._stop.wait(self.interval_s):
            self.run_once()
