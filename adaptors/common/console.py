"""What a job asks to print: ``log`` and ``debug``, through the ``pyfn.job`` logger."""

from __future__ import annotations

import logging
from typing import Any, Callable

from .references import expand_references

__all__ = ["debug", "log", "render"]

JOB_LOGGER = logging.getLogger("pyfn.job")


def render(*args: Any) -> str:
    """Join values into one log line: strings as they are, anything else as 2-space JSON."""
    return " ".join(arg if isinstance(arg, str) else _as_json(arg) for arg in args)


def _as_json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _logger_op(level: int, args: tuple) -> Callable[[dict], dict]:
    def operation(state: dict) -> dict:
        values = expand_references(state, list(args))
        if JOB_LOGGER.isEnabledFor(level):
            JOB_LOGGER.log(level, "%s", render(*values))
        return state

    return operation


def log(*args: Any) -> Callable[[dict], dict]:
    """Print values to the job log (info level), then pass state on unchanged.

    Each argument is resolved first, so lazy values print what they point at.
    Strings print as they are; anything else prints as 2-space JSON.

    Args:
        *args: the values to print; any may be lazy.

    Returns:
        An operation that logs and returns the state it was given.

    Example:
        log("patients:", data_value("patients"))
    """
    return _logger_op(logging.INFO, args)


def debug(*args: Any) -> Callable[[dict], dict]:
    """Print values to the job log at debug level, then pass state on unchanged.

    Works like ``log``; the lines show only when the log level is ``debug``.

    Args:
        *args: the values to print; any may be lazy.

    Returns:
        An operation that logs and returns the state it was given.

    Example:
        debug("full state:", lambda state: state)
    """
    return _logger_op(logging.DEBUG, args)
