"""Cursors: remembering where the last run stopped, with natural-language dates."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .console import render
from .references import expand_references

__all__ = ["cursor", "parse_date", "reset_cursor"]

JOB_LOGGER = logging.getLogger("pyfn.job")
_HOURS_AGO = re.compile(r"hours? ago$")
_DAYS_AGO = re.compile(r"days? ago$")
_NUMBER = re.compile(r"\d+")
# As in OpenFn, the cursor key and the start time live for the whole run (module
# state). The runtime calls reset_cursor() when a run begins.
_RUN: dict = {"key": "cursor", "start": None}


def _now() -> datetime:
    """The current local time, aware. Tests replace this to freeze the clock."""
    return datetime.now().astimezone()


def reset_cursor() -> None:
    """Forget the cursor key and start time set by earlier ``cursor`` calls (call once per run)."""
    _RUN.update(key="cursor", start=None)


def _start_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def parse_date(value: Any, start: datetime | None = None) -> Any:
    """Turn a natural-language date into a local, aware ``datetime``.

    ``"start"`` is ``start`` (the time of the run's first ``cursor`` call);
    ``"now"`` and ``"end"`` are now; ``"today"`` and ``"yesterday"`` are the
    start of that day; ``"N hours ago"`` is now minus N hours; ``"N days ago"``
    is the start of the day N days back. Anything else is returned unchanged.

    Args:
        value: the text to read.
        start: the value of ``"start"``.

    Returns:
        A ``datetime``, or ``value`` itself.

    Example:
        fn(lambda state: {**state, "since": util.parse_date("3 days ago").isoformat()})
    """
    if not isinstance(value, str):
        return value
    now = _now()
    fixed = {"start": start, "now": now, "end": now, "today": _start_of_day(now),
             "yesterday": _start_of_day(now - timedelta(days=1))}
    if value in fixed:
        return fixed[value] if fixed[value] is not None else value
    number = _NUMBER.search(value)
    if number and _HOURS_AGO.search(value):
        return now - timedelta(hours=int(number.group(0)))
    if number and _DAYS_AGO.search(value):
        return _start_of_day(now - timedelta(days=int(number.group(0))))
    return value


def iso_string(moment: datetime) -> str:
    """JavaScript's ``toISOString``: UTC with milliseconds, ``2024-03-05T00:00:00.000Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _store(value: Any, formatter: Any, default: Callable[[Any], Any]) -> Any:
    if isinstance(formatter, str) and isinstance(value, datetime):
        from . import date_fns

        return date_fns.format(value, formatter)
    stored = formatter(value) if callable(formatter) else None
    return default(value) if stored is None else stored


def cursor(value: Any, options: dict | None = None, **kwargs: Any) -> Callable[[dict], dict]:
    """Set a cursor on state: where the next run should pick up from.

    ``value`` (or ``default_value`` when ``value`` is ``None``) is stored at
    ``state[key]``. A natural-language date (``now``, ``today``, ``yesterday``,
    ``N hours ago``, ``N days ago``, ``start``, ``end``) is turned into an ISO
    timestamp in UTC (``2024-03-05T00:00:00.000Z``) and logged as
    ``Setting cursor "today" to: 00:00 5 Mar 2024 (GMT+0)`` (the stored text when ``format`` is
    given); any other value is stored as it is and logged as ``Setting cursor to: 22``. The log
    names the key: ``Setting page to: 22``.

    As in OpenFn, the state is updated in place, and ``key`` and the start time
    (used by ``"start"``) persist for the whole run.

    Args:
        value: the cursor value (an ISO date, a natural-language date, a page
            number...); may be lazy.
        options: ``key`` (default ``"cursor"``), ``default_value`` (also
            ``defaultValue``) and ``format``, a function given the ``datetime``
            (or the raw value) that returns what to store. Also accepted as
            keyword arguments. ``key`` and ``default_value`` may be lazy.
        **kwargs: the same options, as keyword arguments.

    Returns:
        The operation.

    Example:
        cursor(lambda state: state.get("cursor"), default_value="today")

    Differences from OpenFn:
        ``format`` may also be a date-fns format string (``"yyyy-MM-dd"``), used
        for dates. A ``datetime`` value is stored as its ISO string, like a
        natural-language date, so state stays JSON (OpenFn stores the ``Date``,
        which its output writes as the same ISO string).
    """
    settings = {**(options or {}), **kwargs}
    formatter = settings.pop("format", None)

    def set_cursor(state: dict) -> dict:
        resolved, opts = expand_references(state, [value, settings])
        if opts.get("key"):
            _RUN["key"] = opts["key"]
        if _RUN["start"] is None:
            _RUN["start"] = _now()
        default = opts.get("default_value", opts.get("defaultValue"))
        current = default if resolved is None else resolved
        moment = parse_date(current, _RUN["start"]) if isinstance(current, str) else current
        if isinstance(moment, datetime):
            from . import date_fns

            key = _RUN["key"]
            state[key] = _store(moment, formatter, iso_string)
            human = state[key] if formatter else date_fns.format(moment, "HH:mm d MMM yyyy (OOO)")
            JOB_LOGGER.info("%s", f'Setting {key} "{current}" to: {human}')
            return state
        state[_RUN["key"]] = _store(current, formatter, lambda same: same)
        JOB_LOGGER.info("%s", render(f"Setting {_RUN['key']} to:", state[_RUN["key"]]))
        return state

    return set_cursor
