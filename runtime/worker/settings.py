"""The worker side's settings, one object for ``pyfn serve`` and ``pyfn worker``.

Both run claim loops the same way (``runtime.worker.start``): how many runs at
once, each run's limits, how long a shutdown waits, and the heartbeat on a
shared store. ``ServeOptions`` and ``WorkerOptions`` add what is their own.

Example:
    >>> WorkerSettings(workers=2, run_timeout_ms=1000).worker_count
    2
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from runtime import defaults

__all__ = ["WorkerSettings"]


@dataclass
class WorkerSettings:
    """The options ``pyfn serve`` and ``pyfn worker`` share (see their ``--help``).

    Attributes:
        workers: runs executed at once (``None``: one per CPU core; 0: none).
        run_timeout_ms: a run's time limit (0: none); Lightning's default is 5 minutes.
        memory_mb: a run's memory limit (0: none).
        shutdown_timeout_s: on SIGTERM/SIGINT, how long running runs get to finish.
        heartbeat_s: on a shared store, seconds between heartbeats.
        lost_after_s: on a shared store, how long a silent process lives before others requeue its runs.
        run_as: the unprivileged user each run's process runs as (``runtime.worker.confine``).
        sandbox: each run's process in a bubblewrap sandbox (``runtime.worker.sandbox``).
        reload: watch the project and reload what changed (``runtime.worker.reload``); ``False``
            (``--no-reload``) keeps what was loaded at start, for frozen deployments.
    """

    workers: int | None = None
    run_timeout_ms: int = defaults.RUN_TIMEOUT_MS
    memory_mb: int = defaults.RUN_MEMORY_MB
    shutdown_timeout_s: float = defaults.SHUTDOWN_TIMEOUT_S
    heartbeat_s: float = defaults.HEARTBEAT_S
    lost_after_s: float = defaults.LOST_AFTER_S
    run_as: str | None = None  # runtime.worker.confine
    sandbox: bool = defaults.SANDBOX  # runtime.worker.sandbox
    reload: bool = defaults.RELOAD

    @property
    def worker_count(self) -> int:
        """The number of claim loops: ``workers``, else the number of CPU cores."""
        return self.workers if self.workers is not None else (os.cpu_count() or 1)
