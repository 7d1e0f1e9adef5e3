"""Options that several commands share, declared once: the worker side of ``pyfn serve`` and ``pyfn worker``.

Each is an ``Annotated`` type: a command declares ``memory_mb: MemoryMb = DEFAULTS.memory_mb``
and gets the flag, its checks and its help; the defaults are
:class:`~runtime.worker.settings.WorkerSettings`'s, the one settings object both
commands start their workers with.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from runtime.worker.settings import WorkerSettings

__all__ = ["DEFAULTS", "Workers", "RunTimeoutMs", "MemoryMb", "RunAs", "SandboxRuns", "ShutdownTimeoutS", "HeartbeatS",
           "LostAfterS", "Reload"]

DEFAULTS = WorkerSettings()

Workers = Annotated[Optional[int], typer.Option(
    "--workers", "-w", min=0,
    help="Runs executed at once, each in its own process (0: none). Default: the number of CPU cores.")]
RunTimeoutMs = Annotated[int, typer.Option(
    "--run-timeout-ms", min=0,
    help="Time limit of a whole run in milliseconds (0: none); past it the run is killed (TimeoutError).")]
MemoryMb = Annotated[int, typer.Option(
    "--memory-mb", min=0,
    help="Memory limit of a run's process in MB (0: none); past it the run is killed (OOMError).")]
RunAs = Annotated[Optional[str], typer.Option(
    "--run-as", metavar="USER",
    help="Run each run's process as this unprivileged user (the server must run as root): it then "
         "cannot open the run store or the server's files. Recommended whenever the server runs as root.")]
SandboxRuns = Annotated[bool, typer.Option(
    "--sandbox",
    help="Run each run's process in a bubblewrap sandbox (bwrap must be installed): the project "
         "read-only, no state/ folder nor run store, a private /tmp (docs/server.md).")]
ShutdownTimeoutS = Annotated[float, typer.Option(
    "--shutdown-timeout-s",
    help="On SIGTERM/SIGINT, how long running runs get to finish; the rest are marked lost and queued again.")]
HeartbeatS = Annotated[float, typer.Option(
    "--heartbeat-s", min=0.05, help="With a PostgreSQL store: seconds between this process's heartbeats.")]
LostAfterS = Annotated[float, typer.Option(
    "--lost-after-s", min=0.5,
    help="With a PostgreSQL store: a server or worker silent this long is dead; any other marks its runs "
         "lost and queues them again.")]

Reload = Annotated[bool, typer.Option(
    "--reload/--no-reload",
    help="Watch the project and reload changed workflows, jobs and credentials between runs (an invalid "
         "change is refused and the previous version keeps serving). --no-reload: keep what was loaded at "
         "start (frozen deployments).")]
