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
URL: SQLite (WAL) for one machine, PostgreSQL for many (``runtime.store.postgres``),
behind the same interface (``runtime.store.base``).

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

from pathlib import Path

from runtime.store.base import RunStore, SharedRunStore
from runtime.store.files import private_file
from runtime.store.records import (ACTIVE_STATES, CAUSES, FINAL_STATES, RUN_STATES, UNFINISHED_STATES, Accepted,
                      AmbiguousId, ClaimedRun, NotRetryable, Purged, RawJSON, RunDetail, RunSummary, StepRecord,
                      StoreBusy, iso, now_iso, parse_iso, to_json_text)

__all__ = ["RunStore", "SharedRunStore", "open_store", "Accepted", "ClaimedRun", "RunSummary", "StepRecord", "RunDetail", "Purged",
           "RawJSON", "StoreBusy", "AmbiguousId", "NotRetryable", "RUN_STATES", "FINAL_STATES", "ACTIVE_STATES",
           "UNFINISHED_STATES", "CAUSES", "to_json_text", "now_iso", "iso", "parse_iso", "is_database_url",
           "store_location", "private_file"]


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
