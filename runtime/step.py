"""Run one step: check its configuration, load its job, run the operations, clean the state.

A ``fail`` error is written to ``state["errors"][step_id]`` on the step's input
state (as OpenFn does: work done by earlier operations in the step is kept
only where they changed that state in place) and the run goes on; a
``crash`` or ``kill`` propagates and aborts the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from adaptors.common.empty_match import empty_matches
from runtime.config_check import schema_problems
from runtime import events
from runtime.context import RunContext
from runtime.errors import ConfigurationError, PyfnError, RuntimeCrash
from runtime.exits import job_cannot_exit
from runtime.expression import run_operations
from runtime.job import load_job
from runtime.linker import link
from runtime.logger import format_duration, job_logging
from runtime.plan import Step
from runtime.report import log_error
from runtime.state import clean_state, is_null_state, to_json
from runtime.timeout import step_deadline

__all__ = ["StepResult", "execute_step", "learn_secrets"]


@dataclass
class StepResult:
    """A step's output state (``None`` when the job returned nothing) and its error, if it failed."""

    state: Any
    error: PyfnError | None
    duration_ms: float


def execute_step(step: Step, state: dict, ctx: RunContext, key: str | None = None) -> StepResult:
    """Run ``step`` on its assembled input ``state``; ``key`` names this visit (``x-1``)."""
    key = key or step.id
    log = ctx.log
    learn_secrets(ctx, state.get("configuration"), step.secrets, f"step {key}")
    log.always(f"Starting step {step.name or key}")
    ctx.emit(events.STEP_START, step=key, state=state)
    started = time.perf_counter()
    try:
        result = _run_job(step, state, ctx)
    except PyfnError as error:
        elapsed = (time.perf_counter() - started) * 1000
        if error.severity != "fail":
            log.error(f"{key} aborted with error ({format_duration(elapsed)})")
            raise
        return _failed(step, key, state, error, elapsed, ctx)
    elapsed = (time.perf_counter() - started) * 1000
    output = _output(step, key, result, ctx)
    log.success(f"{step.name or key} completed in {format_duration(elapsed)}")
    ctx.emit(events.STEP_COMPLETE, step=key, state=output, duration=elapsed)
    return StepResult(output, None, elapsed)


def _run_job(step: Step, state: dict, ctx: RunContext) -> Any:
    if step.job is None:
        return state
    module = step.adaptor.module
    check_configuration(step, state.get("configuration"), getattr(module, "CONFIGURATION_SCHEMA", None))
    try:
        with job_logging(ctx.loggers.job), empty_matches(ctx.options.strict), job_cannot_exit(), \
                step_deadline(ctx.options.timeout_ms, ctx.options.on_stuck):
            operations = load_job(step.job, link(step.adaptor))
            return run_operations(operations, state, module, step.job.path, ctx)
    except RuntimeCrash as error:
        cause = error.__cause__
        if isinstance(cause, NameError) and cause.name:
            from runtime.job_check import name_hint  # only a failed run pays for reading the adaptors

            error.hint = name_hint(cause.name, step.adaptor.name) or error.hint
        raise


def _failed(step: Step, key: str, state: dict, error: PyfnError, elapsed: float,
            ctx: RunContext) -> StepResult:
    log = ctx.log
    log.error(f"{key} aborted with error ({format_duration(elapsed)})")
    log_error(log, error)
    log.error(f"Check state.errors.{step.id} for details")
    errors = state.get("errors") if isinstance(state.get("errors"), dict) else {}
    state["errors"] = {**errors, step.id: ctx.masker.scrub(error.to_state())}
    output = clean_state(state)
    ctx.emit(events.STEP_COMPLETE, step=key, state=output, duration=elapsed, error=error)
    return StepResult(output, error, elapsed)


def learn_secrets(ctx: RunContext, configuration: Any, extra: Any = (), where: str = "the state") -> None:
    """Teach the run's masker a configuration's secrets; warn about one too short to be masked."""
    short = ctx.masker.add_configuration(configuration, extra)
    if short:
        ctx.log.warn(f"WARNING: the configuration of {where} holds a secret shorter than 4 characters "
                     f"({', '.join(short)}): it cannot be masked in logs and outputs; use a longer one")


def _output(step: Step, key: str, result: Any, ctx: RunContext) -> Any:
    if is_null_state(result):
        if step.next:
            ctx.log.warn(f"WARNING: step {key} did not return a state object. "
                         f"This may cause downstream jobs to fail.")
        return None
    return clean_state(result) if isinstance(result, dict) else to_json(result)


def check_configuration(step: Step, configuration: Any, schema: dict | None) -> None:
    """Check a step's configuration against its adaptor's JSON Schema, naming what is wrong."""
    missing = getattr(step.configuration, "missing_secrets", None)
    if missing:
        names = ", ".join(missing)
        raise ConfigurationError(
            f"The configuration of step {step.id} needs the environment variable{'s' if len(missing) > 1 else ''} "
            f"{names}, which {'are' if len(missing) > 1 else 'is'} not set",
            hint=f"Export {missing[0]} before running the step, or give --credentials FILE")
    if not schema:
        return
    problems = schema_problems(configuration, schema)
    if problems:
        raise ConfigurationError(
            f"The configuration of step {step.id} ({step.adaptor.name} adaptor) is invalid: "
            + "; ".join(problems),
            hint=f"Add the missing keys to the step's configuration ('pyfn docs {step.adaptor.name} "
                 f"--schema' shows the configuration schema)")
