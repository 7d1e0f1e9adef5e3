"""``pyfn serve``: load the project, open the store, recover lost runs, serve webhooks, run the queue.

Start-up, in order: every workflow is loaded and validated (any problem: exit 1,
all of them listed); the store is opened and claimed for this server instance
(a uuid, recorded on every claim); runs a dead server left ``claimed`` or
``started`` are marked ``lost`` and queued again; the forkserver starts; the
worker threads start; cron triggers catch up on schedules missed while the
server was down and the scheduler starts (``runtime.server.scheduler``); the
retention cleanup starts (``runtime.server.retention``); the project is
watched for changes (``runtime.worker.reload``, unless ``--no-reload``); uvicorn serves the
app — webhooks, and the run history's API and page behind the API token —
on the bound socket.

SIGTERM or SIGINT: uvicorn stops accepting and finishes the requests in flight;
the scheduler and the cleanup stop; the workers claim nothing more and the
running runs get ``shutdown_timeout_s`` to finish; those still running are
stopped, marked ``lost`` and queued again for the next start. A second signal
skips the wait.

Example:
    >>> ServeOptions(project=Path("demo")).database
    PosixPath('demo/state/pyfn.db')
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from runtime import defaults
from runtime.errors import PyfnError, UsageError
from runtime.logger import Logger, LogSink
from runtime.workflow.model import describe_trigger
from runtime.report import log_error
from runtime.server.clock import ServerClock
from runtime.store import StoreBusy, is_database_url, open_store, store_location
from runtime.worker.settings import WorkerSettings
from runtime.workflow.live import LiveProject
from runtime.workflow.project import Project, load_project
from runtime.worker.confine import check_run_as
from runtime.worker.sandbox import sandbox_for

__all__ = ["ServeOptions", "serve", "server_logger"]

LOG_FLUSH_S = 0.05  # how long a log line may wait to be written with the next ones


@dataclass
class ServeOptions(WorkerSettings):
    """The options of ``pyfn serve`` (see ``pyfn serve --help``); the worker side's are :class:`WorkerSettings`.

    Example:
        >>> ServeOptions(workers=0).worker_count, ServeOptions(db=Path("x.db")).database
        (0, PosixPath('x.db'))
    """

    project: Path = Path(".")
    host: str = defaults.HOST
    port: int = defaults.PORT
    db: str | Path | None = None
    max_body_mb: float = defaults.MAX_BODY_MB
    sync_timeout_s: float = defaults.SYNC_TIMEOUT_S
    fsync: bool = False
    api_token: str | None = None
    cleanup_interval_s: float = defaults.CLEANUP_INTERVAL_S
    head_timeout_s: float = defaults.HEAD_TIMEOUT_S  # slow and idle clients: runtime.server.connections
    body_timeout_s: float = defaults.BODY_TIMEOUT_S
    max_connections: int = defaults.MAX_CONNECTIONS

    @property
    def database(self) -> str | Path:
        """The SQLite file, or the ``postgresql://`` URL of a store shared with other servers and workers."""
        return store_location(self.db, self.project)

    @property
    def store_name(self) -> str:
        """The store as logs show it (a URL's password masked)."""
        if not is_database_url(self.database):
            return str(self.database)
        from runtime.store.postgres import display_url

        return display_url(str(self.database))


def server_logger() -> Logger:
    """The ``[SRV]`` logger: one line per delivery, per run end, and the server's own news.

    Lines are flushed together, within 50 ms of being written (errors at once): one write per
    delivery would cost a busy server a system call (and a wake-up of anything watching the file) each.

    Example:
        >>> log = server_logger()
        >>> log.success("listening on http://127.0.0.1:4000"); log.sink.flush()  # flush: not waiting 50 ms
        [SRV] ✔ listening on http://127.0.0.1:4000
    """
    return Logger("SRV", "default", LogSink(sys.stdout, flush_within_s=LOG_FLUSH_S))


def serve(options: ServeOptions, clock: ServerClock | None = None) -> int:
    """Run the server until SIGTERM/SIGINT; return the exit code (1: could not start).

    ``clock`` is what cron triggers and retention go by (the system clock by default; see
    ``runtime.server.clock``).

    Example::

        raise SystemExit(serve(ServeOptions(project=Path("."), port=4000, workers=2)))
    """
    log = server_logger()
    try:
        check_run_as(options.run_as, log.warn)
        project = load_project(options.project)
        sandbox = sandbox_for(options, project, options.database)
        store = open_store(options.database, fsync=options.fsync)
    except PyfnError as error:
        log_error(log, error)
        return 1
    except Exception as exc:  # noqa: BLE001 - a PostgreSQL store that is unreachable or refuses us
        log.error(f"cannot open the store {options.store_name}: {type(exc).__name__}: {str(exc).strip()}")
        return 1
    worker_id = str(uuid.uuid4())
    try:
        store.register_worker(worker_id)
        store.upgrade_storage(log.always)
        sock = _bind(options.host, options.port)
    except (StoreBusy, UsageError) as error:
        log.error(str(error.message if isinstance(error, PyfnError) else error))
        store.close()
        return 1
    try:
        return _run(options, project, store, worker_id, sock, log, clock or ServerClock(), sandbox)
    finally:
        store.close()


def _run(options: ServeOptions, project: Project, store, worker_id: str, sock: socket.socket, log: Logger,
         clock: ServerClock, sandbox: object = None) -> int:
    from runtime.server.retention import Housekeeper
    from runtime.server.scheduler import Scheduler
    from runtime.worker.start import start_workers

    dead: list[str] = []  # a shared store declared this server dead: stop, exit 1
    metrics, alerter = _observers(project, store, sock, log)
    observers = [metrics.run_ended] + ([alerter.run_ended] if alerter is not None else [])
    live = LiveProject(project)
    workers = start_workers(store, str(options.database), live, worker_id, options, log,
                            on_dead=lambda reason: (dead.append(reason), os.kill(os.getpid(), signal.SIGTERM)),
                            observers=observers, on_lost=alerter.run_lost if alerter is not None else None,
                            sandbox=sandbox)
    pool = workers.pool
    if clock.is_test:
        log.warn(clock.describe())
    scheduler = Scheduler(store, project.crons, clock, pool.wake, log,
                          on_missed=alerter.cron_missed if alerter is not None else None)
    keeper = Housekeeper(store, project.plans, clock, options.cleanup_interval_s, log)
    scheduler.start(always=options.reload)
    keeper.start()
    token = options.api_token or secrets.token_urlsafe(24)
    _announce(options, project, sock, log, token, store.fsyncs_commits)
    watcher = _reload(live, options, log, (metrics, alerter), scheduler, keeper)
    signals = _Signals()
    _serve_http(options, live, store, pool, token, sock, log, on_exit=scheduler.halt, metrics=metrics)
    for part in (watcher, scheduler, keeper):
        if part is not None:
            part.stop()
    return _stop(options, workers, signals, dead, alerter, log)


def _stop(options: ServeOptions, workers, signals: "_Signals", dead: list[str], alerter, log: Logger) -> int:
    """Give the running runs their grace, stop the rest and the alerts; the exit code."""
    pool = workers.pool
    running = len(pool.running)
    if running:
        log.always(f"stopping: {running} run(s) still running get {options.shutdown_timeout_s:g}s to finish")
    signals.on_signal = pool.abort  # a second signal: stop waiting
    if dead:
        pool.abort()  # its runs were queued again elsewhere: running them on would run them twice
    stopped = workers.stop(options.shutdown_timeout_s)
    if alerter is not None:
        alerter.stop()
    if dead:
        log.error(f"pyfn serve stopped: {dead[0]}")
        return 1
    log.always("pyfn serve stopped" + (f" ({len(stopped)} run(s) will run again at the next start)"
                                        if stopped else ""))
    return 0


def _reload(live: LiveProject, options: ServeOptions, log: Logger, observers, scheduler, keeper):
    """Live reload: a swap reaches the scheduler, the retention cleanup, the metrics and the alerts' masker (the
    claim loops and the HTTP side read ``live`` themselves); the watcher, or ``None`` with ``--no-reload``."""
    from runtime.worker.reload import watch

    metrics, alerter = observers
    if alerter is not None:
        from runtime.server.alerts import project_masker

        live.on_swap.append(lambda new: project_masker(new, alerter.masker))  # new secrets masked too

    live.on_swap.append(lambda new: scheduler.update(new.crons))
    live.on_swap.append(lambda new: setattr(keeper, "plans", new.plans))
    live.on_swap.append(lambda new: metrics.reloads.inc())
    live.on_refused.append(lambda problems: metrics.reload_failures.inc())
    return watch(live, options, log)


def _observers(project: Project, store, sock: socket.socket, log: Logger):
    """The metrics, and the project's alerts (``project.yaml``; ``None`` without), started."""
    from runtime.server.metrics import Metrics

    metrics = Metrics(store)
    if project.alerts is None:
        return metrics, None
    from runtime.server.alerts import Alerter, project_masker

    alerter = Alerter(project.alerts, project_masker(project), _base_url(sock), log, store)
    alerter.start()
    return metrics, alerter


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _serve_http(options: ServeOptions, project: LiveProject, store, pool, token: str, sock: socket.socket,
                log: Logger, on_exit: Callable[[], None], metrics=None) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:  # SIGTERM/SIGINT: no cron firing from now on
            on_exit()
            super().handle_exit(sig, frame)

    from runtime.server.app import AppSettings, create_app
    from runtime.store.collections import StoreCollections

    from runtime.server.connections import guarded_protocol, raise_open_files_limit

    settings = AppSettings(int(options.max_body_mb * 1024 * 1024), options.sync_timeout_s, options.body_timeout_s)
    app = create_app(project, store, pool.wake, log, settings, api_token=token, replies=pool.replies,
                     collections=StoreCollections(options.database), metrics=metrics)
    raise_open_files_limit(options.max_connections + 256)
    protocol = guarded_protocol(options.head_timeout_s, lambda count: log.warn(
        f"closed {count} connection(s) that sent no complete request within {options.head_timeout_s:g}s"))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", http=protocol,
                            limit_concurrency=options.max_connections,
                            timeout_graceful_shutdown=max(1, round(options.shutdown_timeout_s)))
    Server(config).run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the listening
    # socket says so, and without it every keep-alive answer waits 40 ms for a delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="Choose another --port, or stop what uses it") from None
    sock.set_inheritable(True)
    return sock


def _announce(options: ServeOptions, project: Project, sock: socket.socket, log: Logger, token: str,
              fsynced: bool) -> None:
    base = _base_url(sock)
    hooks = len(project.webhooks)
    log.always(f"pyfn serve: {len(project.workflows)} workflow(s), {hooks} webhook(s), "
               f"{len(project.crons)} cron trigger(s), {options.worker_count} worker(s), store {options.store_name} "
               f"({'every commit fsynced' if fsynced else 'commits survive a crash, not a power cut: --fsync'})")
    for path in project.skipped:
        log.info(f"skipped {path}: not a workflow (no steps)")
    for hook in project.webhooks.values():
        log.always(f"{base}{hook.trigger.url_path} -> {hook.workflow} ({describe_trigger(hook.trigger)})")
    for job in project.crons:
        log.always(f"cron {job.trigger.key} -> {job.workflow} ({describe_trigger(job.trigger)})")
    for name, plan in project.plans.items():
        for warning in plan.warnings:
            log.warn(f"{name}: {warning}")
    if not hooks and not project.crons:
        log.warn("no workflow has a webhook or cron trigger: nothing will start a run but pyfn trigger "
                 "(add triggers: to a workflow)")
    if options.api_token:
        log.always(f"run history: {base}/runs (API token: the one given by --api-token or PYFN_API_TOKEN)")
    else:
        log.always(f"run history: {base}/runs?token={token} (API token {token}; choose one with --api-token "
                   f"or PYFN_API_TOKEN)")
    log.success(f"listening on {base} (Ctrl-C to stop)")


class _Signals:
    """SIGINT/SIGTERM handlers for after uvicorn returns: the first one is uvicorn's re-raise; then ``on_signal``."""

    def __init__(self) -> None:
        self.on_signal: Callable[[], object] | None = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame) -> None:
        if self.on_signal is not None:
            self.on_signal()
