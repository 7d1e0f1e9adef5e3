"""The date_fns and util namespaces."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from adaptors.common import date_fns, util

MOMENT = datetime(2024, 3, 5, 14, 7, 9, 123456)


@pytest.mark.parametrize("fmt, expected", [
    ("yyyy-MM-dd HH:mm:ss", "2024-03-05 14:07:09"),
    ("do MMMM yyyy", "5th March 2024"),
    ("EEE, d MMM yy h:mm a", "Tue, 5 Mar 24 2:07 PM"),
    ("yyyy-MM-dd'T'HH:mm:ss.SSS", "2024-03-05T14:07:09.123"),
    ("'it''s' QQQ, DDD", "it's Q1, 065"),
    ("EEEE iiii", "Tuesday Tuesday"),
])
def test_format_tokens(fmt, expected):
    assert date_fns.format(MOMENT, fmt) == expected


def test_format_zones_and_inputs():
    zoned = datetime(2024, 3, 5, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert date_fns.format(zoned, "HH:mm XXX xx OOO") == "09:30 +05:30 +0530 GMT+5:30"
    utc = datetime(2024, 3, 5, tzinfo=timezone.utc)
    assert date_fns.format(utc, "X OOOO") == "Z GMT+00:00"
    assert date_fns.format(date(2024, 1, 2), "dd/MM/yyyy") == "02/01/2024"
    assert date_fns.format("2024-01-02T03:04:05Z", "HH:mm") == "03:04"


@pytest.mark.parametrize("fmt", ["YYYY", "DD", "w"])
def test_format_refuses_unsupported_tokens(fmt):
    with pytest.raises(ValueError):
        date_fns.format(MOMENT, fmt)


def test_parse_fills_missing_parts_like_date_fns():
    reference = datetime(2020, 6, 15, 8, 45, 30)
    assert date_fns.parse("2024-03-05 14:07:09", "yyyy-MM-dd HH:mm:ss") == datetime(2024, 3, 5, 14, 7, 9)
    assert date_fns.parse("2024", "yyyy", reference) == datetime(2024, 1, 1)
    assert date_fns.parse("14:30", "HH:mm", reference) == datetime(2020, 6, 15, 14, 30)
    assert date_fns.parse("11", "dd", reference) == datetime(2020, 6, 11)
    assert date_fns.parse("5 Mar 2024 2:15 PM", "d MMM yyyy h:mm a") == datetime(2024, 3, 5, 14, 15)


def test_parse_with_zone_is_aware():
    parsed = date_fns.parse("2024-03-05T10:00:00+05:30", "yyyy-MM-dd'T'HH:mm:ssXXX")
    assert parsed.utcoffset() == timedelta(hours=5, minutes=30)


def test_parse_mismatch_raises():
    with pytest.raises(ValueError, match="does not match the date format"):
        date_fns.parse("05/03/2024", "yyyy-MM-dd")


def test_parse_and_format_round_trip():
    text = "05/03/2024 14:07"
    assert date_fns.format(date_fns.parse(text, "dd/MM/yyyy HH:mm"), "dd/MM/yyyy HH:mm") == text


def test_util_encode_decode():
    assert util.encode("hello") == "aGVsbG8="
    assert util.encode({"a": 1}) == "eyJhIjoxfQ=="
    assert util.decode("eyJhIjoxfQ==") == {"a": 1}
    assert util.decode("eyJhIjoxfQ", parse_json=False) == '{"a":1}'
    assert util.decode(util.encode("héllo")) == "héllo"
    with pytest.raises(TypeError):
        util.encode({"a": 1}, parse_json=False)


def test_util_uuid_and_basic_auth():
    value = util.uuid()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)
    assert util.uuid() != value
    assert util.make_basic_auth_header("u", "p") == {"Authorization": "Basic dTpw"}
