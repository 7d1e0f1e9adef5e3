"""Claim loops: N worker threads in the server, each running one run at a time in its own process.

A worker claims the oldest available run from the store (atomically, so two
workers never take the same run, never a second run of a work order that is
already running, and never past a workflow's ``max_concurrency``), hands it to
the :class:`~runtime.worker.supervisor.Supervisor` and records how it ended.
An accepted delivery wakes the workers at once; they also look every half
second, for runs queued by someone else (``pyfn trigger``, ``pyfn runs retry``).

The workflow's run policy applies at the end of a run:

- ``retry``: a run that ended in one of ``retry.on`` (``failed`` and
  ``crashed`` by default; ``killed`` only if listed) while the work order has
  had fewer than ``retry.max`` automatic retries queues the next attempt in
  the same transaction, claimable after ``delay * backoff**(n-1)`` seconds;
- ``zero_persistence``: steps are recorded without their input and output, the
  final state and ``webhookResponse`` are not stored (a sync webhook reply
  gets them from :class:`Replies`, in memory), and the work order's input is
  wiped when its last attempt ends.

Example:
    >>> signal = Wakeup()
    >>> seen = signal.generation
    >>> signal.notify(); signal.wait(seen, timeout=0)
    True
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from runtime.logger import Logger, format_duration
from runtime.workflow.policy import RunPolicy
from runtime.store import ClaimedRun, RunStore, iso
from runtime.worker.supervisor import Outcome, Supervisor
from runtime.workflow.version import Snapshot

__all__ = ["WorkerPool", "Wakeup", "Replies", "Loaded"]

_IDLE_SECONDS = 0.5
_DEFAULT_POLICY = RunPolicy()


@dataclass(frozen=True)
class Loaded:
    """What the claim loops run: workflow name → file, run policy and loaded version; swapped whole on a reload.

    Example:
        >>> Loaded({"forms": Path("workflows/forms.yaml")}, {"forms": RunPolicy(max_concurrency=2)}, {}).limits
        {'forms': 2}
    """

    workflows: dict[str, Path]
    policies: dict[str, RunPolicy]
    snapshots: dict[str, Snapshot]

    @property
    def limits(self) -> dict[str, int]:
        return {name: p.max_concurrency for name, p in self.policies.items() if p.max_concurrency}


class Replies:
    """Hands the final state and ``webhookResponse`` of zero-persistence runs to the sync replies waiting for them.

    Such runs store neither. A sync webhook says which run it waits for
    (``expect``) before waiting; the worker keeps an outcome only for an
    expected run, in memory, until it is taken (``take``, also when the waiter gives up).

    Example:
        >>> replies = Replies()
        >>> replies.expect("run-1")
        >>> replies.put("run-1", '{"data":1}', None); replies.put("run-2", None, {"status": 202})
        >>> replies.take("run-1"), replies.take("run-2")
        (('{"data":1}', None), None)
    """

    def __init__(self) -> None:
        self._expected: set[str] = set()
        self._items: dict[str, tuple[Any, dict | None]] = {}
        self._lock = threading.Lock()

    def expect(self, run_id: str) -> None:
        with self._lock:
            self._expected.add(run_id)

    def put(self, run_id: str, final_state: Any, webhook_response: dict | None) -> None:
        with self._lock:
            if run_id in self._expected:
                self._items[run_id] = (final_state, webhook_response)

    def take(self, run_id: str) -> tuple[Any, dict | None] | None:
        with self._lock:
            self._expected.discard(run_id)
            return self._items.pop(run_id, None)


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
        policies: workflow name → run policy (retries, concurrency, zero persistence).
        idle_s: how often an idle claim loop looks for runs nobody woke it for (longer on a
            PostgreSQL store, whose ``LISTEN/NOTIFY`` wakes it for runs queued anywhere).
        snapshots: workflow name → the version loaded (``runtime.workflow.version``): what its runs execute.

    Example::

        pool = WorkerPool(store, project.workflows, supervisor, worker_id, count=2, log=log)
        pool.start()            # then pool.wake() after each accepted delivery
        pool.stop(30)           # on shutdown: the ids of the runs it had to stop
    """

    def __init__(self, store: RunStore, workflows: dict[str, Path], supervisor: Supervisor, worker_id: str,
                 count: int, log: Logger, policies: Mapping[str, RunPolicy] | None = None,
                 idle_s: float = _IDLE_SECONDS, snapshots: Mapping[str, Snapshot] | None = None):
        self.store, self.supervisor = store, supervisor
        self.idle_s = idle_s
        self.worker_id, self.count, self.log = worker_id, count, log
        self.loaded = Loaded(dict(workflows), dict(policies or {}), dict(snapshots or {}))
        self.replies = Replies()
        self.wakeup = Wakeup()
        self._stopping = threading.Event()
        self._abort = threading.Event()
        self._threads: list[threading.Thread] = []
        self.running: dict[str, ClaimedRun] = {}
        self._aborted: list[str] = []
        # called as hook(claimed, state, seconds) once a run's end is stored (metrics, alerts)
        self.on_end: list[Callable[[ClaimedRun, str, float], None]] = []

    def start(self) -> None:
        for number in range(self.count):
            thread = threading.Thread(target=self._loop, name=f"pyfn-worker-{number + 1}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def update(self, workflows: Mapping[str, Path], policies: Mapping[str, RunPolicy],
               snapshots: Mapping[str, Snapshot]) -> None:
        """A reload (``runtime.worker.reload``): runs claimed from now on run these; a running run keeps its own."""
        self.loaded = Loaded(dict(workflows), dict(policies), dict(snapshots))  # one swap

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
            limits = self.loaded.limits
            try:
                # limits only when a workflow sets max_concurrency: any backend can claim without them
                claimed = self.store.claim(self.worker_id, limits) if limits else self.store.claim(self.worker_id)
            except Exception as exc:  # noqa: BLE001 - a store hiccup must not end the worker
                self.log.error(f"claiming a run failed: {type(exc).__name__}: {exc}")
                claimed = None
            if claimed is None:
                self.wakeup.wait(seen, self.idle_s)
                continue
            self._execute(claimed)

    def _execute(self, claimed: ClaimedRun) -> None:
        self.running[claimed.id] = claimed
        started = time.monotonic()
        loaded = self.loaded  # the version this run executes, whatever a reload swaps in meanwhile
        policy = loaded.policies.get(claimed.workflow, _DEFAULT_POLICY)
        try:
            outcome = self._outcome(claimed, policy, loaded)
            if outcome.aborted:
                new_id = self.store.lose(claimed.id)
                self._aborted.append(claimed.id)
                self.log.warn(f"run {claimed.id} did not finish before the shutdown: lost, queued again as "
                              f"{new_id} (it runs at the next start)")
                return
            retry_in = self._record(claimed, outcome, policy)
            self._report(claimed, outcome, time.monotonic() - started, retry_in, policy)
            self._ended(claimed, outcome.state, time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - record the crash, keep the worker
            self.log.error(f"run {claimed.id} could not be supervised: {type(exc).__name__}: {exc}")
            try:
                self.store.finish(claimed.id, "crashed", type(exc).__name__)
            except Exception as again:  # noqa: BLE001 - the store is down: the run is lost at the next start
                self.log.error(f"run {claimed.id} could not be recorded: {type(again).__name__}: {again}")
        finally:
            self.running.pop(claimed.id, None)

    def _outcome(self, claimed: ClaimedRun, policy: RunPolicy, loaded: Loaded) -> Outcome:
        path = loaded.workflows.get(claimed.workflow)
        if path is None:
            self.store.append_logs(claimed.id, [f"[R/T] ✘ CRITICAL ERROR! Workflow {claimed.workflow} "
                                                f"is not loaded by this server"])
            return Outcome("crashed", "WorkflowNotFound")
        return self.supervisor.run(claimed, str(path), self._abort, persist=policy.keeps_data,
                                   snapshot=loaded.snapshots.get(claimed.workflow))

    def _record(self, claimed: ClaimedRun, outcome: Outcome, policy: RunPolicy) -> float | None:
        """Store the end of the run, with its automatic retry if one is due; the retry's delay in seconds."""
        retry = policy.retry
        retry_in = retry.delay_of(claimed.retries + 1) if (
            retry and outcome.state in retry.on and claimed.retries < retry.max) else None
        retry_at = None if retry_in is None else iso(_dt.datetime.now(_dt.timezone.utc)
                                                     + _dt.timedelta(seconds=retry_in))
        final, response = outcome.final_state, outcome.webhook_response
        if not policy.keeps_data:
            self.replies.put(claimed.id, final, response)
            final = response = None
        extra = {"retry_at": retry_at} if retry_at else {}
        if not policy.keeps_data and retry_at is None:
            extra["wipe"] = True
        self.store.finish(claimed.id, outcome.state, outcome.error_type, final, response, **extra)
        if retry_in is not None:
            timer = threading.Timer(retry_in, self.wake)
            timer.daemon = True
            timer.start()
        return retry_in

    def _ended(self, claimed: ClaimedRun, state: str, seconds: float) -> None:
        for hook in self.on_end:
            try:
                hook(claimed, state, seconds)
            except Exception as exc:  # noqa: BLE001 - an observer never ends the worker nor the run
                self.log.error(f"after run {claimed.id}: {type(exc).__name__}: {exc}")

    def _status(self, run_id: str, state: str) -> str:
        """The run's state as the store tells it, with its failed steps (``success · 1 step failed``)."""
        try:
            summary = self.store.summary(run_id)
        except Exception:  # noqa: BLE001 - the report falls back to the state alone
            summary = None
        return summary.status if summary is not None and summary.state == state else state

    def _report(self, claimed: ClaimedRun, outcome: Outcome, seconds: float, retry_in: float | None = None,
                policy: RunPolicy = _DEFAULT_POLICY) -> None:
        text = f"run {claimed.id} {self._status(claimed.id, outcome.state)}"
        if outcome.error_type:
            text += f" ({outcome.error_type})"
        text += f" in {format_duration(seconds * 1000)} [{claimed.workflow}, attempt {claimed.attempt}]"
        if retry_in is not None:
            text += (f"; automatic retry {claimed.retries + 1} of {policy.retry.max} "
                     f"in {format_duration(retry_in * 1000)}")
        method: Callable[[str], None] = {"success": self.log.success, "failed": self.log.warn}.get(
            outcome.state, self.log.error)
        method(text)
