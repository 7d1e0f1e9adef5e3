"""Five-field cron expressions: parse one, and find the fire times around a moment.

``minute hour day-of-month month day-of-week``, as Vixie cron and Lightning
read them: ``*``, values, ranges (``1-5``), lists (``1,15``), steps (``*/15``,
``10-50/20``, ``5/15``), month and weekday names (``jan``, ``mon-fri``; ``0``
and ``7`` are Sunday) and the macros ``@yearly`` (``@annually``),
``@monthly``, ``@weekly``, ``@daily`` (``@midnight``) and ``@hourly``. When
both the day of the month and the day of the week are restricted, a day
matching either one fires (cron's rule). Times are wall-clock times in the
schedule's ``timezone`` (an IANA name, ``UTC`` by default); a time that does
not exist on the day the clocks go forward is skipped, and one that happens
twice when they go back fires once.

Example:
    >>> import datetime as dt
    >>> nightly = CronSchedule.parse("0 2 * * *")
    >>> nightly.next_after(dt.datetime(2024, 5, 2, 2, 0, tzinfo=dt.timezone.utc)).isoformat()
    '2024-05-03T02:00:00+00:00'
    >>> nightly.latest_at_or_before(dt.datetime(2024, 5, 2, 1, 59, tzinfo=dt.timezone.utc)).isoformat()
    '2024-05-01T02:00:00+00:00'
    >>> CronSchedule.parse("*/15 9-17 * * mon-fri", "Africa/Nairobi").describe()
    '*/15 9-17 * * mon-fri (Africa/Nairobi)'
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["CronSchedule", "CronError"]

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
MONTHS = {name: n for n, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
WEEKDAYS = {name: n for n, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (name, lowest, highest, names)
FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, MONTHS),
          ("day of week", 0, 7, WEEKDAYS))
_SEARCH_DAYS = 366 * 5  # far enough for 29 February and any weekday


class CronError(ValueError):
    """A cron expression or timezone that cannot be read; the message says which part and why.

    Example:
        >>> CronSchedule.parse("0 25 * * *")
        Traceback (most recent call last):
        ...
        runtime.workflow.cron.CronError: hour: 25 is out of range 0-23
    """


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression in a timezone (see the module docstring)."""

    expression: str
    timezone: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # day of month is '*'
    any_weekday: bool  # day of week is '*'

    @classmethod
    def parse(cls, expression: str, timezone: str = "UTC") -> "CronSchedule":
        """Parse ``expression``; raise :class:`CronError` naming the field at fault.

        Example:
            >>> sorted(CronSchedule.parse("0 0 1,15 * *").days)
            [1, 15]
        """
        if not isinstance(expression, str) or not expression.strip():
            raise CronError("the schedule must be five fields: minute hour day-of-month month day-of-week")
        text = MACROS.get(expression.strip().lower(), expression.strip())
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"{expression!r} has {len(parts)} field(s); a schedule has five: "
                            f"minute hour day-of-month month day-of-week (e.g. \"0 2 * * *\")")
        zone = _zone(timezone)
        values = [_field(part, *spec) for part, spec in zip(parts, FIELDS)]
        weekdays = frozenset(0 if day == 7 else day for day in values[4])
        return cls(expression.strip(), zone.key, *values[:4], weekdays, parts[2] == "*", parts[4] == "*")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        return f"{self.expression} ({self.timezone})"

    def next_after(self, moment: _dt.datetime) -> _dt.datetime:
        """The first fire time strictly after ``moment`` (an aware datetime), in UTC (see the module example)."""
        local = _minute(moment.astimezone(self.zone)) + _dt.timedelta(minutes=1)
        return self._search(local, moment, forward=True)

    def latest_at_or_before(self, moment: _dt.datetime) -> _dt.datetime:
        """The last fire time at or before ``moment``, in UTC (see the module example)."""
        return self._search(_minute(moment.astimezone(self.zone)), moment, forward=False)

    def fire_times(self, after: _dt.datetime, until: _dt.datetime, limit: int = 1000) -> list[_dt.datetime]:
        """The fire times in ``(after, until]``, at most ``limit`` of them.

        Example:
            >>> import datetime as dt
            >>> start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
            >>> [t.strftime("%H:%M") for t in CronSchedule.parse("*/20 * * * *").fire_times(
            ...     start, start + dt.timedelta(hours=1))]
            ['00:20', '00:40', '01:00']
        """
        found: list[_dt.datetime] = []
        moment = after
        while len(found) < limit:
            moment = self.next_after(moment)
            if moment > until:
                break
            found.append(moment)
        return found

    def _day_matches(self, day: _dt.date) -> bool:
        if day.month not in self.months:
            return False
        in_month, in_week = day.day in self.days, (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def _search(self, local: _dt.datetime, moment: _dt.datetime, forward: bool) -> _dt.datetime:
        """Walk day by day from ``local`` (naive wall time), then through that day's hours and minutes."""
        step = 1 if forward else -1
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for at in self._times_of(day, local if day == local.date() else None, forward):
                    found = _exists(at, self.zone)
                    if found is not None and (found > moment if forward else found <= moment):
                        return found
            day += _dt.timedelta(days=step)
        raise CronError(f"{self.expression!r} never fires (no such date within five years)")

    def _times_of(self, day: _dt.date, bound: _dt.datetime | None, forward: bool):
        hours = sorted(self.hours, reverse=not forward)
        minutes = sorted(self.minutes, reverse=not forward)
        for hour in hours:
            for minute in minutes:
                at = _dt.datetime(day.year, day.month, day.day, hour, minute)
                if bound is None or (at >= bound if forward else at <= bound):
                    yield at


def _minute(moment: _dt.datetime) -> _dt.datetime:
    """The naive wall time of ``moment``, to the minute."""
    return moment.replace(second=0, microsecond=0, tzinfo=None)


def _exists(local: _dt.datetime, zone: ZoneInfo) -> _dt.datetime | None:
    """``local`` wall time in ``zone`` as UTC, or ``None`` if the clocks skip it (first of two when repeated)."""
    aware = local.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(_dt.timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return utc


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CronError(f"timezone must be an IANA name such as UTC or Africa/Nairobi, not {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown timezone {name!r} (an IANA name such as UTC, Africa/Nairobi, "
                        f"America/New_York)") from None


def _field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values |= _item(item, name, low, high, names)
    return frozenset(values)


def _item(item: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """One list item: ``*``, ``n``, ``a-b``, each optionally ``/step``."""
    body, _, step_text = item.partition("/")
    step = _number(step_text, name, names={}) if step_text else 1
    if step_text and step < 1:
        raise CronError(f"{name}: the step of {item!r} must be at least 1")
    if body == "*":
        first, last = low, high
    elif "-" in body:
        start, _, end = body.partition("-")
        first, last = _number(start, name, names), _number(end, name, names)
    else:
        first = _number(body, name, names)
        last = high if step_text else first  # '5/15' means 5-max/15
    for value in (first, last):
        if not low <= value <= high:
            raise CronError(f"{name}: {value} is out of range {low}-{high}")
    if first > last:
        raise CronError(f"{name}: the range {body!r} goes backwards")
    return set(range(first, last + 1, step))


def _number(text: str, name: str, names: dict[str, int]) -> int:
    text = text.strip().lower()
    if text in names:
        return names[text]
    if not text.isdigit():
        known = f" or a name ({', '.join(names)})" if names else ""
        raise CronError(f"{name}: {text!r} is not a number{known}")
    return int(text)
