"""``pyfn serve``, ``pyfn trigger`` and ``pyfn runs list|show|retry``: the trigger server and its run store.

The server stack (starlette, uvicorn) and sqlite3 are imported inside the
commands, so ``pyfn execute`` never loads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from runtime import defaults
from runtime.cli.options import (DEFAULTS, HeartbeatS, LostAfterS, MemoryMb, Reload, RunAs, RunTimeoutMs, SandboxRuns,
                                 ShutdownTimeoutS, Workers)

__all__ = ["register"]

PROJECT_HELP = "The project folder: the one holding workflows/ (and jobs/, state/). Default: the current folder."
DB_HELP = ("The run store: a SQLite file, or postgresql://USER@HOST/DATABASE shared by many servers and workers "
           "(docs/scaling.md). Default: PROJECT_DIR/state/pyfn.db.")


def serve(
    ctx: typer.Context,
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    host: str = typer.Option(defaults.HOST, "--host", help="Interface to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(defaults.PORT, "--port", "-p", help="Port to listen on (0: any free port, printed at start)."),
    workers: Workers = DEFAULTS.workers,
    db: Optional[str] = typer.Option(None, "--db", envvar="PYFN_DB", help=DB_HELP),
    max_body_mb: float = typer.Option(
        defaults.MAX_BODY_MB, "--max-body-mb", help="Largest request body accepted, in MB; a larger one gets 413."),
    run_timeout_ms: RunTimeoutMs = DEFAULTS.run_timeout_ms,
    memory_mb: MemoryMb = DEFAULTS.memory_mb,
    run_as: RunAs = None,
    sandbox: SandboxRuns = DEFAULTS.sandbox,
    sync_timeout_s: float = typer.Option(
        defaults.SYNC_TIMEOUT_S, "--sync-timeout-s",
        help="How long a 'reply: sync' webhook waits for its run before answering 202 (the run goes on)."),
    shutdown_timeout_s: ShutdownTimeoutS = DEFAULTS.shutdown_timeout_s,
    fsync: bool = typer.Option(
        False, "--fsync",
        help="Make every accepted delivery survive a power cut too, not only a crash (slower commits)."),
    api_token: Optional[str] = typer.Option(
        None, "--api-token", envvar="PYFN_API_TOKEN", show_envvar=True,
        help="The token of the run history's API and page (Authorization: Bearer TOKEN). "
             "Default: a new random one, printed at start."),
    cleanup_interval_s: float = typer.Option(
        defaults.CLEANUP_INTERVAL_S, "--cleanup-interval-s", min=0,
        help="How often the retention cleanup (history_days, keep_dataclips_days) runs, in seconds; "
             "it also runs at start. 0: never."),
    no_workers: bool = typer.Option(
        False, "--no-workers",
        help="Accept and enqueue only, run nothing (--workers 0): pyfn worker processes run the queue "
             "(a shared PostgreSQL --db, docs/scaling.md)."),
    heartbeat_s: HeartbeatS = DEFAULTS.heartbeat_s,
    lost_after_s: LostAfterS = DEFAULTS.lost_after_s,
    head_timeout_s: float = typer.Option(
        defaults.HEAD_TIMEOUT_S, "--head-timeout-s", min=0.1,
        help="A connection that sends no complete request head (request line and headers) within this "
             "many seconds is closed (slow or idle clients)."),
    body_timeout_s: float = typer.Option(
        defaults.BODY_TIMEOUT_S, "--body-timeout-s", min=0.1,
        help="A webhook body not received within this many seconds gets 408."),
    max_connections: int = typer.Option(
        defaults.MAX_CONNECTIONS, "--max-connections", min=1,
        help="Open connections served at once; a request past it gets 503 (the sender retries)."),
    reload: Reload = DEFAULTS.reload,
) -> None:
    """Serve the webhooks and cron triggers of every workflow in PROJECT_DIR/workflows, and run what they start.

    Each webhook trigger is served at /i/<path>; each cron trigger fires on its
    schedule with the last successful output as input. Every run is committed
    to the run store first; workers run each in its own process within its
    time and memory limits, retrying and limiting concurrency as each workflow
    says. The run history is at /runs (and its JSON API at /api/runs), behind
    the API token. Exit code 1 when a workflow is invalid (every problem is
    listed) or the port or store is taken.

    Example: pyfn serve ~/my-project --host 0.0.0.0 --port 8080 --workers 4
    (more in docs/server.md)
    """
    from runtime.server.clock import ServerClock
    from runtime.server.service import ServeOptions, serve as run_server

    # a program embedding the CLI may hand the server its clock: app(args, obj=ServerClock(...))
    clock = ctx.obj if isinstance(ctx.obj, ServerClock) else None

    workers = 0 if no_workers else workers
    raise typer.Exit(run_server(ServeOptions(
        project=project, host=host, port=port, workers=workers, db=db, max_body_mb=max_body_mb,
        run_timeout_ms=run_timeout_ms, memory_mb=memory_mb, run_as=run_as, sandbox=sandbox, sync_timeout_s=sync_timeout_s,
        shutdown_timeout_s=shutdown_timeout_s, fsync=fsync, api_token=api_token,
        cleanup_interval_s=cleanup_interval_s, heartbeat_s=heartbeat_s, lost_after_s=lost_after_s,
        head_timeout_s=head_timeout_s, body_timeout_s=body_timeout_s, max_connections=max_connections,
        reload=reload), clock))


WAIT_HELP = "Wait for the run to end and print its outcome (exit 0 only for success)."
SERVER = typer.Option(None, "--server", envvar="PYFN_SERVER", show_envvar=True,
                      help="A running pyfn serve's URL: go through its API (it has the secrets and the run store).")
API_TOKEN = typer.Option(None, "--api-token", envvar="PYFN_API_TOKEN", show_envvar=True,
                         help="The server's API token (with --server).")
WAIT_TIMEOUT_HELP = "With --wait: give up waiting after this many seconds (the run goes on)."


def trigger(
    workflow: str = typer.Argument(..., help="The workflow's name (or its file) in PROJECT_DIR/workflows.",
                                   metavar="WORKFLOW"),
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    state: Optional[Path] = typer.Option(
        None, "--state", "--input", "-s",
        help="The input state (a JSON file; --input is the same), e.g. to unstick a cron workflow. "
             "Default: the cron cursor, as the next scheduled run would get it "
             "(the last successful output of cursor_step or the final state; else the trigger's state:; else {})."),
    db: Optional[str] = typer.Option(None, "--db", envvar="PYFN_DB", help=DB_HELP),
    wait: bool = typer.Option(False, "--wait", help=WAIT_HELP),
    wait_timeout_s: float = typer.Option(defaults.WAIT_TIMEOUT_S, "--wait-timeout-s", help=WAIT_TIMEOUT_HELP),
    server: Optional[str] = SERVER,
    api_token: Optional[str] = API_TOKEN,
) -> None:
    """Start a run of WORKFLOW by hand, as Lightning's manual run: queued first in line in the run store.

    It works whether or not pyfn serve is running: a running server picks the
    run up at once, a stopped one when it starts. Prints the work order and
    run ids. A manual run that succeeds moves the cron cursor on.

    Example: pyfn trigger commcare-sync --state state/backfill.json --wait
    """
    if server:
        from runtime.cli.remote import run_trigger_remote

        raise typer.Exit(run_trigger_remote(_where(db, server, api_token), workflow, state, wait, wait_timeout_s))
    from runtime.cli.trigger import run_trigger

    raise typer.Exit(run_trigger(project, workflow, state, db, wait, wait_timeout_s))


runs_app = typer.Typer(help="Show the work orders and runs in the run store, and retry them.", no_args_is_help=True,
                       add_completion=False, rich_markup_mode=None)


@runs_app.command("list")
def runs_list(
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    workflow: Optional[str] = typer.Option(None, "--workflow", help="Only the runs of this workflow (its name)."),
    state: Optional[str] = typer.Option(
        None, "--state",
        help="Only runs in this state: available, claimed, started, success, failed, crashed, killed or lost."),
    db: Optional[str] = typer.Option(None, "--db", envvar="PYFN_DB", help=DB_HELP),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many runs to show, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    server: Optional[str] = SERVER,
    api_token: Optional[str] = API_TOKEN,
    step_failed: bool = typer.Option(False, "--step-failed",
                                     help="Only runs with a failed step (a handled failure leaves a run success)."),
) -> None:
    """List runs, newest first, with their work order, state, error type, attempt and duration.

    A run with a failed step shows it next to its state: success · 1 step failed.

    Example: pyfn runs list --workflow commcare-registrations --state success --step-failed
    """
    from runtime.cli.runs import run_list

    raise typer.Exit(run_list(project, _where(db, server, api_token), workflow, state, limit, as_json,
                              step_failed))


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="A run id, a work order id (its latest run), or a unique prefix.",
                                 metavar="RUN_ID"),
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    db: Optional[str] = typer.Option(None, "--db", envvar="PYFN_DB", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    server: Optional[str] = SERVER,
    api_token: Optional[str] = API_TOKEN,
    states: bool = typer.Option(False, "--states", help="Also print the input, each step's input and output, "
                                                        "every log line and the final state."),
) -> None:
    """Show one run on one screen: its state, a line per step (status, duration, error) and its last log lines.

    Example: pyfn runs show 3f2c9a1e --states
    """
    from runtime.cli.runs import run_show

    raise typer.Exit(run_show(project, _where(db, server, api_token), run_id, as_json, states))


@runs_app.command("retry")
def runs_retry(
    run_id: str = typer.Argument(..., help="A run id, a work order id (its latest run), or a unique prefix.",
                                 metavar="RUN_ID"),
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    from_step: Optional[str] = typer.Option(
        None, "--from-step",
        help="Start at this step of the run (its key as pyfn runs show lists it, or a unique prefix), "
             "with the input that step was given. Default: the whole workflow with the original input."),
    db: Optional[str] = typer.Option(None, "--db", envvar="PYFN_DB", help=DB_HELP),
    wait: bool = typer.Option(False, "--wait", help=WAIT_HELP),
    wait_timeout_s: float = typer.Option(defaults.WAIT_TIMEOUT_S, "--wait-timeout-s", help=WAIT_TIMEOUT_HELP),
    server: Optional[str] = SERVER,
    api_token: Optional[str] = API_TOKEN,
    now: bool = typer.Option(False, "--now", help="Run the work order's waiting automatic retry now, instead of "
                                                  "after its delay (no new run is queued)."),
) -> None:
    """Run a run's work order again: a new run (next attempt), first in line, as Lightning's retry.

    Impossible when the input is no longer stored (wiped by keep_dataclips_days,
    or never kept: zero_persistence), or while the work order has a run
    waiting or running: the reason is printed and the exit code is 1.

    Example: pyfn runs retry 3f2c9a1e --from-step upsert-patients
    """
    from runtime.cli.runs import run_retry

    if now and from_step:
        print("--now runs the waiting automatic retry as it is: it takes no --from-step")
        raise typer.Exit(2)
    raise typer.Exit(run_retry(project, _where(db, server, api_token), run_id, from_step, wait, wait_timeout_s,
                               now))


def _where(db: str | None, server: str | None, api_token: str | None):
    """The run store: a running server's API (``--server``), or the store itself (``--db``)."""
    if not server:
        return db
    from runtime.cli.remote import ServerAccess

    return ServerAccess(server, api_token)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``trigger`` and ``runs`` to ``app``."""
    app.command()(serve)
    app.command()(trigger)
    app.add_typer(runs_app, name="runs")
