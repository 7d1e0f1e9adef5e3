"""The run store: work orders, runs, steps and logs, behind one narrow interface.

Everything ``pyfn serve`` must not lose goes through a :class:`RunStore`: a
webhook delivery is committed by :meth:`RunStore.accept` before the server
answers, workers :meth:`~RunStore.claim` runs atomically, and the run's steps,
logs and end are recorded as they happen. The words are Lightning's:

- a **work order** is one input (a webhook delivery) for one workflow;
- a **run** executes a work order; its states are ``available → claimed →
  started → success | failed | crashed | killed | lost``. A run whose worker
  vanished is marked ``lost`` and a new run (``attempt + 1``) is queued for
  the same work order. Runs of one work order never run concurrently.

States are stored as JSON text with ``configuration`` removed; ids are UUIDs;
times are ISO 8601 UTC strings. ``open_store`` picks the backend from a path or
URL: SQLite (WAL) for one machine; PostgreSQL comes next, behind the same
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

import datetime as _dt
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

__all__ = ["RunStore", "open_store", "Accepted", "ClaimedRun", "RunSummary", "StepRecord", "RunDetail",
           "RawJSON", "StoreBusy", "AmbiguousId", "RUN_STATES", "FINAL_STATES", "to_json_text", "now_iso",
           "parse_iso"]

RUN_STATES = ("available", "claimed", "started", "success", "failed", "crashed", "killed", "lost")
FINAL_STATES = frozenset({"success", "failed", "crashed", "killed", "lost"})


class StoreBusy(Exception):
    """Another live server already uses this store (SQLite is one machine, one server).

    Example:
        >>> str(StoreBusy("state/pyfn.db is in use by another pyfn serve (pid 42)"))
        'state/pyfn.db is in use by another pyfn serve (pid 42)'
    """


class AmbiguousId(LookupError):
    """An id prefix that matches several runs or work orders.

    Example:
        >>> isinstance(AmbiguousId("'3f' matches several runs"), LookupError)
        True
    """


class RawJSON(str):
    """JSON text that is already encoded: stored as it is (a worker's child process encodes states).

    Example:
        >>> to_json_text(RawJSON('{"data": 1}'))
        '{"data": 1}'
    """


def to_json_text(value: Any) -> str:
    """``value`` as compact JSON text, without a top-level ``configuration`` (RawJSON passes through).

    Example:
        >>> to_json_text({"data": 1, "configuration": {"password": "x"}})
        '{"data":1}'
    """
    if isinstance(value, RawJSON):
        return str(value)
    if isinstance(value, dict) and "configuration" in value:
        value = {k: v for k, v in value.items() if k != "configuration"}
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def now_iso() -> str:
    """The current UTC time as ``2024-05-02T10:15:43.120000Z``.

    Example:
        >>> len(now_iso()), now_iso().endswith("Z")
        (27, True)
    """
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str | None) -> _dt.datetime | None:
    """The datetime of a stored time (``None`` stays ``None``).

    Example:
        >>> parse_iso("2024-05-02T10:15:43.120000Z").isoformat()
        '2024-05-02T10:15:43.120000+00:00'
    """
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _ms_between(start: str | None, end: str | None) -> float | None:
    a, b = parse_iso(start), parse_iso(end)
    return (b - a).total_seconds() * 1000 if a and b else None


@dataclass(frozen=True)
class Accepted:
    """What :meth:`RunStore.accept` did: the work order and run ids, and whether it was a duplicate.

    Example:
        >>> Accepted("wo-1", "run-1").duplicate
        False
    """

    work_order_id: str
    run_id: str
    duplicate: bool = False


@dataclass(frozen=True)
class ClaimedRun:
    """A run a worker claimed: what the child process needs to execute it (``input`` is JSON text).

    Example:
        >>> ClaimedRun("run-1", "wo-1", "wf", 1, '{"data": {}}').attempt
        1
    """

    id: str
    work_order_id: str
    workflow: str
    attempt: int
    input: str


@dataclass
class RunSummary:
    """One run as ``pyfn runs list`` shows it (times are ISO strings, ``None`` until reached).

    Example:
        >>> run = RunSummary("run-1", "wo-1", "wf", "forms", "success", None, 1, "w",
        ...                  "2024-05-02T10:00:00.000000Z", started_at="2024-05-02T10:00:00.000000Z",
        ...                  finished_at="2024-05-02T10:00:01.250000Z")
        >>> run.final, run.duration_ms, run.meta()["state"]
        (True, 1250.0, 'success')
    """

    id: str
    work_order_id: str
    workflow: str
    trigger: str | None
    state: str
    error_type: str | None
    attempt: int
    worker: str | None
    inserted_at: str
    claimed_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def duration_ms(self) -> float | None:
        """From start (or claim) to finish; ``None`` while the run has not finished."""
        return _ms_between(self.started_at or self.claimed_at, self.finished_at)

    def meta(self) -> dict:
        """Lightning's ``meta`` of a sync webhook reply."""
        return {"work_order_id": self.work_order_id, "run_id": self.id, "state": self.state,
                "error_type": self.error_type, "inserted_at": self.inserted_at, "started_at": self.started_at,
                "claimed_at": self.claimed_at, "finished_at": self.finished_at}


@dataclass
class StepRecord:
    """One step of a run: its input and output states (decoded JSON) and its error record, if any.

    Example:
        >>> StepRecord("fetch", output={"data": 1}).duration_ms is None
        True
    """

    step: str
    input: Any = None
    output: Any = None
    error: dict | None = None
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def duration_ms(self) -> float | None:
        return _ms_between(self.started_at, self.finished_at)


@dataclass
class RunDetail:
    """A run in full, as ``pyfn runs show`` prints it.

    Example:
        >>> store = open_store(":memory:")
        >>> detail = store.get_run(store.accept("wf", "forms", {"data": {"id": 1}}).run_id)
        >>> detail.input, detail.steps, detail.logs
        ({'data': {'id': 1}}, [], [])
    """

    run: RunSummary
    input: Any
    final_state: Any = None
    webhook_response: dict | None = None
    steps: list[StepRecord] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)  # (time, line)


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
    def claim(self, worker_id: str) -> ClaimedRun | None:
        """Atomically take the oldest ``available`` run (lowest priority first) whose work order has no
        run claimed or started; ``None`` when there is none."""

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
               webhook_response: dict | None = None) -> bool:
        """``claimed|started → state`` (a final state); ``False`` if the run had already ended."""

    @abstractmethod
    def lose(self, run_id: str) -> str | None:
        """Mark an unfinished run ``lost`` and queue the next attempt; return the new run's id."""

    @abstractmethod
    def recover_lost(self, alive_worker_ids: list[str]) -> list[tuple[str, str]]:
        """Lose every claimed or started run whose worker is not alive; ``[(lost id, new run id)]``."""

    @abstractmethod
    def list_runs(self, workflow: str | None = None, state: str | None = None,
                  limit: int = 50) -> list[RunSummary]:
        """Runs, newest first, optionally of one workflow and/or state."""

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

    @abstractmethod
    def close(self) -> None:
        """Release connections and locks."""


def open_store(location: str | Path, *, fsync: bool = False) -> RunStore:
    """The store at ``location``: a SQLite file path (``sqlite:///relative``, ``sqlite:////absolute`` and
    ``:memory:`` work too).

    ``fsync=True`` makes every commit survive a power cut, not only a crash of
    the process (SQLite ``synchronous=FULL``), at some cost in throughput.

    Example:
        >>> open_store("postgresql://db/pyfn")
        Traceback (most recent call last):
        ...
        NotImplementedError: PostgreSQL stores are not available yet: use a SQLite file path
    """
    text = str(location)
    if text.startswith(("postgres://", "postgresql://")):
        raise NotImplementedError("PostgreSQL stores are not available yet: use a SQLite file path")
    from .sqlite import SQLiteStore

    return SQLiteStore(text.removeprefix("sqlite:///"), fsync=fsync)
