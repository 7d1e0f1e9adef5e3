"""Starting the worker side, the same for ``pyfn serve`` and ``pyfn worker``.

In order: the forkserver (before any thread starts), the heartbeat on a shared
store (``runtime.worker.heartbeat``), the recovery of runs a dead process left
unfinished, the supervisor with the run limits, the claim loops, and on a shared
store the wake-ups for runs queued by any process.

Example::

    store.register_worker(worker_id)
    live = LiveProject(load_project(root))
    workers = start_workers(store, "state/pyfn.db", live, worker_id, WorkerSettings(workers=2), log,
                            on_dead=print)
    watcher = watch(live, settings, log)   # runtime.worker.reload: reloads swap what the claim loops run
    ...                      # serve webhooks, or wait for a signal
    workers.stop(30)         # the ids of the runs it had to stop (lost, queued again)
    workers.recovered        # [(lost run, new run)] found unfinished at start (each also given to on_lost)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from runtime.logger import Logger
from runtime.store import RunStore, SharedRunStore
from runtime.worker.confine import env_names
from runtime.worker.heartbeat import SHARED_IDLE_S, Heartbeat, join_cluster
from runtime.worker.pool import WorkerPool
from runtime.worker.settings import WorkerSettings
from runtime.worker.supervisor import Limits, Supervisor, forkserver_context
from runtime.workflow.live import LiveProject
from runtime.workflow.project import Project

__all__ = ["Workers", "start_workers"]


@dataclass
class Workers:
    """The running worker side: the claim loops, on a shared store the heartbeat, and the runs recovered at start."""

    pool: WorkerPool
    beat: Heartbeat | None
    recovered: list[tuple[str, str]]

    def stop(self, grace_s: float) -> list[str]:
        """Claim nothing more, give running runs ``grace_s``, stop the heartbeat; the runs stopped."""
        stopped = self.pool.stop(grace_s)
        if self.beat is not None:
            self.beat.stop()
        return stopped


def start_workers(store: RunStore, location: str, live: LiveProject, worker_id: str, settings: WorkerSettings,
                  log: Logger, *, on_dead: Callable[[str], None], lost_by: str = "a server that stopped",
                  observers: Sequence[Callable] = (), on_lost: Callable[[str], None] | None = None,
                  sandbox: Any = None) -> Workers:
    """Start the worker side of ``worker_id`` (already registered in ``store``); see the module docstring.

    ``location`` is the store's file or URL (where the runs' collections are); ``on_dead(reason)``
    is called when a shared store declared this process dead; ``lost_by`` says in the log who
    left the runs recovered at start; ``observers`` are told of each run's end (``WorkerPool.on_end``);
    ``on_lost(run_id)`` is told of each run found lost: at start, and on a shared store each run of a
    silent process that this one's heartbeat requeues (the alerts' ``lost``); ``sandbox``
    (``runtime.worker.sandbox.sandbox_for``) runs each run in bwrap instead of forking it.
    Each reload of ``live`` swaps what the claim loops run, and on a shared store records the versions
    this process serves in its membership row.
    """
    project = live.project
    paths = [str(path) for path in project.workflows.values()]
    context = (forkserver_context(paths, env_names(project.plans.values()))  # before any thread starts
               if settings.worker_count and sandbox is None else None)
    beat = join_cluster(store, worker_id, log, settings.heartbeat_s, settings.lost_after_s, on_dead=on_dead,
                        on_lost=on_lost)
    recovered = store.recover_lost([worker_id])
    for lost, queued in recovered:
        log.warn(f"run {lost} was left unfinished by {lost_by}: marked lost, queued again as {queued}")
        if on_lost is not None:
            on_lost(lost)
    supervisor = Supervisor(store, context, Limits(settings.run_timeout_ms, settings.memory_mb, settings.run_as),
                            location, sandbox)
    pool = WorkerPool(store, project.workflows, supervisor, worker_id, settings.worker_count, log, _policies(project),
                      snapshots=project.snapshots, **({"idle_s": SHARED_IDLE_S} if beat else {}))
    live.on_swap.append(lambda new: pool.update(new.workflows, _policies(new), new.snapshots))
    if isinstance(store, SharedRunStore):
        _record_versions(store, worker_id, project, log)
        live.on_swap.append(lambda new: _record_versions(store, worker_id, new, log))
    pool.on_end.extend(observers)
    pool.start()
    if beat and settings.worker_count:
        store.subscribe(pool.wake)  # runs queued by other servers and workers (LISTEN/NOTIFY)
    return Workers(pool, beat, recovered)


def _policies(project: Project) -> dict:
    return {name: plan.policy for name, plan in project.plans.items()}


def _record_versions(store: SharedRunStore, worker_id: str, project: Project, log: Logger) -> None:
    try:
        store.record_versions(worker_id, project.versions)
    except Exception as exc:  # noqa: BLE001 - the next reload or start records them again
        log.error(f"could not record the workflow versions in the store: {type(exc).__name__}: {exc}")
