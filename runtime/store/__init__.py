"""The run store: work orders, runs, steps and logs, behind one narrow interface.

Everything ``pyfn serve`` must not lose goes through a :class:`RunStore`: a
webhook delivery is committed by :meth:`RunStore.accept` before the server
answers, workers :meth:`~RunStore.claim` runs atomically, and the run's steps,
logs and end are recorded as they happen. The words are Lightning's:

- a **work order** is one input (a webhook delivery, a cron firing, a manual
  run) for one workflow;
- a **run** executes a work order; its states are ``available → claimed →
  started → success | failed | crashed | killed | lost``. A run whose worker
  vanished is marked ``lost`` and a new run (``attempt + 1``) is queued for
  the same work order; so are retries, automatic (``finish(retry_at=...)``)
  or asked for (:meth:`RunStore.retry`). Runs of one work order never run
  concurrently, and ``claim`` keeps each workflow within its ``max_concurrency``.
- a **cron firing** records that a cron trigger fired for one scheduled time,
  once (the key ``(workflow, trigger, scheduled_at)`` is unique), with the
  work order it created;
- retention (:meth:`RunStore.purge`) deletes old work orders or wipes their
  inputs and outputs (``wiped_at``), sparing unfinished ones and the runs that
  hold a workflow's cron cursor.

States are stored as JSON text with ``configuration`` removed; ids are UUIDs;
times are ISO 8601 UTC strings. ``open_store`` picks the backend from a path or
URL: SQLite (WAL) for one machine, or a ``postgresql://`` URL for a store that
many servers and workers share (``runtime.store.postgres``), behind the same
interface.

Example:
    >>> store = open_store(":memory:")
    >>> accepted = store.accept("wf", "forms", {"data": {"id": "f-1"}}, dedupe_key="f-1")
    >>> store.accept("wf", "forms", {"data": {"id": "f-1"}}, dedupe_key="f-1").duplicate
    True
    >>> run = store.claim("worker-1")
    >>> run.id == accepted.run_id, store.claim("worker-1")
    (True, None)
    >>> store.started(run.id); store.finish(run.id, "success", final_state={"data": 1})
    True
    >>> store.wait_for(run.id, timeout=1).state
    'success'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Mapping, Sequence

from runtime.store.records import (ACTIVE_STATES, CAUSES, FINAL_STATES, RUN_STATES, UNFINISHED_STATES, Accepted,
                      AmbiguousId, ClaimedRun, NotRetryable, Purged, RawJSON, RunDetail, RunSummary, StepRecord,
                      StoreBusy, iso, now_iso, parse_iso, to_json_text)

__all__ = ["RunStore", "open_store", "Accepted", "ClaimedRun", "RunSummary", "StepRecord", "RunDetail", "Purged",
           "RawJSON", "StoreBusy", "AmbiguousId", "NotRetryable", "RUN_STATES", "FINAL_STATES", "ACTIVE_STATES",
           "UNFINISHED_STATES", "CAUSES", "to_json_text", "now_iso", "iso", "parse_iso", "is_database_url",
           "store_location"]


class RunStore(ABC):
    """The narrow interface every backend implements (SQLite now, PostgreSQL next).

    Example (a worker's life, with any backend):
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
    def started(self, run_id: str) -> None:
        """``claimed → started``."""

    @abstractmethod
    def step_started(self, run_id: str, step: str, input_state: Any, at: str | None = None) -> None:
        """Record that step ``step`` (a visit key such as ``x-1``) started with ``input_state`` (at ``at``, or now)."""

    @abstractmethod
    def step_finished(self, run_id: str, step: str, output: Any, error: Any = None, at: str | None = None) -> None:
        """Record a step's output state and its error record (``None`` when it succeeded)."""

    @abstractmethod
    def append_logs(self, run_id: str, lines: Sequence[str | tuple[str, str]]) -> None:
        """Append log lines (already masked) to a run's log, in order: text (logged now) or ``(at, text)``."""

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
                  offset: int = 0) -> list[RunSummary]:
        """Runs, newest first (``offset`` skips some), filtered by workflow, state(s), trigger(s), work order."""

    @abstractmethod
    def get_run(self, run_id: str) -> RunDetail | None:
        """A run by id, by its work order's id (latest run) or by a unique prefix of either.

        Raises :class:`AmbiguousId` when a prefix matches several.
        """

    @abstractmethod
    def wait_for(self, run_id: str, timeout: float) -> RunSummary | None:
        """Block until the run is final or ``timeout`` seconds pass; the run as it is then."""

    @abstractmethod
    def counts(self, workflow: str | None = None) -> dict[str, int]:
        """How many runs are in each state."""

    @property
    def fsyncs_commits(self) -> bool:
        """Whether every commit reaches the disk before it returns (a power cut loses nothing)."""
        return True  # PostgreSQL's default (fsync on)

    @abstractmethod
    def close(self) -> None:
        """Release connections and locks."""

    # -- schedules, retries and retention; a backend without them raises NotImplementedError --------
    def retry(self, run_id: str, from_step: str | None = None, *, priority: int = 0) -> Accepted:
        """Queue a new run of the run's work order (cause ``manual``), at once (priority 0, Lightning's immediate).

        From the start with the work order's input, or ``from_step`` (a step
        key of that run) with the input that step was given. ``run_id`` may
        be a work order id or a unique prefix, as in :meth:`get_run`. Raises
        ``LookupError`` for an unknown run and :class:`NotRetryable` when the
        input is gone (wiped, never stored), the step is not in the run, or
        the work order still has an unfinished run.
        """
        raise NotImplementedError(f"{type(self).__name__} does not support retries yet")

    def fire_cron(self, workflow: str, trigger: str, scheduled_at: str, input_state: Any) -> Accepted | None:
        """Record that cron trigger ``trigger`` fired for ``scheduled_at`` and queue its work order, atomically.

        ``None`` (nothing created) when that firing was recorded before, by
        this server or another one.
        """
        raise NotImplementedError(f"{type(self).__name__} does not support cron triggers yet")

    def last_firing(self, workflow: str, trigger: str) -> str | None:
        """The latest ``scheduled_at`` recorded for a cron trigger; ``None`` if it never fired."""
        raise NotImplementedError(f"{type(self).__name__} does not support cron triggers yet")

    def last_output(self, workflow: str, step: str | None = None) -> Any:
        """The cron cursor: the saved output of ``step`` (or the final state) of the workflow's latest successful
        run in which it succeeded; ``None`` when there is none or it was wiped."""
        raise NotImplementedError(f"{type(self).__name__} does not support cron cursors yet")

    def purge(self, workflow: str, *, history_before: str | None = None,
              dataclips_before: str | None = None) -> Purged:
        """Enforce retention on the workflow's finished work orders whose last run ended before a time.

        Before ``history_before``: delete the work order, its runs, steps and
        logs (and cron firings older than it, except each trigger's latest).
        Before ``dataclips_before``: wipe its inputs and outputs and mark it
        ``wiped_at``. Work orders with an unfinished run are never touched, nor
        those holding the cron cursor (the latest successful run, and the
        latest successful output of each step).
        """
        raise NotImplementedError(f"{type(self).__name__} does not support retention yet")

    def server_running(self) -> bool:
        """Whether a live server uses this store (one that called :meth:`register_worker`)."""
        raise NotImplementedError(f"{type(self).__name__} cannot tell whether a server is running")


def is_database_url(location: str | Path | None) -> bool:
    """Whether ``location`` names a PostgreSQL database (shared by many machines) rather than a SQLite file.

    Example:
        >>> is_database_url("postgresql://pyfn@db/pyfn"), is_database_url("state/pyfn.db")
        (True, False)
    """
    return str(location).startswith(("postgres://", "postgresql://"))


def store_location(db: str | Path | None, project: Path) -> str | Path:
    """Where a command's store is: ``--db`` (a URL as given, or a file path), else ``PROJECT/state/pyfn.db``.

    Example:
        >>> store_location(None, Path("demo")), store_location("postgresql://pyfn@db/pyfn", Path("demo"))
        (PosixPath('demo/state/pyfn.db'), 'postgresql://pyfn@db/pyfn')
    """
    if db is None:
        return project / "state" / "pyfn.db"
    return str(db) if is_database_url(db) else Path(db)


def open_store(location: str | Path, *, fsync: bool = False) -> RunStore:
    """The store at ``location``: a ``postgresql://`` URL (many machines, see ``runtime.store.postgres``) or a
    SQLite file path (``sqlite:///relative``, ``sqlite:////absolute`` and ``:memory:`` work too).

    ``fsync=True`` makes every SQLite commit survive a power cut, not only a
    crash of the process (``synchronous=FULL``), at some cost in throughput
    (PostgreSQL commits are durable already).

    Example:
        >>> type(open_store(":memory:")).__name__
        'SQLiteStore'
    """
    text = str(location)
    if is_database_url(text):
        from runtime.store.postgres import PostgresStore

        return PostgresStore(text)
    from runtime.store.sqlite import SQLiteStore

    return SQLiteStore(text.removeprefix("sqlite:///"), fsync=fsync)
