"""The run store's records: what goes in and comes out of a :class:`~runtime.store.RunStore`.

Times are ISO 8601 UTC strings (``2024-05-02T10:15:43.120000Z``), which sort
as they compare; states are JSON text with ``configuration`` removed.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any

from runtime.state_file import escape_surrogates

__all__ = ["Accepted", "ClaimedRun", "RunSummary", "StepRecord", "RunDetail", "Purged", "RawJSON", "StoreBusy",
           "AmbiguousId", "NotRetryable", "RUN_STATES", "FINAL_STATES", "ACTIVE_STATES", "UNFINISHED_STATES",
           "CAUSES", "to_json_text", "now_iso", "iso", "parse_iso", "match_step"]

RUN_STATES = ("available", "claimed", "started", "success", "failed", "crashed", "killed", "lost")
FINAL_STATES = frozenset({"success", "failed", "crashed", "killed", "lost"})
ACTIVE_STATES = ("claimed", "started")
UNFINISHED_STATES = ("available", "claimed", "started")
# why a run exists: its work order's trigger fired, the run before it was lost, an automatic retry, or a person
CAUSES = ("trigger", "lost", "retry", "manual")


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


class NotRetryable(Exception):
    """A run that cannot be run again as asked: its input is gone, the step is unknown, or its work order is busy.

    Example:
        >>> str(NotRetryable("its input was wiped"))
        'its input was wiped'
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
    return escape_surrogates(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


def now_iso() -> str:
    """The current UTC time as ``2024-05-02T10:15:43.120000Z``.

    Example:
        >>> len(now_iso()), now_iso().endswith("Z")
        (27, True)
    """
    return iso(_dt.datetime.now(_dt.timezone.utc))


def iso(moment: _dt.datetime) -> str:
    """An aware datetime as a stored time.

    Example:
        >>> iso(_dt.datetime(2024, 5, 2, 12, 0, tzinfo=_dt.timezone(_dt.timedelta(hours=2))))
        '2024-05-02T10:00:00.000000Z'
    """
    # isoformat, not strftime (half the time: three per delivery); "+00:00" becomes "Z"
    return moment.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"


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

    ``start_step`` is where a "retry from step" begins (``None``: the
    workflow's start); ``retries`` is how many automatic retries the work order
    has had so far, this run included when it is one.

    Example:
        >>> ClaimedRun("run-1", "wo-1", "wf", 1, '{"data": {}}').attempt
        1
    """

    id: str
    work_order_id: str
    workflow: str
    attempt: int
    input: str
    start_step: str | None = None
    retries: int = 0


@dataclass
class RunSummary:
    """One run as ``pyfn runs list`` shows it (times are ISO strings, ``None`` until reached).

    ``cause`` is one of :data:`CAUSES`; ``available_at`` is when it may be
    claimed (later than ``inserted_at`` for a delayed automatic retry).

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
    cause: str = "trigger"
    start_step: str | None = None
    available_at: str | None = None
    steps_failed: int = 0
    version: str | None = None  # the workflow's version it ran (runtime.workflow.version), once started

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def duration_ms(self) -> float | None:
        """From start (or claim) to finish; ``None`` while the run has not finished."""
        return _ms_between(self.started_at or self.claimed_at, self.finished_at)

    @property
    def status(self) -> str:
        """The state, and how many steps failed in a ``success`` run (a handled failure) that had some.

        Example:
            >>> RunSummary("r", "w", "wf", None, "success", None, 1, None, "t", steps_failed=1).status
            'success · 1 step failed'
        """
        if not self.steps_failed or self.state != "success":
            return self.state
        return f"{self.state} · {self.steps_failed} step{'s' if self.steps_failed > 1 else ''} failed"

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

    ``input`` is the run's own input: the work order's, or for a retry from
    a step, that step's saved input. ``wiped_at`` is set once the inputs and
    outputs were removed (retention, or zero persistence): they read ``None``.

    Example:
        >>> from runtime.store import open_store
        >>> store = open_store(":memory:")
        >>> detail = store.get_run(store.accept("wf", "forms", {"data": {"id": 1}}).run_id)
        >>> detail.input, detail.steps, detail.logs, detail.wiped_at
        ({'data': {'id': 1}}, [], [], None)
    """

    run: RunSummary
    input: Any
    final_state: Any = None
    webhook_response: dict | None = None
    steps: list[StepRecord] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)  # (time, line)
    wiped_at: str | None = None


@dataclass(frozen=True)
class Purged:
    """What :meth:`RunStore.purge` did: work orders deleted (with their runs, steps and logs) and wiped.

    Example:
        >>> Purged(deleted=2, wiped=5)
        Purged(deleted=2, wiped=5)
    """

    deleted: int = 0
    wiped: int = 0


def match_step(wanted: str, names: list[str], run_id: str) -> str:
    """The step key ``wanted`` is: exact, else the only key starting with it."""
    if wanted in names:
        return wanted
    matches = [name for name in names if name.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(names) or "none: it never started a step"
    raise NotRetryable(f"run {run_id} has {'several steps matching' if matches else 'no step'} "
                       f"'{wanted}' (its steps: {listed})")
