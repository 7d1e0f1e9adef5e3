"""``pyfn serve`` and ``pyfn runs list|show``: the trigger server and its run store, from the command line.

The server stack (starlette, uvicorn) and sqlite3 are imported inside the
commands, so ``pyfn execute`` never loads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]

PROJECT_HELP = "The project folder: the one holding workflows/ (and jobs/, state/). Default: the current folder."
DB_HELP = "The run store (a SQLite file). Default: PROJECT_DIR/state/pyfn.db."


def serve(
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(4000, "--port", "-p", help="Port to listen on (0: any free port, printed at start)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-w", min=0,
        help="Runs executed at once, each in its own process. Default: the number of CPU cores. "
             "0 accepts deliveries and runs nothing."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    max_body_mb: float = typer.Option(
        10.0, "--max-body-mb", help="Largest request body accepted, in MB; a larger one gets 413."),
    run_timeout_ms: int = typer.Option(
        300_000, "--run-timeout-ms", min=0,
        help="Time limit of a whole run in milliseconds (0: none); past it the run is killed (TimeoutError)."),
    memory_mb: int = typer.Option(
        500, "--memory-mb", min=0,
        help="Memory limit of a run's process in MB (0: none); past it the run is killed (OOMError)."),
    sync_timeout_s: float = typer.Option(
        30.0, "--sync-timeout-s",
        help="How long a 'reply: sync' webhook waits for its run before answering 202 (the run goes on)."),
    shutdown_timeout_s: float = typer.Option(
        30.0, "--shutdown-timeout-s",
        help="On SIGTERM/SIGINT, how long running runs get to finish; the rest run again at the next start."),
    fsync: bool = typer.Option(
        False, "--fsync",
        help="Make every accepted delivery survive a power cut too, not only a crash (slower commits)."),
) -> None:
    """Serve the webhooks of every workflow in PROJECT_DIR/workflows and run what they receive.

    Each webhook trigger is served at /i/<path>. A delivery is committed to the
    run store before the answer goes back; workers run each run in its own
    process within its time and memory limits. Exit code 1 when a workflow is
    invalid (every problem is listed) or the port or store is taken.

    Example: pyfn serve ~/my-project --host 0.0.0.0 --port 8080 --workers 4
    (more in docs/server.md)
    """
    from ..server.service import ServeOptions, serve as run_server

    raise typer.Exit(run_server(ServeOptions(
        project=project, host=host, port=port, workers=workers, db=db, max_body_mb=max_body_mb,
        run_timeout_ms=run_timeout_ms, memory_mb=memory_mb, sync_timeout_s=sync_timeout_s,
        shutdown_timeout_s=shutdown_timeout_s, fsync=fsync)))


runs_app = typer.Typer(help="Show the work orders and runs in the run store.", no_args_is_help=True,
                       add_completion=False, rich_markup_mode=None)


@runs_app.command("list")
def runs_list(
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    workflow: Optional[str] = typer.Option(None, "--workflow", help="Only the runs of this workflow (its name)."),
    state: Optional[str] = typer.Option(
        None, "--state",
        help="Only runs in this state: available, claimed, started, success, failed, crashed, killed or lost."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many runs to show, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List runs, newest first, with their work order, state, error type, attempt and duration.

    Example: pyfn runs list --workflow commcare-registrations --state failed
    """
    from .runs import run_list

    raise typer.Exit(run_list(project, db, workflow, state, limit, as_json))


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="A run id, a work order id (its latest run), or a unique prefix.",
                                 metavar="RUN_ID"),
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Show one run: its input, each step's input, output and error, its logs and final state.

    Example: pyfn runs show 3f2c9a1e
    """
    from .runs import run_show

    raise typer.Exit(run_show(project, db, run_id, as_json))


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``runs`` to ``app``."""
    app.command()(serve)
    app.add_typer(runs_app, name="runs")
