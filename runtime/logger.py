"""Logs as OpenFn prints them: ``[R/T] ✔ fetch completed in 12ms``.

A :class:`Logger` has a namespace (``CLI``, ``CMP``, ``R/T``, ``JOB``) and a
level (``debug`` < ``info`` < ``default`` < ``none``); errors always print.
All loggers of a run share one :class:`LogSink`, which writes text or JSON
lines and masks every secret (see ``runtime.secrets``) as ``****`` before
anything leaves the process.
"""

from __future__ import annotations

import atexit
import json
import logging
import sys
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator, TextIO

from runtime.secrets import Masker

__all__ = ["Logger", "Loggers", "LogSink", "Masker", "create_loggers", "parse_log_spec", "format_duration",
           "job_logging"]

LEVELS = {"debug": 0, "info": 1, "default": 2, "none": 9}
_PRIORITY = {"debug": 0, "info": 1, "success": 2, "warn": 2, "always": 2, "error": 100}
_ICONS = {"debug": "❯", "info": "ℹ", "success": "✔", "warn": "⚠", "always": "♦", "error": "✘"}
COMPONENTS = {"cli": "CLI", "compiler": "CMP", "cmp": "CMP", "runtime": "R/T", "rt": "R/T",
              "r/t": "R/T", "job": "JOB"}


def format_duration(ms: float) -> str:
    """``123ms``, ``1.234s`` or ``2m 3.5s``, as OpenFn prints durations."""
    ms = int(round(ms))
    if ms < 1000:
        return f"{ms}ms"
    seconds = round(ms / 1000, 3)
    if seconds < 60:
        return f"{seconds:g}s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m {round(rest, 3):g}s"


class LogSink:
    """Where every logger of a run writes: one stream, text or JSON lines.

    Each line is flushed as it is written, unless ``flush_within_s`` is given: then lines are
    flushed together by a thread of the sink's, at most that long after the first of them was
    written (an error line at once, and those still waiting when the process exits), so a busy
    server writes its log in a few system calls a second instead of one per line, and a reader of
    the file still sees each line soon.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> sink = LogSink(out, flush_within_s=0.05)
        >>> sink.write("SRV", "success", ("delivered",))  # written within 50 ms, or with an error line
        >>> sink.write("SRV", "error", ("could not store",))
        >>> out.getvalue()
        '[SRV] ✔ delivered\\n[SRV] ✘ could not store\\n'
    """

    def __init__(self, stream: TextIO | None = None, json_lines: bool = False,
                 masker: Masker | None = None, flush_within_s: float | None = None):
        self.stream = stream or sys.stdout
        self.json_lines = json_lines
        self.masker = masker or Masker()
        self._lock = threading.Lock()
        self.flush_within_s = flush_within_s
        self._pending: list[str] = []  # lines not yet written (with flush_within_s), under _pending_lock
        self._pending_lock = threading.Lock()
        self._unflushed = threading.Event()
        if flush_within_s is not None:
            threading.Thread(target=self._flush_soon, name="pyfn-log-flush", daemon=True).start()
            atexit.register(self._write_pending)  # the last lines of a process that exits

    def write(self, namespace: str, level: str, args: tuple) -> None:
        if self.json_lines:
            message = [self._json_arg(a) for a in args]
            line = json.dumps({"level": level, "name": namespace, "message": message,
                               "time": str(time.time_ns())}, ensure_ascii=False)
        else:
            text = " ".join(self.masker.render(a) for a in args)
            line = f"[{namespace}] {_ICONS[level]} {text}"
        self._put(line + "\n", at_once=level == "error")

    def _put(self, text: str, at_once: bool = False) -> None:
        if self.flush_within_s is None:
            with self._lock:
                self.stream.write(text)
                self.stream.flush()
            return
        with self._pending_lock:  # held for an append: a writer never waits for the file
            self._pending.append(text)
            first = len(self._pending) == 1
        if at_once:
            self._write_pending()
        elif first:
            self._unflushed.set()

    def flush(self) -> None:
        """Write the lines still waiting (with ``flush_within_s``) now."""
        self._write_pending()

    def _write_pending(self) -> None:
        """Write and flush the pending lines, in order (one writer of the stream at a time)."""
        with self._lock:
            with self._pending_lock:
                lines, self._pending = self._pending, []
            if lines:
                self.stream.write("".join(lines))
                self.stream.flush()

    def _flush_soon(self) -> None:
        """The flushing thread: waits for a line, lets the others of ``flush_within_s`` join it, writes them."""
        while True:
            self._unflushed.wait()
            time.sleep(self.flush_within_s)
            self._unflushed.clear()
            try:
                self._write_pending()
            except (OSError, ValueError):  # closed or gone: nothing left to show
                return

    def _json_arg(self, value: Any) -> Any:
        rendered = self.masker.render(value)
        if isinstance(value, str):
            return rendered
        try:
            return json.loads(rendered)
        except ValueError:
            return rendered

    def blank(self) -> None:
        self._put("\n")


class Logger:
    """One namespace's logger: ``logger.success("State written to output.json")``."""

    def __init__(self, namespace: str, level: str, sink: LogSink):
        self.namespace = namespace
        self.level = level
        self.sink = sink

    def enabled(self, kind: str) -> bool:
        return _PRIORITY[kind] >= LEVELS[self.level]

    def _log(self, kind: str, args: tuple) -> None:
        if self.enabled(kind):
            self.sink.write(self.namespace, kind, args)

    def debug(self, *args: Any) -> None:
        self._log("debug", args)

    def info(self, *args: Any) -> None:
        self._log("info", args)

    def success(self, *args: Any) -> None:
        self._log("success", args)

    def warn(self, *args: Any) -> None:
        self._log("warn", args)

    def always(self, *args: Any) -> None:
        self._log("always", args)

    def error(self, *args: Any) -> None:
        self._log("error", args)

    def blank(self) -> None:
        if LEVELS[self.level] < LEVELS["none"]:
            self.sink.blank()


def parse_log_spec(spec: str | None) -> dict[str, str]:
    """``"debug,job=none"`` → a level per namespace (``CLI``, ``CMP``, ``R/T``, ``JOB``).

    The default is ``default`` everywhere except the job, whose ``print`` and
    ``log`` always show (``debug``) unless the level is ``none``.
    """
    levels = {"CLI": "default", "CMP": "default", "R/T": "default", "JOB": "debug"}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        name, _, level = part.rpartition("=")
        if level not in LEVELS:
            raise ValueError(f"unknown log level '{level}' (use one of: {', '.join(LEVELS)})")
        if not name:
            levels = {ns: level for ns in levels}
            if level != "none":
                levels["JOB"] = "debug"
            continue
        if name.lower() not in COMPONENTS:
            raise ValueError(f"unknown log component '{name}' (use cli, compiler, runtime or job)")
        levels[COMPONENTS[name.lower()]] = level
    return levels


@dataclass(frozen=True)
class Loggers:
    """The loggers of a run, one per namespace, sharing one sink: ``loggers.runtime.success(...)``.

    ``cli`` is ``[CLI]``, ``compiler`` ``[CMP]``, ``runtime`` ``[R/T]`` and ``job`` ``[JOB]``.
    """

    cli: Logger
    compiler: Logger
    runtime: Logger
    job: Logger

    @property
    def masker(self) -> Masker:
        """The masker of the sink they share."""
        return self.runtime.sink.masker


def create_loggers(spec: str | None = None, sink: LogSink | None = None) -> Loggers:
    """One logger per namespace sharing ``sink``, levels from a ``--log`` spec.

    Example:
        >>> loggers = create_loggers("info,job=none")
        >>> loggers.runtime.namespace, loggers.runtime.level, loggers.job.level
        ('R/T', 'info', 'none')
    """
    sink = sink or LogSink()
    levels = parse_log_spec(spec)
    return Loggers(*(Logger(ns, levels[ns], sink) for ns in ("CLI", "CMP", "R/T", "JOB")))


# -- the bridge from the standard library's ``logging`` (used by adaptors and ``print``) --

_job_logger: ContextVar[Logger | None] = ContextVar("pyfn_job_logger", default=None)
_fallback: list[Logger] = []
_KINDS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn"}
_BRIDGED = ("pyfn.job", "pyfn.adaptor.")  # what a job and its adaptors log; not pyfn's servers


class _Bridge(logging.Handler):
    """Sends ``pyfn.job`` and ``pyfn.adaptor.*`` records to the running job's ``[JOB]`` logger."""

    def emit(self, record: logging.LogRecord) -> None:
        logger = _job_logger.get() or (_fallback[-1] if _fallback else None)
        if logger is None or not record.name.startswith(_BRIDGED):
            return
        kind = _KINDS.get(record.levelno, "error" if record.levelno > logging.WARNING else "debug")
        logger._log(kind, (record.getMessage(),))


_bridge = _Bridge()


@contextmanager
def job_logging(logger: Logger) -> Iterator[None]:
    """While the block runs, adaptor and job log lines go to ``logger``."""
    root = logging.getLogger("pyfn")
    if _bridge not in root.handlers:
        root.addHandler(_bridge)
        root.setLevel(logging.DEBUG)
        root.propagate = False
    token = _job_logger.set(logger)
    _fallback.append(logger)
    try:
        yield
    finally:
        _fallback.remove(logger)
        _job_logger.reset(token)
