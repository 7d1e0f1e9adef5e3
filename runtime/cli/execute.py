"""``pyfn execute``: load state, compile, run, write the output, report — OpenFn's CLI flow."""

from __future__ import annotations

import gc
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime import defaults
from runtime.context import RunContext, RunOptions
from runtime.errors import PyfnError, StepTimeoutError, UsageError
from runtime.exits import process_exit
from runtime.logger import Loggers, LogSink, create_loggers, format_duration
from runtime.secrets import Masker
from runtime.state_file import (STDIN, collector_paused, load_state_file, parse_state_text, serialize_output,
                                write_output_text)
from runtime.plan import Plan, find_step, load_plan
from runtime.workflow import WORKFLOW_SUFFIXES
from runtime.report import log_error
from runtime.execute import execute_plan
from runtime.state import default_state, hand_over, step_errors
from runtime.step import learn_secrets
from runtime.cli.cache import StepCache

__all__ = ["ExecuteArgs", "run_execute"]


@dataclass
class ExecuteArgs:
    """The arguments of ``pyfn execute``."""

    path: Path
    adaptor: str | None = None
    state_path: Path | None = None
    state_text: str | None = None
    output_path: Path | None = None
    output_stdout: bool = False
    log: str | None = None
    log_json: bool = False
    timeout_ms: int = defaults.STEP_TIMEOUT_MS
    immutable: bool = False
    start: str | None = None
    end: str | None = None
    only: str | None = None
    cache_steps: bool = False
    credentials: Path | None = None
    strict: bool = False
    db: str | None = None


class _LazyCollections:
    """The run's collections (a ``StoreCollections``), imported and opened when a job first uses them:
    most jobs never do, and the store's modules are a good part of a cold start.

    Example::

        collections = _LazyCollections(None, str)  # nothing imported or opened yet
        collections.close()                        # still nothing
    """

    def __init__(self, db: str | None, mask):
        self._db, self._mask, self._store = db, mask, None

    def __getattr__(self, name: str):
        if self._store is None:
            from runtime.store import store_location
            from runtime.store.collections import StoreCollections

            self._store = StoreCollections(store_location(self._db, Path(".")), mask=self._mask)
        return getattr(self._store, name)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def run_execute(args: ExecuteArgs) -> int:
    """Run ``pyfn execute``; return the exit code."""
    try:
        return _run(args)
    finally:
        gc.unfreeze()  # the input frozen for the run (``_input_state``) is the collector's again


def _run(args: ExecuteArgs) -> int:
    started = time.perf_counter()
    try:
        # with -O, standard output carries the final state alone: every log line goes to stderr
        stream = sys.stderr if args.output_stdout else sys.stdout
        loggers = create_loggers(args.log, LogSink(stream, json_lines=args.log_json))
    except ValueError as exc:
        return usage_failure(str(exc))
    # opened only if a job uses it; the run's secrets are masked in what it stores
    collections = _LazyCollections(args.db, loggers.masker.mask)
    try:
        plan = _load_plan(args, loggers)
        start, end = _bounds(plan, args)
        cache = _prepare_cache(plan, args, start)
        state = _input_state(args, loggers, plan, cache, start)
        options = RunOptions(timeout_ms=args.timeout_ms, immutable=args.immutable, start=start, end=end,
                             strict=args.strict, on_stuck=_exit_when_stuck(loggers, started),
                             collections=collections)
        ctx = RunContext(options, loggers, notify=cache.observer(loggers.masker.scrub) if cache else None)
        learn_secrets(ctx, state.get("configuration"))
        result = execute_plan(plan, state, ctx)
    except PyfnError as error:
        return _abort(error, loggers, started)
    finally:
        collections.close()
    return _finish(result, args, loggers, started)


def _load_plan(args: ExecuteArgs, loggers: Loggers) -> Plan:
    path = args.path
    if not path.is_file():
        kind = "Workflow" if path.suffix in WORKFLOW_SUFFIXES else "Job"
        raise UsageError(f"{kind} file not found: {path}" if not path.exists() else f"Not a file: {path}",
                         hint="Give the path of a job (.py) or a workflow (.yaml, .yml, .json)")
    if path.suffix not in WORKFLOW_SUFFIXES:
        return _load_job_plan(args, loggers)
    from runtime.workflow.load import load_workflow  # YAML is only loaded for workflows

    plan = load_workflow(path, args.credentials, require_secrets=False)  # a step needing an unset one fails
    loggers.compiler.success(f"Compiled all expressions in workflow {plan.name}")
    return plan


def _bounds(plan: Plan, args: ExecuteArgs) -> tuple[str | None, str | None]:
    """The steps ``--start``/``--end`` (or ``--only``) name, found in the plan."""
    if args.only:
        only = find_step(plan, args.only)
        return only, only
    return (find_step(plan, args.start) if args.start else None,
            find_step(plan, args.end) if args.end else None)


def _prepare_cache(plan: Plan, args: ExecuteArgs, start: str | None) -> StepCache | None:
    if not args.cache_steps:
        return None
    cache = StepCache(args.path, plan.name)
    if not start:
        cache.clear()
    return cache


def _input_state(args: ExecuteArgs, loggers: Loggers, plan: Plan, cache: StepCache | None,
                 start: str | None) -> dict:
    """The run's input state, read without the cyclic collector and then frozen out of its walks.

    A parse makes no cycles, and the input is held for the whole run: the collector need not walk
    its values as they come, nor again and again while the job runs (``run_execute`` unfreezes).
    Frozen before the collector is back on, none of them is ever walked.
    """
    with collector_paused():
        state = _read_input(args, loggers, plan, cache, start)
        gc.freeze()
    return hand_over(state)  # parsed here, held by no one: the first step need not copy it


def _read_input(args: ExecuteArgs, loggers: Loggers, plan: Plan, cache: StepCache | None,
                start: str | None) -> dict:
    cli = loggers.cli
    cached = cache.input_for(plan, start) if cache and start else None
    if args.state_text is not None:
        origin = "standard input" if args.state_text == STDIN else "-S/--state-stdin"
        text = sys.stdin.read() if args.state_text == STDIN else args.state_text
        state = parse_state_text(text, origin)
        cli.success(f"Loaded state from {origin}")
    elif args.state_path is not None:
        state = load_state_file(args.state_path)
        cli.success(f"Loaded state from {'standard input' if str(args.state_path) == STDIN else args.state_path}")
    elif cached is not None:
        parent, state = cached
        cli.success(f"Loaded the cached output of step {parent} as input of {start}")
    else:
        state = default_state()
        cli.info("No state provided - using default state", state)
    return state


def _load_job_plan(args: ExecuteArgs, loggers: Loggers) -> Plan:
    plan = load_plan(args.path, args.adaptor)
    step = plan.steps[plan.start]
    if step.adaptor.requested_version:
        loggers.cli.info(f"pyfn ships one version of each adaptor: ignoring version "
                         f"{step.adaptor.requested_version} of {step.adaptor.name}")
    loggers.compiler.success(f"Compiled job from {args.path} ({len(step.job.operations)} operations)")
    return plan


def _finish(result: Any, args: ExecuteArgs, loggers: Loggers, started: float) -> int:
    cli = loggers.cli
    try:
        text = _output_text(result, loggers.masker)
        if args.output_stdout:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        else:
            target = args.output_path or args.path.parent / "output.json"
            write_output_text(text, target)
            cli.success(f"State written to {target}")
    except PyfnError as error:
        return _abort(error, loggers, started)
    failed = len(step_errors(result))
    if failed:
        cli.warn(f"Errors reported in {failed} jobs")
    elapsed = format_duration((time.perf_counter() - started) * 1000)
    cli.success(f"Finished in {elapsed}" + ("" if failed else " ✨"))
    return 0


def _output_text(result: Any, masker: Masker) -> str:
    """The output's text, a secret a job copied into its state masked: it stays in the run.

    The text is written first and searched, so a state holding no secret is encoded once.
    """
    text = serialize_output(result)
    if masker.shows_in(text):
        text = serialize_output(masker.scrub(result))
    return text


def _abort(error: PyfnError, loggers: Loggers, started: float) -> int:
    if isinstance(error, UsageError):
        log_error(loggers.cli, error)
        return error.exit_code
    loggers.runtime.error("CRITICAL ERROR! Aborting execution")
    log_error(loggers.runtime, error)
    elapsed = format_duration((time.perf_counter() - started) * 1000)
    loggers.cli.always(f"Workflow failed in {elapsed}.")
    return error.exit_code


def _exit_when_stuck(loggers: Loggers, started: float):
    def on_stuck(error: StepTimeoutError) -> None:
        loggers.runtime.error("CRITICAL ERROR! Aborting execution")
        log_error(loggers.runtime, error)
        elapsed = format_duration((time.perf_counter() - started) * 1000)
        loggers.cli.always(f"Workflow failed in {elapsed}.")
        process_exit(1)
    return on_stuck


def usage_failure(message: str, hint: str | None = None) -> int:
    """Report bad arguments found before the loggers exist; return exit code 2."""
    log_error(create_loggers().cli, UsageError(message, hint=hint))
    return 2
