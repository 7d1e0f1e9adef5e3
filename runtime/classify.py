"""Turn anything raised by a job or an adaptor into a pyfn error, as OpenFn classifies them.

| raised | becomes | severity |
|---|---|---|
| from adaptor code (the innermost job-or-adaptor frame is in ``adaptors/``) | ``AdaptorError`` | fail |
| ``TypeError``, ``AttributeError``, ``KeyError``, ``IndexError``… in job code | ``RuntimeError`` | fail |
| ``NameError``, ``SyntaxError``, ``ImportError``, or ``severity = "crash"`` | ``RuntimeCrash`` | crash |
| anything else (``raise ValueError("x")``) | ``JobError`` | fail |
"""

from __future__ import annotations

import json
import linecache
import os
import traceback
from typing import Any

import adaptors

from runtime.errors import AdaptorError, JobError, JobRuntimeError, PyfnError, RuntimeCrash

__all__ = ["classify"]

_ADAPTOR_DIR = os.path.dirname(os.path.abspath(adaptors.__file__)) + os.sep
_RUNTIME_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ZeroDivisionError,
                   RecursionError, OverflowError, UnicodeError)
_CRASH_ERRORS = (NameError, SyntaxError, ImportError)


def classify(exc: BaseException, job_path: str, operation: str | None = None,
             line: int | None = None) -> PyfnError:
    """The pyfn error for ``exc``, raised while running operation ``operation`` at ``line``."""
    if isinstance(exc, PyfnError):
        return exc
    origin, frame = _origin(exc, os.path.abspath(job_path))
    context = {"operationName": operation, "line": line, "hint": getattr(exc, "fix", None),
               "where": _where(frame), "code": _code(frame)}
    if isinstance(exc, _CRASH_ERRORS) or getattr(exc, "severity", None) == "crash":
        context["hint"] = context["hint"] or _crash_hint(exc)
        return RuntimeCrash(_typed_message(exc), subtype=type(exc).__name__, pos=_pos(frame),
                            **context)
    if origin == "adaptor":
        context["where"], context["code"] = _in_job(exc, job_path, line)
        return AdaptorError(_message(exc), details=_details(exc), **context)
    if isinstance(exc, _RUNTIME_ERRORS):
        return JobRuntimeError(_typed_message(exc), subtype=type(exc).__name__, pos=_pos(frame),
                               **context)
    return JobError(_message(exc), **context)


def _origin(exc: BaseException, job_path: str) -> tuple[str | None, traceback.FrameSummary | None]:
    """Whether the innermost job-or-adaptor frame of the traceback is the job's or an adaptor's."""
    found: tuple[str | None, traceback.FrameSummary | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        filename = os.path.abspath(frame.filename)
        if filename == job_path:
            found = ("job", frame)
        elif filename.startswith(_ADAPTOR_DIR):
            found = ("adaptor", frame)
    return found


def _in_job(exc: BaseException, job_path: str, line: int | None) -> tuple[str | None, str | None]:
    """Where an adaptor error points in the log: the job's own frame, else its operation's line.

    pyfn's frames are left to ``--log debug`` (the traceback); the user's place is the job.
    """
    path = os.path.abspath(job_path)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == path]
    if frames:
        return _where(frames[-1]), _code(frames[-1])
    text = linecache.getline(path, line).rstrip("\n") if line else ""
    if not text.strip():
        return (f"{job_path}:{line}" if line else None), None
    indent = len(text) - len(text.lstrip())
    return f"{job_path}:{line}:{indent + 1}", f"{text}\n{' ' * indent}{'^' * len(text.strip())}"


def _pos(frame: traceback.FrameSummary | None) -> dict | None:
    if frame is None or frame.lineno is None:
        return None
    column = (frame.colno or 0) + 1
    return {"line": frame.lineno, "column": column}


def _where(frame: traceback.FrameSummary | None) -> str | None:
    if frame is None:
        return None
    return f"{frame.filename}:{frame.lineno}:{(frame.colno or 0) + 1}"


def _code(frame: traceback.FrameSummary | None) -> str | None:
    if frame is None or not frame.line:
        return None
    text = linecache.getline(frame.filename, frame.lineno).rstrip("\n")
    indent = len(text) - len(text.lstrip())
    start = frame.colno if frame.colno is not None else indent
    end = frame.end_colno if frame.end_colno and frame.end_lineno == frame.lineno else start + 1
    return f"{text}\n{' ' * start}{'^' * max(end - start, 1)}"


def _message(exc: BaseException) -> str:
    text = str(exc.args[0]) if len(exc.args) == 1 else str(exc)
    return text or type(exc).__name__


def _typed_message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _crash_hint(exc: BaseException) -> str | None:
    if isinstance(exc, NameError):
        return "Check the spelling; adaptor operations are in scope without imports (pyfn docs ADAPTOR)"
    if isinstance(exc, ImportError):
        return "Install the module in the environment that runs pyfn, or remove the import"
    return None


def _details(exc: BaseException) -> dict[str, Any]:
    """OpenFn's ``AdaptorError.details``: ``{message: error.message, ...the error's own fields}``."""
    details = getattr(exc, "details", None)
    if not isinstance(details, dict):
        details = {k: v for k, v in vars(exc).items() if not k.startswith("_") and k != "fix"}
    return {"message": _message(exc), **{k: v for k, v in details.items() if _jsonable(v)}}


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False
