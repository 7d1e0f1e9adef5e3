"""Command definitions: typed options and help text; the work happens in sibling modules.

Heavy modules are imported inside each command so ``pyfn execute`` pays only
for what it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from runtime import defaults
from runtime.cli.quick import FLAG_OPTIONS, VALUE_OPTIONS
__all__ = ["register"]

LOG_HELP = ("Log level: none, default, info or debug; per component too, e.g. "
            "'debug,job=none' (components: cli, compiler, runtime, job)")


def execute(
    path: Path = typer.Argument(..., help="The job (.py) or workflow (.yaml, .yml, .json) to run."),
    adaptor: Optional[str] = typer.Option(
        None, *VALUE_OPTIONS["adaptor"],
        help="Adaptor whose operations the job uses: common, http or commcare. OpenFn names "
             "(@openfn/language-http@7.2.0, http@7) work too; the version is ignored."),
    state_path: Optional[Path] = typer.Option(
        None, *VALUE_OPTIONS["state_path"], help="Input state file (JSON; - reads standard input). Default: {data: {}, configuration: {}}."),
    state_stdin: Optional[str] = typer.Option(
        None, *VALUE_OPTIONS["state_text"], help="Input state as JSON text (- reads standard input; wins over -s)."),
    output_path: Optional[Path] = typer.Option(
        None, *VALUE_OPTIONS["output_path"], help="Where to write the final state (a symlink is written through, a device written into). "
             "Default: output.json beside the job."),
    output_stdout: bool = typer.Option(
        False, *FLAG_OPTIONS["output_stdout"], help="Print only the final state's JSON on standard output (log lines go to standard error) "
             "instead of writing a file."),
    log: Optional[str] = typer.Option(None, *VALUE_OPTIONS["log"], help=LOG_HELP),
    log_json: bool = typer.Option(False, *FLAG_OPTIONS["log_json"], help="Print log lines as JSON objects."),
    timeout: int = typer.Option(
        defaults.STEP_TIMEOUT_MS, *VALUE_OPTIONS["timeout_ms"], help="Time limit per step in milliseconds (0: none)."),
    immutable: bool = typer.Option(
        False, *FLAG_OPTIONS["immutable"], help="Give every operation a deep copy of the state."),
    start: Optional[str] = typer.Option(
        None, *VALUE_OPTIONS["start"], help="Workflow: start at this step (exact id or a unique fragment of an id or name)."),
    end: Optional[str] = typer.Option(None, *VALUE_OPTIONS["end"], help="Workflow: stop after this step."),
    only: Optional[str] = typer.Option(None, *VALUE_OPTIONS["only"], help="Workflow: run only this step."),
    cache_steps: bool = typer.Option(
        False, *FLAG_OPTIONS["cache_steps"],
        help="Workflow: write each step's output to .cli-cache/<workflow>/<step>.json; with --start "
             "and no -s, start from the cached output of the step's parent."),
    credentials: Optional[Path] = typer.Option(
        None, *VALUE_OPTIONS["credentials"],
        help="Workflow: credential map (JSON/YAML {name: configuration}) replacing the workflow's."),
    strict: bool = typer.Option(
        False, *FLAG_OPTIONS["strict"], help="A JSONPath that matches nothing (each, map, merge, data_value...) fails the step "
                                "instead of logging a warning."),
    db: Optional[str] = typer.Option(
        None, *VALUE_OPTIONS["db"], envvar="PYFN_DB",
        help="The run store holding the collections jobs use: a SQLite file or a postgresql:// URL. "
             "Default: state/pyfn.db in the current folder (opened only when a job uses collections)."),
) -> None:
    """Run a job or a workflow against a state file and write the final state (configuration removed).

    Exit code 0 when the run completes, even if a step recorded an error in
    state.errors; 1 when it crashes, times out or aborts (no output is written);
    2 for bad arguments.
    """
    from runtime.cli.execute import ExecuteArgs, run_execute

    raise typer.Exit(run_execute(ExecuteArgs(
        path=path, adaptor=adaptor, state_path=state_path, state_text=state_stdin,
        output_path=output_path, output_stdout=output_stdout, log=log, log_json=log_json,
        timeout_ms=timeout, immutable=immutable, start=start, end=end, only=only,
        cache_steps=cache_steps, credentials=credentials, strict=strict, db=db)))


def compile_(
    path: Path = typer.Argument(..., help="The job (.py) or workflow (.yaml, .yml, .json) to compile."),
    adaptor: Optional[str] = typer.Option(None, "-a", "--adaptor", help="The job's adaptor (default: common)."),
) -> None:
    """Show a job's compiled operations (lazy state made explicit) or a workflow's plan."""
    from runtime.cli.show import run_compile

    raise typer.Exit(run_compile(path, adaptor))


def validate(
    path: Path = typer.Argument(..., help="The workflow (.yaml, .yml, .json) or job (.py) to check."),
    credentials: Optional[Path] = typer.Option(
        None, "--credentials", "--creds", help="Credential map replacing the workflow's."),
    adaptor: Optional[str] = typer.Option(None, "-a", "--adaptor", help="A job's adaptor (default: common)."),
) -> None:
    """Check a workflow or a job without running it: report every problem with its line (exit 1), or "valid".

    Reads each job (undefined names, arguments an operation does not take, JSONPaths that
    don't parse) and each step's configuration against its adaptor's schema; unset ${VAR}
    secrets are fine.
    """
    from runtime.cli.show import run_validate

    raise typer.Exit(run_validate(path, credentials, adaptor))


def docs(
    adaptor: Optional[str] = typer.Argument(None, help="Adaptor name: common, http or commcare (none: list all)."),
    operation: Optional[str] = typer.Argument(None, help="One operation to show in full."),
    schema: bool = typer.Option(
        False, "--schema", help="Print the adaptor's configuration schema and an example credentials entry."),
) -> None:
    """List the adaptors and their operations; an adaptor's operations, configuration (--schema), or one operation."""
    from runtime.cli.show import run_docs

    raise typer.Exit(run_docs(adaptor, operation, schema))


def demo(
    examples: Optional[list[str]] = typer.Argument(
        None, help="Which examples: registrations, reminders, bulk-import (default: all)."),
) -> None:
    """Run the shipped CommCare examples offline, against the bundled HQ simulator and local stand-ins."""
    from runtime.cli.demo import run_demo

    raise typer.Exit(run_demo(examples))


def init(
    folder: Path = typer.Argument(..., help="Folder to create the project in (created if missing)."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
) -> None:
    """Scaffold a project: a job, a workflow, a state file, a passing test, CI and a credentials template."""
    from runtime.cli.init import run_init

    raise typer.Exit(run_init(folder, force))


def commcare(ctx: typer.Context) -> None:
    """The CommCare HQ simulator: 'pyfn commcare serve --help' for its options."""
    from hq_simulator.cli import app as simulator  # imported only when asked for: it seeds data

    simulator(args=ctx.args, prog_name="pyfn commcare", standalone_mode=True)


def register(app: typer.Typer) -> None:
    """Add every command to ``app``."""
    app.command()(execute)
    app.command("compile")(compile_)
    app.command()(validate)
    app.command()(docs)
    app.command()(demo)
    app.command()(init)
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
                add_help_option=False)(commcare)
