"""Run a job or a workflow in-process and assert on the result: the kit behind the pytest fixtures.

Usable without pytest::

    from runtime.testing import run_job
    result = run_job("jobs/register.py", state={"data": {...}}, adaptor="http")
    result.assert_ok()
    result.assert_data({"id": 7})
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from runtime import defaults
from runtime.context import RunContext, RunOptions
from runtime.errors import PyfnError
from runtime.logger import LogSink, Masker, create_loggers
from runtime.state import step_errors
from runtime.state_file import serialize_output

__all__ = ["RunResult", "run_job", "run_workflow"]


@dataclass
class RunResult:
    """What a run left: the final ``state``, its ``errors``, the ``logs``, and the ``requests`` it sent.

    ``crash`` holds the error that aborted the run (a crash or a timeout), in
    which case ``state`` is ``None``, as the CLI writes no output.
    """

    state: Any
    logs: list[str] = field(default_factory=list)
    crash: PyfnError | None = None
    requests: list = field(default_factory=list)

    @property
    def errors(self) -> dict:
        """``state["errors"]``, merged across leaves when the workflow ended in several."""
        return step_errors(self.state)

    @property
    def data(self) -> Any:
        return self.state.get("data") if isinstance(self.state, dict) else None

    @property
    def output(self) -> str:
        """The output file's text, as ``pyfn execute`` would write it."""
        return serialize_output(self.state)

    def assert_ok(self) -> "RunResult":
        """Fail unless the run completed with no error recorded in any step."""
        __tracebackhide__ = True
        if self.crash is not None:
            raise AssertionError(f"the run aborted: {self.crash.message}\n{self._log_tail()}")
        if self.errors:
            listed = "; ".join(f"{step}: {e.get('message')}" for step, e in self.errors.items())
            raise AssertionError(f"steps recorded errors: {listed}\n{self._log_tail()}")
        return self

    def assert_failed(self, step: str = "job-1", message: str | None = None) -> dict:
        """Fail unless ``step`` recorded an error (containing ``message``); return the error."""
        __tracebackhide__ = True
        if self.crash is not None:
            raise AssertionError(f"the run aborted instead of failing a step: {self.crash.message}")
        if step not in self.errors:
            raise AssertionError(f"step {step!r} recorded no error (errors: {sorted(self.errors) or 'none'})")
        error = self.errors[step]
        if message is not None and message not in str(error.get("message")):
            raise AssertionError(f"step {step!r} failed with {error.get('message')!r}, "
                                 f"which does not contain {message!r}")
        return error

    def assert_crashed(self, message: str | None = None) -> PyfnError:
        """Fail unless the run aborted (crash or timeout) with ``message`` in its error."""
        __tracebackhide__ = True
        if self.crash is None:
            raise AssertionError("the run did not abort")
        if message is not None and message not in self.crash.message:
            raise AssertionError(f"the run aborted with {self.crash.message!r}, not {message!r}")
        return self.crash

    def assert_data(self, expected: Any = None, **subset: Any) -> "RunResult":
        """``assert_data(x)``: ``state["data"] == x``; ``assert_data(id=7)``: those keys match."""
        __tracebackhide__ = True
        self.assert_ok()
        if expected is not None and self.data != expected:
            raise AssertionError(f"state['data'] is {self.data!r}, expected {expected!r}")
        for key, value in subset.items():
            actual = (self.data or {}).get(key, "<missing>")
            if actual != value:
                raise AssertionError(f"state['data'][{key!r}] is {actual!r}, expected {value!r}")
        return self

    def _log_tail(self, lines: int = 15) -> str:
        return "log (last lines):\n  " + "\n  ".join(self.logs[-lines:])


def run_job(path: str | Path, state: dict | None = None, adaptor: str = "common", *,
            timeout_ms: int = defaults.STEP_TIMEOUT_MS, immutable: bool = False, log: str = "debug") -> RunResult:
    """Compile and run the job at ``path`` on ``state``, as ``pyfn execute`` does.

    Example:
        result = run_job("jobs/hello.py", {"data": {"patients": []}})
        result.assert_ok()
    """
    from runtime.plan import load_plan

    return _run(load_plan(path, adaptor), state, RunOptions(timeout_ms, immutable), log)


def run_workflow(path: str | Path, state: dict | None = None,
                 credentials: str | Path | Mapping[str, Any] | None = None, *,
                 start: str | None = None, end: str | None = None, timeout_ms: int = defaults.STEP_TIMEOUT_MS,
                 log: str = "debug") -> RunResult:
    """Validate and run the workflow at ``path`` on ``state``, as ``pyfn execute WORKFLOW`` does.

    ``credentials`` replaces the workflow's credential map: a file (JSON/YAML), or a mapping
    ``{name: configuration}``.

    Example:
        result = run_workflow("workflows/branching.yaml", {"data": {"patients": [...]}})
        result.assert_failed("check")
        result = run_workflow("workflows/sync.yaml", credentials={"crm": {"baseUrl": http_api.url}})
    """
    from runtime.plan import find_step
    from runtime.workflow.load import load_workflow

    override = dict(credentials) if isinstance(credentials, Mapping) else Path(credentials) if credentials else None
    plan = load_workflow(Path(path), override)
    options = RunOptions(timeout_ms, start=start and find_step(plan, start),
                         end=end and find_step(plan, end))
    return _run(plan, state, options, log)


def _run(plan, state: dict | None, options: RunOptions, log: str) -> RunResult:
    from runtime.execute import execute_plan

    stream, masker = io.StringIO(), Masker()
    masker.add_configuration((state or {}).get("configuration"))
    ctx = RunContext(options, create_loggers(log, LogSink(stream, masker=masker)))
    try:
        final, crash = execute_plan(plan, state, ctx), None
    except PyfnError as error:
        final, crash = None, error
    if crash is None and final is not None:
        final = _without_configuration(final)
    return RunResult(final, stream.getvalue().splitlines(), crash)


def _without_configuration(result: Any) -> Any:
    if isinstance(result, dict) and ("configuration" in result or "data" in result):
        return {k: v for k, v in result.items() if k != "configuration"}
    return result
