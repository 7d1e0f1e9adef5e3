"""Run one claimed run in its own process, within its time and memory limits, and record it.

The process comes from a **forkserver** (``multiprocessing.get_context("forkserver")``):
a clean interpreter, started once, that has already imported the runtime and the
adaptors and forks a child per run in a few milliseconds. The server process
itself (threads, an event loop, a database connection) is never forked.

While the child runs, the supervisor (``runtime.worker.watch``) reads its pipe (see ``runtime.worker.child``)
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
from runtime.store import ClaimedRun, RunStore
from runtime.worker.child import RunRequest, main as child_main
from runtime.worker.confine import forkserver_environment, kill_group
from runtime.worker.watch import Outcome, Watch
from runtime.workflow.version import Snapshot

__all__ = ["Limits", "Outcome", "Supervisor", "forkserver_context", "PRELOAD"]

# what every run's process would import otherwise (ctypes: own_group; multiprocessing.popen_forkserver: the
# pipe's end handed to the run is unpickled with it, before the run starts; an import in a run costs it ms).
# The adaptors the served workflows use, and jsonschema when one publishes a schema, are imported by
# runtime.worker.preload as it compiles them: what no workflow uses would make every fork dearer (its
# cost grows with the forkserver's memory).
PRELOAD = ["runtime.worker.child", "runtime.worker.messages", "runtime.worker.preload", "adaptors.common",
           "adaptors.common.jsonpath", "yaml", "ctypes", "multiprocessing.popen_forkserver"]


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
            return Watch(self, claimed.id, process, receiver, abort, persist,
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

