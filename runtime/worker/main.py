"""``pyfn worker``: claim runs from a shared PostgreSQL store and run them, on any machine.

A worker process loads the project's workflows (the same project the webhook
servers serve), registers in the store, and runs ``--workers N`` claim loops
exactly as ``pyfn serve`` does (each run in its own process, within its time
and memory limits). It has no HTTP side: webhook servers (``pyfn serve
--no-workers``) accept and enqueue, workers execute, and both scale apart.

- **Wake-ups**: ``LISTEN pyfn_runs`` wakes an idle claim loop as soon as any
  server queues a run; the loops still look every ``poll_s`` as a fallback.
- **Heartbeats**: every ``heartbeat_s``; a worker silent for ``lost_after_s``
  is declared dead by any other process and its runs are queued again. Its run
  processes die with it (SIGKILL included), so a run never runs twice at once.
- **Live reload**: edits of the project's workflows, jobs and credentials are
  validated and swapped in between runs (``runtime.worker.reload``); ``--no-reload`` keeps
  the start's version. The versions served are recorded in the worker's membership row.
- **Stopping**: SIGTERM or Ctrl-C: claim nothing more, give running runs
  ``shutdown_timeout_s``, requeue the rest at once, leave the store. A second
  signal skips the wait.

Example::

    raise SystemExit(run_worker(WorkerOptions(project=Path("."), db="postgresql://pyfn@db/pyfn", workers=4)))
"""

from __future__ import annotations

import signal
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import PyfnError
from runtime.logger import Logger, LogSink
from runtime.report import log_error
from runtime.worker.settings import WorkerSettings

__all__ = ["WorkerOptions", "run_worker", "worker_logger"]


@dataclass
class WorkerOptions(WorkerSettings):
    """The options of ``pyfn worker`` (see ``pyfn worker --help``); the worker side's are :class:`WorkerSettings`.

    Example:
        >>> WorkerOptions(db="postgresql://pyfn@db/pyfn", workers=0).worker_count
        0
    """

    project: Path = Path(".")
    db: str = ""


def worker_logger() -> Logger:
    """The ``[WRK]`` logger of a worker process.

    Example:
        >>> worker_logger().success("ready")
        [WRK] ✔ ready
    """
    return Logger("WRK", "default", LogSink(sys.stdout))


def run_worker(options: WorkerOptions) -> int:
    """Run claim loops until SIGTERM/SIGINT; the exit code (1: could not start, or declared dead).

    Example::

        run_worker(WorkerOptions(db="postgresql://pyfn@127.0.0.1/pyfn", workers=2))
    """
    from runtime.workflow.project import load_project
    from runtime.store.postgres import PostgresStore, display_url
    from runtime.worker.confine import check_run_as
    from runtime.worker.sandbox import sandbox_for

    log = worker_logger()
    if not options.db.startswith(("postgresql://", "postgres://")):
        log.error("pyfn worker needs a shared PostgreSQL store: --db postgresql://USER@HOST/DATABASE "
                  "(with a SQLite store, pyfn serve runs its own workers)")
        return 1
    try:
        check_run_as(options.run_as, log.warn)
        project = load_project(options.project)
        sandbox = sandbox_for(options, project, options.db)
        store = PostgresStore(options.db, pool_size=max(10, options.worker_count + 4),
                              lost_after_s=options.lost_after_s)
    except PyfnError as error:
        log_error(log, error)
        return 1
    except Exception as exc:  # noqa: BLE001 - the database is unreachable or refused us
        log.error(f"cannot open the store {display_url(options.db)}: {type(exc).__name__}: {exc}")
        return 1
    try:
        return _Worker(options, project, store, log, sandbox).run()
    finally:
        store.close()


class _Worker:
    """One worker process's parts: the worker side (claim loops, heartbeat) and the signal handling."""

    def __init__(self, options: WorkerOptions, project, store, log: Logger, sandbox=None):
        self.options, self.project, self.store, self.log = options, project, store, log
        self.sandbox = sandbox
        self.worker_id = str(uuid.uuid4())
        self.stop_requested = threading.Event()
        self.signals = 0
        self.dead: str | None = None
        self.workers = None
        self.watcher = None  # live reload (runtime.worker.reload), unless --no-reload

    def run(self) -> int:
        from runtime.worker.reload import watch
        from runtime.worker.start import start_workers
        from runtime.workflow.live import LiveProject

        self.store.register_worker(self.worker_id, kind="worker")
        live = LiveProject(self.project)
        self.workers = start_workers(self.store, self.options.db, live, self.worker_id, self.options,
                                     self.log, on_dead=self._dead, lost_by="a worker that stopped heartbeating",
                                     sandbox=self.sandbox)
        self.watcher = watch(live, self.options, self.log)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        self._announce()
        self.stop_requested.wait()
        return self._stop()

    def _announce(self) -> None:
        from runtime.store.postgres import display_url

        self.log.always(f"pyfn worker {self.worker_id}: {len(self.project.workflows)} workflow(s), "
                        f"{self.options.worker_count} run(s) at a time, store {display_url(self.options.db)}")
        self.log.success("waiting for runs (Ctrl-C to stop)")

    def _on_signal(self, signum, frame) -> None:
        self.signals += 1
        if self.signals > 1:
            self.workers.pool.abort()
        self.stop_requested.set()

    def _dead(self, reason: str) -> None:
        self.dead = reason
        if self.workers is not None:
            self.workers.pool.abort()
        self.stop_requested.set()

    def _stop(self) -> int:
        if self.watcher is not None:
            self.watcher.stop()
        dead = self.dead
        running = len(self.workers.pool.running)
        if running and not dead:
            self.log.always(f"stopping: {running} run(s) still running get "
                            f"{self.options.shutdown_timeout_s:g}s to finish")
        stopped = self.workers.stop(0 if dead else self.options.shutdown_timeout_s)
        if dead:
            self.log.error("pyfn worker stopped: " + dead)
            return 1
        self.store.unregister_worker(self.worker_id)
        self.log.always("pyfn worker stopped" + (f" ({len(stopped)} run(s) queued again)" if stopped else ""))
        return 0
