"""The run store's interfaces: :class:`RunStore`, what every backend implements, and
:class:`SharedRunStore`, what only a store shared by many machines (PostgreSQL) adds:
membership with heartbeats, wake-ups when any process queues a run, and schema migrations.

Example:
    >>> from runtime.store import open_store
    >>> store = open_store(":memory:")
    >>> isinstance(store, RunStore), isinstance(store, SharedRunStore)
    (True, False)
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Callable, Mapping, Sequence

from runtime.store.records import Accepted, ClaimedRun, Purged, RunDetail, RunSummary, StepRecord

__all__ = ["RunStore", "SharedRunStore"]


class RunStore(ABC):
    """The narrow interface every backend implements (``runtime.store.sqlite``, ``runtime.store.postgres``).

    Example (a worker's life, with any backend):
        >>> from runtime.store import open_store
        >>> store = open_store(":memory:")
        >>> run_id = store.accept("wf", "forms", {"data": {}}).run_id
        >>> claimed = store.claim("worker-1"); store.started(claimed.id)
        >>> store.step_started(claimed.id, "job-1", {"data": {}})
        >>> store.append_logs(claimed.id, ["[R/T] ♦ Starting step job-1"])
        >>> store.step_finished(claimed.id, "job-1", {"data": {"ok": True}})
        >>> store.finish(claimed.id, "success", final_state={"data": {"ok": True}})
        True
        >>> store.list_runs(state="success")[0].id == run_id
        True
    """

    @abstractmethod
    def register_worker(self, worker_id: str) -> None:
        """Announce a live server instance; raise :class:`StoreBusy` if this store cannot take another."""

    @abstractmethod
    def accept(self, workflow: str, trigger: str | None, input_state: Any, dedupe_key: str | None = None,
               priority: int = 1) -> Accepted:
        """Commit a new work order and its first ``available`` run, durably, before returning.

        With a ``dedupe_key`` already seen for ``workflow``, nothing is created
        and the original ids come back with ``duplicate=True``.
        """

    @abstractmethod
    def claim(self, worker_id: str, limits: Mapping[str, int] | None = None) -> ClaimedRun | None:
        """Atomically take the next ``available`` run whose time has come; ``None`` when there is none.

        The queue's order is ``priority`` (0 first), then ``available_at``. A
        run is skipped while its work order has a run claimed or started, and
        while its workflow has ``limits[workflow]`` runs claimed or started.
        With a limit of 1 a workflow's runs go strictly in arrival order: a run
        is claimable only when no other unfinished run of the workflow comes
        before it by (priority, work order arrival, attempt), even one whose
        retry delay has not passed yet.
        """

    @abstractmethod
    def started(self, run_id: str, version: str | None = None) -> None:
        """``claimed → started``, running the workflow's ``version`` (``runtime.workflow.version``)."""

    @abstractmethod
    def step_started(self, run_id: str, step: str, input_state: Any, at: str | None = None) -> None:
        """Record that step ``step`` (a visit key such as ``x-1``) started with ``input_state`` (at ``at``, or now)."""

    @abstractmethod
    def step_finished(self, run_id: str, step: str, output: Any, error: Any = None, at: str | None = None) -> None:
        """Record a step's output state and its error record (``None`` when it succeeded)."""

    @abstractmethod
    def append_logs(self, run_id: str, lines: Sequence[str | tuple[str, str]]) -> None:
        """Append log lines (already masked) to a run's log, in order: text (logged now) or ``(at, text)``."""

    def batch(self) -> AbstractContextManager:
        """Group the writes made inside ``with store.batch():`` in one transaction: all of them or none.

        A run's progress (started, step records, log lines) comes in bursts; one commit per burst
        instead of one per record. A backend without it commits each write on its own.

        Example::

            with store.batch():
                store.started(run_id)
                store.append_logs(run_id, ["[JOB] ℹ one", "[JOB] ℹ two"])
        """
        return nullcontext()

    @abstractmethod
    def finish(self, run_id: str, state: str, error_type: str | None = None, final_state: Any = None,
               webhook_response: dict | None = None, *, retry_at: str | None = None, wipe: bool = False) -> bool:
        """``claimed|started → state`` (a final state); ``False`` if the run had already ended.

        In the same transaction: ``retry_at`` (a time) queues the next attempt
        of the work order (cause ``retry``, same input and start step),
        claimable from then; ``wipe`` removes every input and output of the
        work order (zero persistence), keeping the metadata.
        """

    @abstractmethod
    def lose(self, run_id: str) -> str | None:
        """Mark an unfinished run ``lost`` and queue the next attempt; return the new run's id."""

    @abstractmethod
    def recover_lost(self, alive_worker_ids: list[str]) -> list[tuple[str, str]]:
        """Lose every claimed or started run whose worker is not alive; ``[(lost id, new run id)]``."""

    @abstractmethod
    def list_runs(self, workflow: str | None = None, state: str | Sequence[str] | None = None, limit: int = 50,
                  *, trigger: str | Sequence[str] | None = None, work_order: str | None = None,
                  offset: int = 0, step_failed: bool = False) -> list[RunSummary]:
        """Runs, newest first (``offset`` skips some), filtered by workflow, state(s), trigger(s), work order,
        and (``step_failed``) to those with a failed step."""

    @abstractmethod
    def get_run(self, run_id: str) -> RunDetail | None:
        """A run by id, by its work order's id (latest run) or by a unique prefix of either.

        Raises :class:`AmbiguousId` when a prefix matches several.
        """

    def summary(self, run_id: str) -> RunSummary | None:
        """A run by its full id, without its states, steps and logs; ``None`` when there is no such run."""
        detail = self.get_run(run_id)
        return detail.run if detail is not None and detail.run.id == run_id else None

    def step_records(self, run_id: str) -> list[StepRecord]:
        """A run's steps (by full run id) with their times and errors, without their input and output states."""
        detail = self.get_run(run_id)
        steps = detail.steps if detail is not None and detail.run.id == run_id else []
        return [StepRecord(s.step, None, None, s.error, s.started_at, s.finished_at) for s in steps]

    @abstractmethod
    def wait_for(self, run_id: str, timeout: float) -> RunSummary | None:
        """Block until the run is final or ``timeout`` seconds pass; the run as it is then."""

    @abstractmethod
    def counts(self, workflow: str | None = None) -> dict[str, int]:
        """How many runs are in each state."""

    @abstractmethod
    def count_step_failed(self, workflow: str | None = None) -> int:
        """How many runs have at least one failed step (whatever their state)."""

    def upgrade_storage(self, say: Callable[[str], None]) -> None:
        """Upgrades of how the store is kept that take time on a big store, done once by the process that
        serves it (after taking it); ``say`` announces each before it starts. Nothing by default.

        Example::

            store.upgrade_storage(log.always)   # SQLite made before auto_vacuum: "... VACUUM ..." once
        """

    @property
    def fsyncs_commits(self) -> bool:
        """Whether every commit reaches the disk before it returns (a power cut loses nothing)."""
        return True  # PostgreSQL's default (fsync on)

    @abstractmethod
    def close(self) -> None:
        """Release connections and locks."""

    # -- schedules, retries and retention --------------------------------------------------------------
    @abstractmethod
    def retry(self, run_id: str, from_step: str | None = None, *, priority: int = 0) -> Accepted:
        """Queue a new run of the run's work order (cause ``manual``), at once (priority 0, Lightning's immediate).

        From the start with the work order's input, or ``from_step`` (a step
        key of that run) with the input that step was given. ``run_id`` may
        be a work order id or a unique prefix, as in :meth:`get_run`. Raises
        ``LookupError`` for an unknown run and :class:`NotRetryable` when the
        input is gone (wiped, never stored), the step is not in the run, or
        the work order still has an unfinished run.
        """

    @abstractmethod
    def run_now(self, run_id: str) -> bool:
        """Make a waiting automatic retry (an ``available`` run whose time has not come) claimable now.

        ``False`` when the run is not waiting (already claimable, running or ended).
        """
        raise NotImplementedError(f"{type(self).__name__} does not support retries yet")

    def fire_cron(self, workflow: str, trigger: str, scheduled_at: str, input_state: Any) -> Accepted | None:
        """Record that cron trigger ``trigger`` fired for ``scheduled_at`` and queue its work order, atomically.

        ``None`` (nothing created) when that firing was recorded before, by
        this server or another one.
        """

    @abstractmethod
    def last_firing(self, workflow: str, trigger: str) -> str | None:
        """The latest ``scheduled_at`` recorded for a cron trigger; ``None`` if it never fired."""

    @abstractmethod
    def last_success(self, workflow: str) -> tuple[Any, Any] | None:
        """``(input, final state)`` of the workflow's latest successful run (a cron trigger's ``carry:``);
        ``None`` when there is none."""

    @abstractmethod
    def last_output(self, workflow: str, step: str | None = None) -> Any:
        """The cron cursor: the saved output of ``step`` (or the final state) of the workflow's latest successful
        run in which it succeeded; ``None`` when there is none or it was wiped."""

    @abstractmethod
    def purge(self, workflow: str, *, history_before: str | None = None,
              dataclips_before: str | None = None, stop: threading.Event | None = None) -> Purged:
        """Enforce retention on the workflow's finished work orders whose last run ended before a time.

        Before ``history_before``: delete the work order, its runs, steps and
        logs (and cron firings older than it, except each trigger's latest).
        Before ``dataclips_before``: wipe its inputs and outputs and mark it
        ``wiped_at``. Work orders with an unfinished run are never touched, nor
        those holding the cron cursor (the latest successful run, and the
        latest successful output of each step).

        The work is done in short transactions; once ``stop`` is set (a server
        shutting down), no further one begins: what was purged stays purged,
        and the next purge goes on from there.
        """

    @abstractmethod
    def server_running(self) -> bool:
        """Whether a live server uses this store (one that called :meth:`register_worker`)."""


class SharedRunStore(RunStore):
    """A store many servers and workers share (PostgreSQL): each member registers, heartbeats and leaves,
    any member may recover the runs of a silent one, and queued runs wake every member.

    ``lost_after_s`` is how long this process may stay silent before others declare it dead.

    Example::

        store.register_worker("worker-a", kind="worker")
        store.subscribe(pool.wake)           # a run was queued by any process
        store.heartbeat("worker-a")          # False once others declared it dead
        store.unregister_worker("worker-a")
    """

    lost_after_s: float

    @abstractmethod
    def register_worker(self, worker_id: str, kind: str = "server") -> None:
        """Record a live server or worker; it must :meth:`heartbeat` from now on."""

    @abstractmethod
    def heartbeat(self, worker_id: str) -> bool:
        """Refresh the member's heartbeat; ``False`` if it was declared dead (its runs were queued again)."""

    @abstractmethod
    def unregister_worker(self, worker_id: str) -> None:
        """A member that stopped cleanly leaves."""

    @abstractmethod
    def live_workers(self) -> list[tuple[str, str, str, int]]:
        """``(id, kind, host, pid)`` of every member whose heartbeat is fresh."""

    @abstractmethod
    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever any process queues a run."""

    @abstractmethod
    def record_versions(self, worker_id: str, versions: dict[str, str]) -> None:
        """Record the workflow versions the member serves now (``{workflow: version}``; at start and each reload)."""

    @abstractmethod
    def member_versions(self) -> dict[str, dict[str, str]]:
        """``{member id: {workflow: version}}`` of every live member that recorded its versions."""

    @abstractmethod
    def upgrade(self) -> list:
        """Apply pending schema migrations; the ones applied."""
