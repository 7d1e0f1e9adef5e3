"""Run one job's operations against a state, as OpenFn's ``executeExpression``.

Each operation is wrapped: it is timed, gets a deep copy with ``immutable``,
has an awaitable result awaited, and a ``None`` result becomes an empty state
with a warning naming the operation and its line. Anything it raises is
classified (``runtime.classify``) with the operation's name and line. The
wrapped operations run through the adaptor's own ``execute`` when it has one
(``http`` opens one session per step there), else in order.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any, Callable

from runtime.classify import classify
from runtime.context import RunContext
from runtime.job import Operation
from runtime.logger import format_duration
from runtime.state import clone, is_null_state, null_state

__all__ = ["run_operations"]


def run_operations(operations: list[Operation], state: Any, adaptor: ModuleType, job_path: str,
                   ctx: RunContext) -> Any:
    """Run ``operations`` in order from ``state``; return the last operation's result."""
    wrapped = [_wrap(op, job_path, ctx) for op in operations]
    execute = getattr(adaptor, "execute", None)
    if callable(execute):
        return execute(*wrapped)(state)
    for operation in wrapped:
        state = operation(state)
    return state


def _wrap(op: Operation, job_path: str, ctx: RunContext) -> Callable[[Any], Any]:
    log = ctx.log

    def operation(state: Any) -> Any:
        if ctx.options.immutable:
            state = clone(state)
        log.debug(f"Starting {op.label}")
        started = time.perf_counter()
        try:
            result = op.fn(state)
            if hasattr(result, "__await__"):
                result = _run_awaitable(result)
        except Exception as exc:
            raise classify(exc, job_path, op.name, op.line) from exc
        log.debug(f"{op.label.capitalize()} complete in "
                  f"{format_duration((time.perf_counter() - started) * 1000)}")
        if result is None or is_null_state(result):
            log.warn(f"WARNING: {op.label} did not return a state; the next operation gets {{}}. "
                     f"Did you forget to return state?")
            return null_state()
        return result

    operation.__name__ = op.name
    return operation


def _run_awaitable(awaitable: Any) -> Any:
    """Await an operation's coroutine (``async def`` callbacks), as OpenFn awaits promises."""
    import asyncio  # only jobs with async operations pay for it

    async def wait() -> Any:
        return await awaitable

    return asyncio.run(wait())
