"""The one place that formats an error for the log: message, code, hint, details."""

from __future__ import annotations

import traceback

from runtime.errors import PyfnError
from runtime.logger import Logger

__all__ = ["log_error"]


def log_error(log: Logger, error: PyfnError) -> None:
    """Log ``error`` OpenFn's way; with ``--log debug`` add the original traceback."""
    log.error(error.message)
    problems = getattr(error, "problems", None)
    if problems and problems != [error.message]:
        for problem in problems:
            log.error(problem)
    if error.where:
        log.error(f"at {error.where}")
    if error.code:
        log.error(error.code)
    if error.hint:
        log.error(f"Hint: {error.hint}")
    details = error.fields.get("details")
    if details:
        log.error("Additional error details:")
        log.error(details)
    cause = error.__cause__
    if cause is not None and log.enabled("debug"):
        text = "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
        log.debug(text.rstrip())
