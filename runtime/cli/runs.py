"""``pyfn runs list``, ``show`` and ``retry``: work orders and runs from the run store, for people.

Stored states never hold ``configuration`` (it is removed before they are
stored, as Lightning does); should one appear anyway, it is shown masked.

Example:
    >>> from runtime.store import RunSummary
    >>> run = RunSummary("0b0e", "9a9a", "wf", "forms", "success", None, 1, "w", "2024-05-02T10:00:00.000000Z",
    ...                  started_at="2024-05-02T10:00:00.000000Z", finished_at="2024-05-02T10:00:01.200000Z")
    >>> _duration(run)
    '1.2s'
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator

from runtime.logger import format_duration
from runtime.secrets import hide_configuration as _masked
from runtime.cli.remote import RemoteStore, ServerAccess
from runtime.store import AmbiguousId, RunDetail, RunSummary, is_database_url, open_store, store_location

__all__ = ["run_list", "run_show", "run_retry"]

_COLUMNS = ("RUN", "WORK ORDER", "WORKFLOW", "STATE", "ERROR", "ATTEMPT", "INSERTED", "DURATION")


def _open(project: Path, db: str | Path | ServerAccess | None):
    if isinstance(db, ServerAccess):
        return RemoteStore(db.url, db.token)  # a running server's API (--server)
    path = store_location(db, project)
    if not is_database_url(path):
        if not Path(path).is_file():
            raise FileNotFoundError(f"No run store at {path}: start pyfn serve in {project} first, or give --db")
        return open_store(path)
    try:
        return open_store(path)
    except Exception as exc:  # noqa: BLE001 - the database is unreachable or refused us: say so, exit 1
        from runtime.store.postgres import display_url

        raise FileNotFoundError(f"Cannot open the run store {display_url(str(path))}: "
                                f"{type(exc).__name__}: {str(exc).strip()}") from None


@contextmanager
def _store(project: Path, db: str | Path | None) -> Iterator[Any]:
    """The run store, closed afterwards; ``None`` (the reason printed) when it cannot be opened."""
    try:
        store = _open(project, db)
    except FileNotFoundError as error:
        print(error)
        yield None
        return
    try:
        yield store
    finally:
        store.close()


def run_list(project: Path, db: str | Path | None, workflow: str | None, state: str | None, limit: int,
             as_json: bool, step_failed: bool = False) -> int:
    """Print the newest runs (and counts by state); return the exit code.

    A run with a failed step says so next to its state (``success · 1 step
    failed``); ``step_failed`` shows only those.

    Example::

        run_list(Path("."), None, workflow="commcare-registrations", state="failed", limit=20, as_json=False)
    """
    with _store(project, db) as store:
        if store is None:
            return 1
        runs = store.list_runs(workflow, state, limit, step_failed=step_failed)
        counts, with_failed_step = store.counts(workflow), store.count_step_failed(workflow)
    if as_json:
        print(json.dumps([{**asdict(r), "duration_ms": r.duration_ms} for r in runs], indent=2))
        return 0
    rows = [(r.id, r.work_order_id[:8], r.workflow, r.status, r.error_type or "-", str(r.attempt),
             r.inserted_at[:23].replace("T", " "), _duration(r)) for r in runs]
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(_COLUMNS)]
    for row in [_COLUMNS, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    total = sum(counts.values())
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
    print(f"\n{len(rows)} of {total} run(s) shown; by state: {summary}; {with_failed_step} with a failed step")
    return 0


def run_show(project: Path, db: str | Path | None, ident: str, as_json: bool, states: bool = False) -> int:
    """Print one run on one screen: what it is, a line per step (status, duration, error), the last log lines;
    with ``states``, also every input and output, all logs and the final state.

    Example::

        run_show(Path("."), None, "3f2c9a1e", as_json=False, states=True)
    """
    with _store(project, db) as store:
        detail = _find(store, ident) if store is not None else None
    if detail is None:
        return 1
    if as_json:
        print(json.dumps(_as_dict(detail), indent=2, ensure_ascii=False))
    else:
        print("\n".join(_describe(detail, states)))
    return 0


def run_retry(project: Path, db: str | Path | None, ident: str, from_step: str | None, wait: bool,
              timeout_s: float, now: bool = False) -> int:
    """Queue a new run of a run's work order: from the start, or from a step with its saved input;
    with ``now``, run the work order's waiting automatic retry now instead.

    Example::

        run_retry(Path("."), None, "3f2c9a1e", from_step="upsert", wait=False, timeout_s=600)
    """
    from runtime.store import NotRetryable
    from runtime.cli.trigger import wait_and_report

    with _store(project, db) as store:
        if store is None:
            return 1
        if now:
            return _retry_now(store, ident, wait, timeout_s)
        try:
            accepted = store.retry(ident, from_step)
        except AmbiguousId as error:
            print(f"{error.args[0]}: give more of the id")
            return 1
        except NotRetryable as error:
            print(f"Cannot retry: {error}")
            return 1
        except LookupError as error:
            print(f"{error.args[0]} (pyfn runs list shows them)")
            return 1
        run = store.get_run(accepted.run_id).run
        where = f"from step {run.start_step} with its saved input" if run.start_step else "with its original input"
        print(f"Queued run {run.id} (attempt {run.attempt}) of work order {run.work_order_id}, {where}")
        if wait:
            return wait_and_report(store, run.id, timeout_s)
        if not store.server_running():
            print("No pyfn serve is running on this store: the run starts when one starts")
        return 0


def _find(store: Any, ident: str) -> RunDetail | None:
    """The run ``ident`` names; ``None`` (the reason printed) when none or several do."""
    try:
        detail = store.get_run(ident)
    except AmbiguousId as error:
        print(f"{error.args[0]}: give more of the id")
        return None
    if detail is None:
        print(f"No run or work order matches '{ident}' (pyfn runs list shows them)")
    return detail


def _retry_now(store: Any, ident: str, wait: bool, timeout_s: float) -> int:
    """Make the work order's waiting automatic retry claimable now."""
    from runtime.cli.trigger import wait_and_report

    if not hasattr(store, "run_now"):
        print("--now needs the run store itself (--db or PYFN_DB), not --server")
        return 1
    detail = _find(store, ident)
    if detail is None:
        return 1
    latest = store.get_run(detail.run.work_order_id).run
    if not store.run_now(latest.id):
        print(f"No automatic retry of work order {latest.work_order_id} is waiting: its latest run {latest.id} "
              f"is {latest.state}" + (" and claimable already" if latest.state == "available" else ""))
        return 1
    print(f"Run {latest.id} (attempt {latest.attempt}, {latest.cause}) of work order {latest.work_order_id} "
          f"runs now instead of at {latest.available_at}")
    if wait:
        return wait_and_report(store, latest.id, timeout_s)
    return 0


def _duration(run: RunSummary) -> str:
    took = run.duration_ms
    return "-" if took is None else format_duration(took)


def _pretty(value: Any, indent: str = "    ") -> str:
    text = json.dumps(_masked(value), indent=2, ensure_ascii=False)
    return "\n".join(indent + line for line in text.splitlines())


def _as_dict(detail: RunDetail) -> dict:
    data = asdict(detail)
    data["input"], data["final_state"] = _masked(detail.input), _masked(detail.final_state)
    for step in data["steps"]:
        step["input"], step["output"] = _masked(step["input"]), _masked(step["output"])
    data["run"]["duration_ms"] = detail.run.duration_ms
    return data


def _describe(detail: RunDetail, states: bool) -> list[str]:
    run = detail.run
    start = f", from step {run.start_step}" if run.start_step else ""
    lines = [f"Run {run.id} (attempt {run.attempt}, {run.cause}{start}) of workflow {run.workflow}",
             f"  work order {run.work_order_id}, trigger {run.trigger or '-'}, version {run.version or '-'}",
             f"  state {run.status}" + (f" ({run.error_type})" if run.error_type else "") + f", took {_duration(run)}",
             f"  inserted {run.inserted_at}, claimed {run.claimed_at or '-'}, started {run.started_at or '-'}, "
             f"finished {run.finished_at or '-'}",
             *([f"  inputs and outputs wiped at {detail.wiped_at}"] if detail.wiped_at else []),
             "", f"Steps ({len(detail.steps)}):"]
    for step in detail.steps:
        took = "-" if step.duration_ms is None else format_duration(step.duration_ms)
        lines.append(f"  {step.step} ({took}) {_verdict(step.error, step.finished_at, states)}")
        if states:
            lines += ["    input:", _pretty(step.input, "      "), "    output:", _pretty(step.output, "      ")]
    logs = detail.logs if states else detail.logs[-_LOG_TAIL:]
    hidden = len(detail.logs) - len(logs)
    lines += ["", f"Logs ({len(detail.logs)} lines" + (f", the last {len(logs)} shown" if hidden else "") + "):"]
    lines += [f"  {at[11:23]} {_line(line, states)}" for at, line in logs]
    if not states:
        return lines + ["", "(--states shows the input, each step's input and output, every log line and the "
                            "final state; --json all of it)"]
    lines += ["", "Input:", _pretty(detail.input)]
    if detail.final_state is not None:
        lines += ["", "Final state:", _pretty(detail.final_state)]
    if detail.webhook_response is not None:
        lines += ["", "Webhook response:", _pretty(detail.webhook_response)]
    return lines


_LOG_TAIL = 10
_WIDTH = 160


def _line(text: str, full: bool) -> str:
    """One line of a screen: the first line of ``text``, cut at the screen's width unless ``full``."""
    if full:
        return text
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= _WIDTH and first == text else first[:_WIDTH - 1] + "…"


def _verdict(error: dict | None, finished_at: str | None, full: bool) -> str:
    if error:
        return "failed: " + _line(f"{error.get('name')}: {error.get('message')}", full)
    return "ok" if finished_at else "did not finish"
