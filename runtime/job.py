"""Load a compiled job: run its module code once, then build its operations.

The job's namespace holds its adaptor's operations (see ``runtime.linker``)
and a ``print`` that writes under ``[JOB]``; an operation named like a builtin
(``map``) is bound where the compiler put it (``__pyfn_op_map``), so the job's
own code keeps Python's builtin. Each operation keeps its name and
line so a failure can say "operation 2, ``post`` at line 7".
"""

from __future__ import annotations

import builtins
import logging
from dataclasses import dataclass
from types import CodeType
from typing import Any, Callable

from runtime.classify import classify
from runtime.compiler import OPERATION_PREFIX, CompiledJob, shadowing_builtins
from runtime.errors import InvalidOperationError

__all__ = ["Operation", "load_job"]

_job_log = logging.getLogger("pyfn.job")


@dataclass(frozen=True)
class Operation:
    """A runnable operation of a job: ``fn(state) -> state`` with where it came from."""

    name: str
    line: int
    order: int
    fn: Callable[[Any], Any]

    @property
    def label(self) -> str:
        return f"operation {self.order + 1} ({self.name} at line {self.line})"


def job_print(*args: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None,
              flush: bool = False) -> None:
    """``print`` inside a job: the text appears under ``[JOB]``."""
    if file is not None:
        builtins.print(*args, sep=sep, end=end, file=file, flush=flush)
        return
    _job_log.info((sep if sep is not None else " ").join(str(a) for a in args))


def load_job(job: CompiledJob, namespace: dict[str, Any]) -> list[Operation]:
    """Run the job's module code in ``namespace`` and build its operations, in order.

    Errors raised while loading are classified like any job error (a NameError
    crashes, an exception from an adaptor fails the step); a top-level call
    that does not produce a callable is an :class:`InvalidOperationError`.
    """
    scope = {"__name__": "__pyfn_job__", "__file__": job.path, "__builtins__": builtins,
             "print": job_print, **namespace}
    for name in shadowing_builtins(namespace):  # the builtin in the job's code, the operation where used as one
        scope[OPERATION_PREFIX + name] = scope.pop(name)
    try:
        exec(job.module_code, scope)
    except Exception as exc:
        raise classify(exc, job.path) from exc
    return [_build(spec, code, job.path, scope) for spec, code in zip(job.operations, job.operation_codes)]


def _build(spec, code: CodeType, path: str, scope: dict[str, Any]) -> Operation:
    try:
        value = eval(code, scope)
    except Exception as exc:
        raise classify(exc, path, spec.name, spec.line) from exc
    if not callable(value):
        hint = "Top-level calls must build operations, e.g. fn(...), each(...), get(...)"
        if spec.name == "print":
            hint = "print(...) at the top level is not an operation: use log(...) or fn(...)"
        raise InvalidOperationError(
            f"Invalid operation at line {spec.line}: {spec.name}(...) returned "
            f"{type(value).__name__}, not an operation ({path}:{spec.line})",
            hint=hint, line=spec.line, operationName=spec.name)
    return Operation(spec.name, spec.line, spec.order, value)
