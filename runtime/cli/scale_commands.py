"""``pyfn worker`` and ``pyfn db upgrade``: runs on many machines sharing one PostgreSQL store.

Everything heavy (psycopg, the server stack) is imported inside the commands,
so ``pyfn execute`` never loads it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from runtime.cli.options import (DEFAULTS, HeartbeatS, LostAfterS, MemoryMb, Reload, RunAs, RunTimeoutMs, SandboxRuns,
                                 ShutdownTimeoutS, Workers)

__all__ = ["register"]

PROJECT_HELP = "The project folder: the one holding workflows/ (the same project the webhook servers serve)."
PG_HELP = "The shared run store: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE (or $PYFN_DB)."


def worker(
    project: Path = typer.Argument(Path("."), help=PROJECT_HELP, metavar="[PROJECT_DIR]"),
    db: str = typer.Option(..., "--db", envvar="PYFN_DB", help=PG_HELP),
    workers: Workers = DEFAULTS.workers,
    run_timeout_ms: RunTimeoutMs = DEFAULTS.run_timeout_ms,
    memory_mb: MemoryMb = DEFAULTS.memory_mb,
    run_as: RunAs = None,
    sandbox: SandboxRuns = DEFAULTS.sandbox,
    shutdown_timeout_s: ShutdownTimeoutS = DEFAULTS.shutdown_timeout_s,
    heartbeat_s: HeartbeatS = DEFAULTS.heartbeat_s,
    lost_after_s: LostAfterS = DEFAULTS.lost_after_s,
    reload: Reload = DEFAULTS.reload,
) -> None:
    """Claim runs from a shared PostgreSQL store and run them; start as many as you like, on any machine.

    Webhook servers (pyfn serve --db postgresql://... --no-workers) accept and
    enqueue; workers execute. Exit code 1 when the store cannot be opened or
    this worker was declared dead (it stopped heartbeating).

    Example: pyfn worker ~/my-project --db postgresql://pyfn@db.internal/pyfn --workers 4
    (more in docs/scaling.md)
    """
    from runtime.worker.main import WorkerOptions, run_worker

    raise typer.Exit(run_worker(WorkerOptions(
        project=project, db=db, workers=workers, run_timeout_ms=run_timeout_ms, memory_mb=memory_mb,
        run_as=run_as, sandbox=sandbox,
        shutdown_timeout_s=shutdown_timeout_s, heartbeat_s=heartbeat_s, lost_after_s=lost_after_s,
        reload=reload)))


db_app = typer.Typer(help="The run store's schema.", no_args_is_help=True, add_completion=False,
                     rich_markup_mode=None)


@db_app.command("upgrade")
def db_upgrade(
    db: str = typer.Option(..., "--db", envvar="PYFN_DB", help=PG_HELP + " A SQLite path is ready when opened."),
) -> None:
    """Bring the store's schema up to date (servers and workers also do it when they start).

    Safe to run twice, and from several machines at once: each migration is
    applied once, in its own transaction.

    Example: pyfn db upgrade --db postgresql://pyfn@db.internal/pyfn
    """
    from runtime.store import open_store

    if not db.startswith(("postgresql://", "postgres://")):
        open_store(db).close()
        print(f"{db}: SQLite store ready (its schema is made when it is opened)")
        raise typer.Exit(0)
    raise typer.Exit(_upgrade_postgres(db))


def _upgrade_postgres(url: str) -> int:
    import psycopg

    from runtime.store.migrate import current_version, upgrade
    from runtime.store.pgconn import connect
    from runtime.store.postgres import display_url

    try:
        with connect(url) as conn:
            applied = upgrade(conn)
            version = current_version(conn)
    except psycopg.Error as exc:
        print(f"cannot upgrade {display_url(url)}: {type(exc).__name__}: {exc}".rstrip())
        return 1
    for migration in applied:
        print(f"applied {migration.version:04d} {migration.name}")
    print(f"{display_url(url)}: schema version {version}" + ("" if applied else " (already up to date)"))
    return 0


def register(app: typer.Typer) -> None:
    """Add ``worker`` and ``db`` to ``app``."""
    app.command()(worker)
    app.add_typer(db_app, name="db")
