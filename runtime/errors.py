"""The one error tree of pyfn.

Every error carries a ``severity``, as OpenFn's runtime classifies them:

* ``fail``  — recorded in ``state["errors"][step_id]``; the run goes on along the
  edges that match (``on_job_failure``, ``always``);
* ``crash`` — the run aborts: exit code 1, no output file;
* ``kill``  — the run is stopped from outside (timeout, state too large): exit 1.

and a ``hint``: what the user can do about it. ``UsageError`` is the CLI's
"bad arguments" (exit code 2).

```
PyfnError
├── fail:  JobError · JobRuntimeError ("RuntimeError") · AdaptorError
├── crash: CompileError · RuntimeCrash · InvalidOperationError
│          ConfigurationError · SerializationError · ValidationError · EdgeConditionError
├── kill:  StepTimeoutError ("TimeoutError") · StateTooLargeError
└── UsageError (crash, exit code 2) · AdaptorNotFound
```

Only the CLI edge prints errors (see ``runtime.report``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "PyfnError",
    "JobError",
    "JobRuntimeError",
    "AdaptorError",
    "CompileError",
    "RuntimeCrash",
    "InvalidOperationError",
    "AdaptorNotFound",
    "ConfigurationError",
    "SerializationError",
    "ValidationError",
    "EdgeConditionError",
    "StepTimeoutError",
    "StateTooLargeError",
    "UsageError",
]


class PyfnError(Exception):
    """Base of every pyfn error: a message, a severity and a hint."""

    severity = "crash"
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, where: str | None = None,
                 code: str | None = None, **fields: Any):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where  # "path:line:column", for the log only
        self.code = code  # the source line with a caret under the column, for the log only
        self.fields = fields

    @property
    def name(self) -> str:
        """The error's name as OpenFn writes it in ``state.errors``."""
        return type(self).__name__

    def to_state(self) -> dict:
        """The JSON-safe record written to ``state["errors"][step_id]``."""
        record = {"source": "runtime", "name": self.name, "severity": self.severity,
                  "message": self.message}
        record.update({k: v for k, v in self.fields.items() if v is not None})
        return record


class JobError(PyfnError):
    """An exception raised by job code (``raise ValueError("x")``)."""

    severity = "fail"


class JobRuntimeError(PyfnError):
    """A programming error in job code (TypeError, KeyError…): OpenFn's ``RuntimeError``."""

    severity = "fail"

    @property
    def name(self) -> str:
        return "RuntimeError"


class AdaptorError(PyfnError):
    """An exception raised from adaptor code (an HTTP 404, a bad argument to ``each``)."""

    severity = "fail"


class CompileError(PyfnError):
    """The job source cannot be compiled (syntax error, misuse of ``state``)."""


class RuntimeCrash(PyfnError):
    """An error that makes the job meaningless to continue (NameError, ImportError…)."""


class InvalidOperationError(PyfnError):
    """A top-level call of a job did not produce an operation."""


class ConfigurationError(PyfnError):
    """A step's configuration does not match its adaptor's schema."""


class SerializationError(PyfnError):
    """A value in the final state cannot be written as JSON."""


class ValidationError(PyfnError):
    """A workflow or plan is invalid; ``problems`` lists every problem found."""

    def __init__(self, message: str, problems: list[str] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.problems = problems or [message]


class EdgeConditionError(PyfnError):
    """An edge condition raised while it was evaluated."""


class StepTimeoutError(PyfnError):
    """A step ran longer than its timeout: OpenFn's ``TimeoutError``."""

    severity = "kill"

    @property
    def name(self) -> str:
        return "TimeoutError"


class StateTooLargeError(PyfnError):
    """The state grew past the size limit."""

    severity = "kill"


class UsageError(PyfnError):
    """Bad input to a command: a missing file, unreadable state, unknown adaptor."""

    exit_code = 2


class AdaptorNotFound(UsageError):
    """An adaptor name that pyfn does not know."""

    @property
    def name(self) -> str:
        return "ImportError"
