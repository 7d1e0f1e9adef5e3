"""cursor and util.parse_date, with a frozen clock (2024-03-05 14:07:09.123 at UTC+2)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from adaptors.common import cursor, util
from adaptors.common import cursors


@pytest.mark.parametrize("keyword, expected", [
    ("now", "2024-03-05T12:07:09.123Z"),
    ("end", "2024-03-05T12:07:09.123Z"),
    ("today", "2024-03-04T22:00:00.000Z"),
    ("yesterday", "2024-03-03T22:00:00.000Z"),
    ("3 hours ago", "2024-03-05T09:07:09.123Z"),
    ("1 hour ago", "2024-03-05T11:07:09.123Z"),
    ("2 days ago", "2024-03-02T22:00:00.000Z"),
    ("1 day ago", "2024-03-03T22:00:00.000Z"),
])
def test_natural_language_keywords(frozen_clock, keyword, expected):
    state = {"data": 1}
    result = cursor(keyword)(state)
    assert result["cursor"] == expected
    assert result is state  # OpenFn writes the cursor in place


def test_start_is_the_time_of_the_first_cursor_call(frozen_clock, monkeypatch):
    cursor("now")({})
    monkeypatch.setattr(cursors, "_now", lambda: frozen_clock + timedelta(hours=1))
    assert cursor("start")({})["cursor"] == "2024-03-05T12:07:09.123Z"
    assert cursor("now")({})["cursor"] == "2024-03-05T13:07:09.123Z"


def test_logs_the_date_in_a_human_format(frozen_clock, caplog):
    with caplog.at_level(logging.INFO, logger="pyfn.job"):
        cursor("today")({})
    assert caplog.records[-1].getMessage() == 'Setting cursor "today" to: 00:00 5 Mar 2024 (GMT+2)'


def test_other_values_are_stored_as_given_and_logged(frozen_clock, caplog):
    with caplog.at_level(logging.INFO, logger="pyfn.job"):
        assert cursor(22)({})["cursor"] == 22
        assert cursor("2024-01-01T00:00:00Z")({})["cursor"] == "2024-01-01T00:00:00Z"
        assert cursor("hours ago")({})["cursor"] == "hours ago"
    assert caplog.records[0].getMessage() == "Setting cursor to: 22"
    assert caplog.records[1].getMessage() == "Setting cursor to: 2024-01-01T00:00:00Z"


def test_the_log_names_the_key_and_the_formatted_value(frozen_clock, caplog):
    """language-common 3.3.4 ``cursor``: ``Setting ${cursorKey} to:`` and, with ``format``, the
    stored text (``formatted = format ? state[cursorKey] : dateFns.format(...)``); OpenFn prints
    ``Setting page to: 3`` for ``cursor(3, {key: 'page'})``."""
    with caplog.at_level(logging.INFO, logger="pyfn.job"):
        cursor(3, {"key": "page"})({})
        cursor("today", {"key": "page", "format": lambda moment: moment.strftime("%Y-%m-%d")})({})
    assert [r.getMessage() for r in caplog.records] == ["Setting page to: 3",
                                                        'Setting page "today" to: 2024-03-05']


def test_default_value_used_only_when_value_is_none(frozen_clock):
    lazy = lambda state: state.get("cursor")  # noqa: E731
    assert cursor(lazy, default_value="today")({})["cursor"] == "2024-03-04T22:00:00.000Z"
    assert cursor(lazy, {"defaultValue": 7})({})["cursor"] == 7
    assert cursor(lazy, default_value="today")({"cursor": 0})["cursor"] == 0


def test_key_persists_for_the_run_until_reset(frozen_clock):
    assert cursor(1, key="page")({}) == {"page": 1}
    assert cursor(2)({}) == {"page": 2}
    cursors.reset_cursor()
    assert cursor(3)({}) == {"cursor": 3}


def test_format_function_and_date_fns_pattern(frozen_clock):
    assert cursor("today", format=lambda moment: moment.date().isoformat())({})["cursor"] == "2024-03-05"
    assert cursor("now", {"format": "yyyy-MM-dd HH:mm"})({})["cursor"] == "2024-03-05 14:07"
    assert cursor(3, format=lambda value: value + 1)({})["cursor"] == 4


def test_real_clock_now_is_within_the_call():
    cursors.reset_cursor()
    before = datetime.now(timezone.utc)
    stored = cursor("now")({})["cursor"]
    after = datetime.now(timezone.utc)
    moment = datetime.fromisoformat(stored.replace("Z", "+00:00"))
    assert before - timedelta(milliseconds=1) <= moment <= after
    cursors.reset_cursor()


def test_util_parse_date(frozen_clock):
    assert util.parse_date("today") == datetime(2024, 3, 5, tzinfo=frozen_clock.tzinfo)
    assert util.parse_date("start") == "start"  # no start time given
    assert util.parse_date(12) == 12
    assert util.parse_date("next week") == "next week"


def test_a_datetime_value_is_stored_as_iso(frozen_clock):
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert cursor(moment)({})["cursor"] == "2024-01-02T03:04:05.000Z"
