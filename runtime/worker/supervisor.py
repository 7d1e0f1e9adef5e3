"""Run one claimed run in its own process, within its time and memory limits, and record it.

The process comes from a **forkserver** (``multiprocessing.get_context("forkserver")``):
a clean interpreter, started once, that has already imported the runtime and the
adaptors and forks a child per run in a few milliseconds. The server process
itself (threads, an event loop, a database connection) is never forked.

While the child runs, the supervisor reads its pipe (see ``runtime.worker.child``)
and writes steps and logs to the store, and every 50 ms checks the limits:

- past ``timeout_ms`` → SIGKILL, ``killed`` with error type ``TimeoutError``;
- resident memory of the child and every process it started past ``memory_mb`` → SIGKILL,
  ``killed`` with ``OOMError``;
- the child exits without reporting, or writes what is not a record → ``crashed`` with ``ExitError``;
- a record longer than ``message_mb`` (``runtime.defaults.RUN_MESSAGE_MB``) → SIGKILL before it is read,
  ``crashed`` with ``ExitError``: the server never holds more of a run's record than that.

It also answers the child's collections calls on the run store (``runtime.worker.collections_relay``).
With ``--sandbox`` the child is not forked: it is a fresh interpreter in a bubblewrap sandbox
(``runtime.worker.sandbox``), supervised the same way.

Each run leads its own process group (``runtime.worker.confine``): a kill is sent to the whole
group, and so is a final one when the run ends, so no process a job started outlives its run.

Example:
    >>> Limits(timeout_ms=2000, memory_mb=200).memory_bytes
    209715200
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from runtime import defaults
from runtime.store import ClaimedRun, RawJSON, RunStore
from runtime.worker.child import RunRequest, main as child_main
from runtime.worker.confine import forkserver_environment, kill_group, tree_resident_bytes
from runtime.worker.collections_relay import answer
from runtime.worker.messages import (BadMessage, Channel, CollectionAnswer, CollectionCall, Done, Inbox, LogLine,
                                     Message, MessageTooLarge, Started, StepCompleted, StepStarted)
from runtime.workflow.version import Snapshot

__all__ = ["Limits", "Outcome", "Supervisor", "forkserver_context", "PRELOAD"]

# what every run's process would import otherwise (ctypes: own_group; an import in a run costs it ms)
PRELOAD = ["runtime.worker.child", "runtime.worker.messages", "runtime.worker.preload", "adaptors.common",
           "adaptors.http", "jsonschema", "adaptors.common.jsonpath", "yaml", "ctypes"]
_POLL_SECONDS = 0.05
_ENDS = ("success", "failed", "crashed", "killed")  # how a run's process may say its run ended
_MAX_READS_PER_POLL = 1000  # a record is two reads (its length, then its body in chunks of 1 MiB)


@dataclass(frozen=True)
class Limits:
    """Per-run limits: Lightning's defaults are 5 minutes and 500 MB.

    Example:
        >>> Limits()
        Limits(timeout_ms=300000, memory_mb=500, run_as=None, message_mb=64)
    """

    timeout_ms: int = defaults.RUN_TIMEOUT_MS
    memory_mb: int = defaults.RUN_MEMORY_MB
    run_as: str | None = None  # the user runs execute as (``--run-as``), when the server is root
    message_mb: int = defaults.RUN_MESSAGE_MB  # the largest record the server reads from a run's process

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024


@dataclass
class Outcome:
    """How a run ended; ``aborted`` means the server stopped it (shutdown) and it must be queued again.

    Example:
        >>> Outcome("killed", "OOMError").aborted
        False
    """

    state: str
    error_type: str | None = None
    final_state: RawJSON | None = None
    webhook_response: dict | None = None
    aborted: bool = False


def forkserver_context(workflow_paths: list[str] = (), env_names: Iterable[str] = ()) -> Any:
    """The forkserver context, started now with the runtime, the adaptors and the workflows preloaded.

    Its environment holds only what runs may see: the base variables and ``env_names`` (the
    ``${ENV}`` variables the workflows name, ``runtime.worker.confine.env_names``).

    Call it from the main thread before any other thread starts, so the
    forkserver is spawned from a quiet process. ``workflow_paths`` are
    compiled once in the forkserver (see ``runtime.worker.preload``).

    Example::

        context = forkserver_context(["workflows/commcare-registrations.yaml"])
    """
    import json
    from multiprocessing import forkserver

    from runtime.worker.preload import ENV

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    with forkserver_environment(env_names, {ENV: json.dumps([str(path) for path in workflow_paths])}):
        forkserver.ensure_running()
    return context


class Supervisor:
    """Runs claimed runs in child processes and records what they report in ``store``.

    Example::

        supervisor = Supervisor(store, forkserver_context(["workflows/forms.yaml"]), Limits(2000, 200))
        outcome = supervisor.run(store.claim(worker_id), "workflows/forms.yaml", threading.Event())
        store.finish(run_id, outcome.state, outcome.error_type, outcome.final_state)
    """

    def __init__(self, store: RunStore, context: Any, limits: Limits, collections: str | None = None,
                 sandbox: Any = None):
        self.store, self.context, self.limits = store, context, limits
        self.sandbox = sandbox  # a runtime.worker.sandbox.Sandbox: each run in bwrap, not forked
        self.collections = None  # the runs' collections, in the store's file or at its URL; the runs ask for them
        if collections is not None:
            from runtime.store.collections import StoreCollections

            self.collections = StoreCollections(collections)

    def run(self, claimed: ClaimedRun, workflow_path: str, abort: threading.Event, persist: bool = True,
            snapshot: Snapshot | None = None) -> Outcome:
        """Execute ``claimed`` and return its outcome (the caller records the end).

        ``persist=False`` (zero persistence) records each step without its input and output.
        ``snapshot`` is the workflow's version this worker has loaded: the run executes it, whatever
        the forkserver preloaded or the disk holds (``runtime.worker.preload``), and records its version.
        """
        request = RunRequest(claimed.id, workflow_path, claimed.input, claimed.attempt, claimed.start_step,
                             self.collections is not None, self.limits.run_as,
                             snapshot.fingerprint if snapshot else None, snapshot.files.texts if snapshot else None,
                             _variables(snapshot))
        process, receiver = self.sandbox.start(request) if self.sandbox is not None else self._fork(request)
        try:
            return _Watch(self, claimed.id, process, receiver, abort, persist,
                          snapshot.version if snapshot else None).until_done()
        finally:
            receiver.close()
            process.join(timeout=2)
            kill_group(process.pid)  # what the job started and left behind ends with the run
            if process.is_alive():
                process.kill()
                process.join(timeout=2)


    def _fork(self, request: RunRequest) -> tuple[Any, Any]:
        """The run's process forked from the forkserver, and the supervisor's end of its pipe."""
        receiver, sender = self.context.Pipe()
        process = self.context.Process(target=child_main, args=(request, sender), daemon=True,
                                       name=f"pyfn-run-{request.run_id[:8]}")
        with _main_module_hidden():
            process.start()
        sender.close()
        return process, receiver


class _Watch:
    """The supervision loop of one child process."""

    def __init__(self, supervisor: Supervisor, run_id: str, process: Any, receiver: Any, abort: threading.Event,
                 persist: bool = True, version: str | None = None):
        self.store, self.limits, self.persist = supervisor.store, supervisor.limits, persist
        self.collections = supervisor.collections
        self.run_id, self.process, self.abort = run_id, process, abort
        self.receiver, self.inbox = Channel(receiver), Inbox(receiver, self.limits.message_mb * 1024 * 1024)
        self.started = time.monotonic()
        self.outcome: Outcome | None = None
        self.closed = False
        self.version = version  # the workflow's version the run executes

    def until_done(self) -> Outcome:
        while self.outcome is None:
            if self.closed:
                self.process.join(timeout=1)
                return self._exited()
            if self.inbox.poll(_POLL_SECONDS):
                self._drain()
            if self.outcome is None:
                self.outcome = self._check_limits()
        return self.outcome

    def _drain(self) -> None:
        """Record the messages waiting on the pipe (up to a bound) in one store transaction; a collections
        call (last: the child waits for its answer) is answered after it, as the collections have a
        connection of their own."""
        messages: list[Message] = []
        refused: BadMessage | None = None
        for _ in range(_MAX_READS_PER_POLL):
            try:
                message = self.inbox.read()
            except (EOFError, OSError):
                self.closed = True
                break
            except BadMessage as error:
                refused = error
                break
            if message is not None:
                messages.append(message)
                if isinstance(message, (Done, CollectionCall)):
                    break
            if not self.inbox.poll(0):
                break
        call = messages.pop() if messages and isinstance(messages[-1], CollectionCall) else None
        with self.store.batch():
            self._record(messages)
        if refused is not None:
            self._refuse(refused)
        elif call is not None:
            self._handle(call)

    def _record(self, messages: list[Message]) -> None:
        logs: list[tuple[str, str]] = []
        for message in messages:
            if isinstance(message, LogLine):
                logs.append((message.at, message.line))
            else:
                self.store.append_logs(self.run_id, logs)
                logs = []
                self._handle(message)
        self.store.append_logs(self.run_id, logs)

    def _refuse(self, error: BadMessage) -> None:
        """The run's process sent what the server does not read: it is killed and its run crashed."""
        if isinstance(error, MessageTooLarge):
            self._kill(f"CRITICAL ERROR! The run's process sent {error}: keep big data in a collection "
                       f"and return a smaller state (or log less at once)")
        else:
            self._kill(f"CRITICAL ERROR! The run's process sent what pyfn cannot read ({error})")
        self.outcome = Outcome("crashed", "ExitError")

    def _handle(self, message: Message) -> None:
        if isinstance(message, Started):
            self.store.started(self.run_id, self.version)
        elif isinstance(message, StepStarted):
            input_state = _raw(message.input_json) if self.persist else None
            self.store.step_started(self.run_id, message.step, input_state, at=message.at)
        elif isinstance(message, StepCompleted):
            output = _raw(message.output_json) if self.persist else None
            self.store.step_finished(self.run_id, message.step, output, _raw(message.error_json), at=message.at)
        elif isinstance(message, CollectionCall):
            self.receiver.send(answer(self.collections, message) if self.collections is not None else
                               CollectionAnswer(error=["CollectionsUnavailable", "This server keeps no collections",
                                                       None]))
        elif isinstance(message, Done):
            state = message.state if message.state in _ENDS else "crashed"  # a hostile job cannot claim "lost"
            self.outcome = Outcome(state, message.error_type, _raw(message.final_json), message.webhook_response)

    def _check_limits(self) -> Outcome | None:
        if self.abort.is_set():
            self._kill("CRITICAL ERROR! The server is shutting down: run stopped, it will run again")
            return Outcome("lost", "LostError", aborted=True)
        elapsed_ms = (time.monotonic() - self.started) * 1000
        if self.limits.timeout_ms and elapsed_ms > self.limits.timeout_ms:
            self._kill(f"CRITICAL ERROR! Workflow failed to return within {self.limits.timeout_ms}ms")
            return Outcome("killed", "TimeoutError")
        rss = tree_resident_bytes(self.process.pid)
        if self.limits.memory_mb and rss is not None and rss > self.limits.memory_bytes:
            self._kill(f"CRITICAL ERROR! Run exceeded maximum memory usage "
                       f"({rss // 1048576} MB > {self.limits.memory_mb} MB)")
            return Outcome("killed", "OOMError")
        return None

    def _kill(self, reason: str) -> None:
        kill_group(self.process.pid)
        self.process.kill()
        self.process.join(timeout=2)
        self.store.append_logs(self.run_id, [f"[R/T] ✘ {reason}"])

    def _exited(self) -> Outcome:
        code = self.process.exitcode
        self.store.append_logs(self.run_id, [f"[R/T] ✘ CRITICAL ERROR! The run's process exited "
                                             f"(exit code {code}) without reporting an outcome"])
        return Outcome("crashed", "ExitError")


_LAUNCH_LOCK = threading.Lock()


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start a child without it re-running the server's ``__main__``.

    multiprocessing tells each child to import the parent's main module (for
    ``pyfn serve`` that is the ``pyfn`` script, which imports the whole CLI):
    tens of milliseconds per run for nothing. Hiding ``__file__`` and
    ``__spec__`` while the process starts (under a lock, as only run launches
    do it) leaves the child with the preloaded runtime only.
    """
    main = sys.modules["__main__"]
    with _LAUNCH_LOCK:
        saved = {key: main.__dict__[key] for key in ("__file__", "__spec__") if key in main.__dict__}
        main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            yield
        finally:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


def _variables(snapshot: Snapshot | None) -> dict[str, str] | None:
    """The ``${VAR}`` values a run's steps name: a reload may name some the forkserver was not started with."""
    if snapshot is None:
        return None
    return {name: os.environ[name] for name in snapshot.env_names if name in os.environ}


def _raw(text: str | None) -> RawJSON | None:
    return None if text is None else RawJSON(text)
