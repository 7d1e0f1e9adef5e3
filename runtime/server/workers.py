"""Claim loops: N worker threads in the server, each running one run at a time in its own process.

A worker claims the oldest available run from the store (atomically, so two
workers never take the same run, and never a second run of a work order that is
already running), hands it to the :class:`~runtime.server.supervisor.Supervisor`
and records how it ended. An accepted delivery wakes the workers at once; they
also look every half second, for runs queued by someone else.

Example:
    >>> signal = Wakeup()
    >>> seen = signal.generation
    >>> signal.notify(); signal.wait(seen, timeout=0)
    True
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from ..logger import Logger, format_duration
from ..store import ClaimedRun, RunStore
from .supervisor import Outcome, Supervisor

__all__ = ["WorkerPool", "Wakeup"]

_IDLE_SECONDS = 0.5


class Wakeup:
    """A counter workers wait on: ``notify`` wakes every waiter that saw an older count (see the module example)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.generation = 0

    def notify(self) -> None:
        with self._cond:
            self.generation += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Wait until the count moves past ``seen``; whether it did."""
        with self._cond:
            return self._cond.wait_for(lambda: self.generation != seen, timeout)


class WorkerPool:
    """``count`` claim loops sharing one store and one supervisor.

    Args:
        store: the run store.
        workflows: workflow name → file, for the runs it may claim.
        supervisor: runs a claimed run in a child process.
        worker_id: this server instance's id, recorded on every claim.
        count: number of claim loops (0: accept deliveries, run nothing).
        log: the server's ``[SRV]`` logger.

    Example::

        pool = WorkerPool(store, project.workflows, supervisor, worker_id, count=2, log=log)
        pool.start()            # then pool.wake() after each accepted delivery
        pool.stop(30)           # on shutdown: the ids of the runs it had to stop
    """

    def __init__(self, store: RunStore, workflows: dict[str, Path], supervisor: Supervisor, worker_id: str,
                 count: int, log: Logger):
        self.store, self.workflows, self.supervisor = store, workflows, supervisor
        self.worker_id, self.count, self.log = worker_id, count, log
        self.wakeup = Wakeup()
        self._stopping = threading.Event()
        self._abort = threading.Event()
        self._threads: list[threading.Thread] = []
        self.running: dict[str, ClaimedRun] = {}
        self._aborted: list[str] = []

    def start(self) -> None:
        for number in range(self.count):
            thread = threading.Thread(target=self._loop, name=f"pyfn-worker-{number + 1}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """A run was queued: let an idle worker claim it now."""
        self.wakeup.notify()

    def stop(self, grace_seconds: float) -> list[str]:
        """Claim nothing more; let running runs finish for ``grace_seconds``, then stop and requeue them.

        Returns the ids of the runs that were stopped (they are ``lost`` and queued again).
        """
        self._stopping.set()
        self.wakeup.notify()
        self._join(time.monotonic() + grace_seconds)
        if any(t.is_alive() for t in self._threads):
            self._abort.set()
            self._join(time.monotonic() + 10)
        return list(self._aborted)

    def abort(self) -> None:
        """Stop the running runs now (they are marked lost and queued again)."""
        self._abort.set()

    def _join(self, deadline: float) -> None:
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _loop(self) -> None:
        while not self._stopping.is_set():
            seen = self.wakeup.generation
            try:
                claimed = self.store.claim(self.worker_id)
            except Exception as exc:  # noqa: BLE001 - a store hiccup must not end the worker
                self.log.error(f"claiming a run failed: {type(exc).__name__}: {exc}")
                claimed = None
            if claimed is None:
                self.wakeup.wait(seen, _IDLE_SECONDS)
                continue
            self._execute(claimed)

    def _execute(self, claimed: ClaimedRun) -> None:
        self.running[claimed.id] = claimed
        started = time.monotonic()
        try:
            outcome = self._outcome(claimed)
            if outcome.aborted:
                new_id = self.store.lose(claimed.id)
                self._aborted.append(claimed.id)
                self.log.warn(f"run {claimed.id} did not finish before the shutdown: lost, queued again as "
                              f"{new_id} (it runs at the next start)")
                return
            self.store.finish(claimed.id, outcome.state, outcome.error_type, outcome.final_state,
                              outcome.webhook_response)
            self._report(claimed, outcome, time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - record the crash, keep the worker
            self.log.error(f"run {claimed.id} could not be supervised: {type(exc).__name__}: {exc}")
            try:
                self.store.finish(claimed.id, "crashed", type(exc).__name__)
            except Exception as again:  # noqa: BLE001 - the store is down: the run is lost at the next start
                self.log.error(f"run {claimed.id} could not be recorded: {type(again).__name__}: {again}")
        finally:
            self.running.pop(claimed.id, None)

    def _outcome(self, claimed: ClaimedRun) -> Outcome:
        path = self.workflows.get(claimed.workflow)
        if path is None:
            self.store.append_logs(claimed.id, [f"[R/T] ✘ CRITICAL ERROR! Workflow {claimed.workflow} "
                                                f"is not loaded by this server"])
            return Outcome("crashed", "WorkflowNotFound")
        return self.supervisor.run(claimed, str(path), self._abort)

    def _report(self, claimed: ClaimedRun, outcome: Outcome, seconds: float) -> None:
        text = f"run {claimed.id} {outcome.state}"
        if outcome.error_type:
            text += f" ({outcome.error_type})"
        text += f" in {format_duration(seconds * 1000)} [{claimed.workflow}, attempt {claimed.attempt}]"
        method: Callable[[str], None] = {"success": self.log.success, "failed": self.log.warn}.get(
            outcome.state, self.log.error)
        method(text)
