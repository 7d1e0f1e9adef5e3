"""What a run executes in its own process: load the workflow, run the plan, report on a pipe.

The worker's supervisor starts :func:`main` through the forkserver (see
``runtime.worker.supervisor``). The child never touches the run store: it
sends records (``runtime.worker.messages``) on its end of a pipe, a few bundles
per run (``runtime.worker.outbox``), and the supervisor records them; a job's collections calls go over the same pipe and the
supervisor answers them (``runtime.worker.collections_relay``).

| message | when |
|---|---|
| ``Started()`` | the process is up |
| ``LogLine(at, line)`` | a log line, secrets already masked (see ``runtime.secrets``) |
| ``StepStarted(at, step, input_json)`` | a step starts (``configuration`` removed) |
| ``StepCompleted(at, step, output_json, error_json)`` | a step ends (``error_json`` is ``None`` on success) |
| ``Done(state, error_type, final_json, webhook_response)`` | the run ends |

``state`` is Lightning's: ``success``; ``failed`` when a leaf step recorded an
error; ``crashed`` for a crash (a ``NameError``, an invalid workflow); ``killed``
for a kill (a step past its time limit, ``MemoryError``).

Example (in-process, as the tests drive it)::

    >>> class Pipe(list):
    ...     send = list.append
    >>> pipe = Pipe()
    >>> request = RunRequest("r-1", "/nowhere.yaml", '{"data": {}}')
    >>> done = execute(request, pipe)
    >>> done.state, done.error_type
    ('crashed', 'UsageError')
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from dataclasses import dataclass
from typing import Any, Callable

from adaptors.collections import load_all
from runtime import events
from runtime.context import RunContext, RunOptions
from runtime.errors import PyfnError, UsageError
from runtime.plan import Plan
from runtime.logger import LogSink, create_loggers
from runtime.report import log_error
from runtime.execute import execute_plan
from runtime.state_file import escape_surrogates
from runtime.store import now_iso
from runtime.worker.confine import confine, own_group
from runtime.worker.collections_relay import RelayedCollections
from runtime.worker.messages import Done, LogLine, Started, StepCompleted, StepStarted
from runtime.worker.outbox import Outbox
from runtime.worker.preload import keep_only, plan_for

__all__ = ["RunRequest", "main", "run", "execute"]


@dataclass(frozen=True)
class RunRequest:
    """What the child needs: the run's id, the workflow file, the input state as JSON text, where to start.

    ``start`` is a step key of an earlier run (``x`` or a visit ``x-1``) for a
    retry from that step; ``None`` starts at the workflow's start.

    Example:
        >>> RunRequest("run-1", "workflows/forms.yaml", '{"data": {}}', attempt=2).attempt
        2
    """

    run_id: str
    workflow_path: str
    input: str
    attempt: int = 1
    start: str | None = None
    collections: bool = False  # the supervisor answers the run's collections calls (it holds the store)
    run_as: str | None = None  # the user the run's process becomes (the server runs as root)
    fingerprint: str | None = None  # the version its worker has loaded (runtime.workflow.version) …
    files: dict[str, Any] | None = None  # … and its files (path → [kind, text], as JSON carries them): the
    # run compiles them if the forkserver preloaded another version (runtime.worker.preload)
    env: dict[str, str] | None = None  # the variables its steps name, as its worker's environment has them


def main(request: RunRequest, conn: Any) -> None:
    """The child process's entry point: run, report :class:`Done`, close the pipe.

    Example (what the supervisor does)::

        process = context.Process(target=main, args=(RunRequest(...), sender))
    """
    own_group()  # first: the supervisor kills the run's whole process group
    gc.freeze()  # what the forkserver preloaded: never scanned by this run's collections, its pages stay shared
    _die_with_server()
    run(request, conn)


def run(request: RunRequest, conn: Any) -> None:
    """Confine the process to the run, run it, report on ``conn`` (a ``multiprocessing`` connection), close it.

    Started by :func:`main` in a forked process, or by ``runtime.worker.sandboxed`` in a sandbox.
    """
    _confine(request)
    for sig in (signal.SIGINT, signal.SIGTERM):  # the server decides when a run stops
        signal.signal(sig, signal.SIG_IGN)
    outbox = Outbox(conn)
    try:
        outbox.send(Started())
        outbox.send(execute(request, outbox))
    except (BrokenPipeError, EOFError, OSError):
        pass  # the server is gone: nobody to report to
    finally:
        conn.close()


def _die_with_server() -> None:
    """Kill this process as soon as the server that started it dies (SIGKILL included).

    The child's parent is the forkserver, which outlives the server while any
    child runs; but multiprocessing gives the child a sentinel of the process
    that started it, readable once that process is gone.
    """
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os.killpg(0, signal.SIGKILL)  # the run and every process it started

    threading.Thread(target=watch, name="pyfn-server-watch", daemon=True).start()


def _confine(request: RunRequest) -> None:
    """Keep only this run's workflow, its variables and (``run_as``) its user (``runtime.worker.confine``)."""
    os.environ.update(request.env or {})  # a reloaded workflow may name variables the forkserver lacks
    try:
        workflow = plan_for(request.workflow_path, request.fingerprint, request.files)
        names = {name for step in workflow.steps.values() for name in step.env}
    except Exception:  # noqa: BLE001 - execute() loads it again and reports why it fails
        workflow, names = None, set()
    keep_only(request.workflow_path, workflow, request.fingerprint)
    if request.run_as:  # its user may not read pyfn's files: what a job loads on first use is loaded now
        load_all()
    confine(names, request.run_as)


def execute(request: RunRequest, conn: Any) -> Done:
    """Run the workflow; how it ended (see the module example). ``conn`` sends and receives records."""
    sink = LogSink(stream=_LogStream(conn))
    recorder = _Recorder(conn, sink.masker.scrub)
    loggers = create_loggers(None, sink)
    log = loggers.runtime
    collections = RelayedCollections(conn, sink.masker.mask) if request.collections else None
    try:
        plan = plan_for(request.workflow_path, request.fingerprint, request.files)
        start = start_step(plan, request.start)
        where = f", from step {start}" if start else ""
        log.info(f"Run {request.run_id} of workflow {plan.name} (attempt {request.attempt}{where})")
        if start:
            log.always(f"Retry from step {request.start}: starting there with its saved input")
        ctx = RunContext(RunOptions(timeout_ms=0, start=start, collections=collections), loggers,
                         notify=recorder.notify)
        result = execute_plan(plan, json.loads(request.input), ctx)
    except PyfnError as error:
        log.error("CRITICAL ERROR! Aborting execution")
        log_error(log, error)
        state = "killed" if error.severity == "kill" else "crashed"
        return Done(state, error.name, None, recorder.webhook_response)
    except MemoryError:
        log.error("CRITICAL ERROR! Run exceeded maximum memory usage")
        return Done("killed", "OOMError", None, recorder.webhook_response)
    except Exception as exc:  # noqa: BLE001 - anything else is a crash of the run, reported
        log.error(f"CRITICAL ERROR! {type(exc).__name__}: {exc}")
        return Done("crashed", type(exc).__name__, None, recorder.webhook_response)
    state, error_type = recorder.verdict()
    return Done(state, error_type, _json(sink.masker.scrub(result)), recorder.webhook_response)


def start_step(plan: Plan, key: str | None) -> str | None:
    """The step id a retry from step key ``key`` (``x``, or a visit ``x-1``) starts at.

    Example:
        >>> from runtime.plan import Step
        >>> plan = Plan("wf", {"fetch": Step("fetch", None), "load": Step("load", None)}, "fetch")
        >>> start_step(plan, "load-2"), start_step(plan, None)
        ('load', None)
    """
    if key is None or key in plan.steps:
        return key
    base, _, visit = key.rpartition("-")
    if visit.isdigit() and base in plan.steps:
        return base
    raise UsageError(f"Step {key} is not in workflow {plan.name} any more: the retry cannot start there",
                     hint=f"Its steps are: {', '.join(plan.steps)}; retry from the start instead")


class _LogStream:
    """The text stream of the run's LogSink: each complete line goes to the pipe at once."""

    def __init__(self, conn: Any):
        self.conn, self.buffer = conn, ""

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            self.conn.send(LogLine(now_iso(), line))
        return len(text)

    def flush(self) -> None:
        pass


class _Recorder:
    """The ``RunContext.notify`` of a run: forwards step events and remembers what the verdict needs.

    Every state, error record and sync reply it sends is ``scrub``-bed of the run's secrets
    (see ``runtime.secrets``); the rest of a state is sent as it is, so a retry from a step
    gets the input that step had.
    """

    def __init__(self, conn: Any, scrub: Callable[[Any], Any]):
        self.conn, self.scrub = conn, scrub
        self.errors: dict[str, PyfnError] = {}
        self.webhook_response: dict | None = None
        self.leaves: list[str] = []

    def notify(self, event: str, **payload: Any) -> None:
        step = payload.get("step")
        if event == events.STEP_NEXT and not payload["next"]:
            self.leaves.append(step)
        elif event == events.STEP_START:
            state = payload.get("state")
            if isinstance(state, dict):
                state = {k: v for k, v in state.items() if k != "configuration"}
            self.conn.send(StepStarted(now_iso(), step, _json(self.scrub(state))))
        elif event == events.STEP_COMPLETE:
            state, error = self.scrub(payload.get("state")), payload.get("error")
            if error is not None:
                self.errors[step] = error
            if isinstance(state, dict) and isinstance(state.get("webhookResponse"), dict):
                self.webhook_response = state["webhookResponse"]  # the last step setting it wins
            self.conn.send(StepCompleted(now_iso(), step, _json(state),
                                         None if error is None else _json(self.scrub(error.to_state()))))

    def verdict(self) -> tuple[str, str | None]:
        """Lightning's rule: the run failed only if a leaf step (one with no next step) recorded an error."""
        for key in self.leaves:
            if key in self.errors:
                return "failed", self.errors[key].name
        return "success", None


def _json(value: Any) -> str | None:
    return None if value is None else escape_surrogates(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
