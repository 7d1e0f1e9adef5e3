"""Five-field cron: parsing (ranges, steps, lists, names, macros), fire times, timezones and DST."""

from __future__ import annotations

import datetime as dt

import pytest

from runtime.workflow.cron import CronError, CronSchedule

UTC = dt.timezone.utc


def at(*parts, tz=UTC):
    return dt.datetime(*parts, tzinfo=tz)


def stamps(times):
    return [t.strftime("%Y-%m-%d %H:%M") for t in times]


@pytest.mark.parametrize("expression, field, values", [
    ("*/15 * * * *", "minutes", [0, 15, 30, 45]),
    ("10-50/20 * * * *", "minutes", [10, 30, 50]),
    ("5/20 * * * *", "minutes", [5, 25, 45]),
    ("0 1,13,22 * * *", "hours", [1, 13, 22]),
    ("0 0 * jan,jul-sep *", "months", [1, 7, 8, 9]),
    ("0 0 * * mon-fri", "weekdays", [1, 2, 3, 4, 5]),
    ("0 0 * * 7", "weekdays", [0]),
    ("0 0 * * SUN,sat", "weekdays", [0, 6]),
    ("@hourly", "minutes", [0]),
])
def test_fields(expression, field, values):
    assert sorted(getattr(CronSchedule.parse(expression), field)) == values


@pytest.mark.parametrize("expression, message", [
    ("0 2 * *", "has 4 field(s); a schedule has five"),
    ("0 24 * * *", "hour: 24 is out of range 0-23"),
    ("60 * * * *", "minute: 60 is out of range 0-59"),
    ("0 0 0 * *", "day of month: 0 is out of range 1-31"),
    ("0 0 * foo *", "month: 'foo' is not a number or a name (jan, feb"),
    ("0 0 * * mon-", "day of week: '' is not a number"),
    ("*/0 * * * *", "minute: the step of '*/0' must be at least 1"),
    ("0 5-1 * * *", "hour: the range '5-1' goes backwards"),
    ("0 0 31 2 *", "never fires"),
    ("", "the schedule must be five fields"),
    ("0 2 * * * *", "has 6 field(s)"),
])
def test_mistakes_name_the_field(expression, message):
    with pytest.raises(CronError, match=None) as caught:
        CronSchedule.parse(expression).next_after(at(2024, 1, 1))
    assert message in str(caught.value)


def test_unknown_timezone():
    with pytest.raises(CronError, match="unknown timezone 'Mars/Olympus'"):
        CronSchedule.parse("0 2 * * *", "Mars/Olympus")


def test_next_and_latest_fire_times():
    nightly = CronSchedule.parse("0 2 * * *")
    assert nightly.next_after(at(2024, 5, 2, 1, 59, 59)) == at(2024, 5, 2, 2, 0)
    assert nightly.next_after(at(2024, 5, 2, 2, 0)) == at(2024, 5, 3, 2, 0), "strictly after"
    assert nightly.latest_at_or_before(at(2024, 5, 2, 2, 0)) == at(2024, 5, 2, 2, 0), "at or before"
    assert nightly.latest_at_or_before(at(2024, 1, 1, 1, 0)) == at(2023, 12, 31, 2, 0)
    quarter = CronSchedule.parse("*/15 9-10 * * mon-fri")
    assert stamps(quarter.fire_times(at(2024, 5, 3, 10, 40), at(2024, 5, 6, 9, 20))) == [
        "2024-05-03 10:45", "2024-05-06 09:00", "2024-05-06 09:15"]  # Friday, then Monday


def test_day_of_month_or_day_of_week_when_both_are_restricted():
    either = CronSchedule.parse("0 0 13 * fri")
    assert stamps(either.fire_times(at(2024, 9, 1), at(2024, 9, 14))) == [
        "2024-09-06 00:00", "2024-09-13 00:00"]  # a Friday, and the 13th (also a Friday)
    leap = CronSchedule.parse("0 0 29 2 *")
    assert leap.next_after(at(2024, 3, 1)) == at(2028, 2, 29)
    assert CronSchedule.parse("@monthly").next_after(at(2024, 1, 31, 12)) == at(2024, 2, 1)


def test_timezones_and_daylight_saving():
    nairobi = CronSchedule.parse("0 2 * * *", "Africa/Nairobi")  # UTC+3, no DST
    assert nairobi.next_after(at(2024, 5, 1, 12)) == at(2024, 5, 1, 23, 0)
    berlin = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    # 2024-03-31 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00): skipped
    assert berlin.next_after(at(2024, 3, 30, 12)) == at(2024, 4, 1, 0, 30)
    # 2024-10-27 02:30 happens twice (clocks go back): it fires once, the first time
    assert stamps(berlin.fire_times(at(2024, 10, 26, 12), at(2024, 10, 28, 12))) == [
        "2024-10-27 00:30", "2024-10-28 01:30"]
    assert berlin.describe() == "30 2 * * * (Europe/Berlin)"
