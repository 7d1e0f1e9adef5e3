"""``pyfn trigger WORKFLOW``: queue a manual run in the run store, as Lightning's "Run" button does.

The run is queued first in line (Lightning's ``immediate`` priority) whether
or not ``pyfn serve`` is running: a running server picks it up within half a
second, a stopped one at its next start. Its input is ``--state FILE``, or
else what the workflow's next cron run would get: the cursor (the saved output
of the first cron trigger's ``cursor_step``, or the final state, of the last
successful run), or the trigger's ``state:``, or ``{}``. A manual run that
succeeds moves the cursor on, as in Lightning.

Example::

    run_trigger(Path("."), "commcare-sync", state_path=None, db=None, wait=True, timeout_s=600)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from runtime.errors import PyfnError
from runtime.workflow.yaml_lines import load_marked
from runtime.workflow import WORKFLOW_SUFFIXES

__all__ = ["run_trigger", "wait_and_report", "store_path"]

_POLL_SECONDS = 0.5


def store_path(project: Path, db: str | Path | None) -> str | Path:
    """``--db`` (a SQLite file or a ``postgresql://`` URL), or the project's ``state/pyfn.db`` (as ``pyfn serve``).

    Example:
        >>> store_path(Path("demo"), None)
        PosixPath('demo/state/pyfn.db')
    """
    from runtime.store import store_location

    return store_location(db, project)


def find_workflow(project: Path, ident: str) -> Path:
    """The file of workflow ``ident``: a path to it, or its name among ``PROJECT/workflows``."""
    given = Path(ident)
    if given.suffix in WORKFLOW_SUFFIXES and given.is_file():
        return given
    folder = project / "workflows"
    names: dict[str, Path] = {}
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix not in WORKFLOW_SUFFIXES:
            continue
        try:
            doc = load_marked(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError, PyfnError):
            continue
        if isinstance(doc, dict) and any(key in doc for key in ("steps", "jobs", "workflow")):
            inner = doc["workflow"] if isinstance(doc.get("workflow"), dict) else doc
            names[str(inner.get("name") or path.stem)] = path
    if ident in names:
        return names[ident]
    known = ", ".join(sorted(names)) or f"none (no workflow in {folder})"
    raise LookupError(f"No workflow named '{ident}' in {folder}; the workflows are: {known}")


def run_trigger(project: Path, workflow: str, state_path: Path | None, db: str | Path | None, wait: bool,
                timeout_s: float) -> int:
    """Queue a manual run of ``workflow`` and print its ids (and, with ``wait``, its outcome); the exit code."""
    from runtime.server.scheduler import next_input
    from runtime.store import open_store
    from runtime.workflow.triggers import MANUAL
    from runtime.workflow.load import load_workflow

    try:
        plan = load_workflow(find_workflow(project, workflow), require_secrets=False)  # the server has them
        given = json.loads(state_path.read_text(encoding="utf-8")) if state_path else None
    except (LookupError, OSError, ValueError) as error:
        print(error)
        return 1
    except PyfnError as error:
        print("\n".join([error.message, *getattr(error, "problems", [])]))
        return 1
    location = store_path(project, db)
    try:
        store = open_store(location)
    except Exception as exc:  # noqa: BLE001 - a PostgreSQL store that is unreachable or refuses us
        from runtime.store.postgres import display_url

        print(f"Cannot open the run store {display_url(str(location))}: {type(exc).__name__}: {str(exc).strip()}")
        return 1
    try:
        cron = next(iter(plan.crons), None)
        state = given if state_path else next_input(store, plan.name, cron)
        accepted = store.accept(plan.name, MANUAL, state, priority=0)
        print(f"Queued run {accepted.run_id} (work order {accepted.work_order_id}) of workflow {plan.name}; "
              f"input: {_source(state_path, cron, state)}")
        return wait_and_report(store, accepted.run_id, timeout_s) if wait else _note_server(store)
    finally:
        store.close()


def _source(state_path: Path | None, cron, state) -> str:
    if state_path:
        return str(state_path)
    if cron is None:
        return "{} (the workflow has no cron trigger; give --state FILE for another input)"
    if cron.carry:
        return f"the cron carry ({', '.join(cron.carry)} from the last successful run's final state, or the " \
               f"trigger's state)"
    cursor = f"step {cron.cursor_step}" if cron.cursor_step else "the final state"
    return f"the cron cursor ({cursor} of the last successful run, or the trigger's state)"


def _note_server(store) -> int:
    if not store.server_running():
        print("No pyfn serve is running on this store: the run starts when one starts")
    return 0


def wait_and_report(store, run_id: str, timeout_s: float) -> int:
    """Wait for the run to end and print its outcome: exit 0 for ``success``, 1 otherwise or if nothing runs it."""
    deadline = time.monotonic() + timeout_s
    while True:
        summary = store.wait_for(run_id, timeout=_POLL_SECONDS)
        if summary is not None and summary.final:
            took = "-" if summary.duration_ms is None else f"{summary.duration_ms / 1000:.3f}s"
            error = f" ({summary.error_type})" if summary.error_type else ""
            print(f"Run {run_id} {summary.state}{error} in {took}; pyfn runs show {run_id[:8]} for its steps and logs")
            return 0 if summary.state == "success" else 1
        if not store.server_running():
            print(f"No pyfn serve is running on this store: run {run_id} waits for one to start (not waiting)")
            return 1
        if time.monotonic() > deadline:
            print(f"Run {run_id} has not ended after {timeout_s:g}s; it goes on (pyfn runs show {run_id[:8]})")
            return 1
