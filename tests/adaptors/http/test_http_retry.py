"""The opt-in retry policy: statuses, connection errors, Retry-After, backoff, giving up."""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import time

import pytest

from adaptors.http import execute, get, post
from adaptors.http.errors import ConnectError, HTTPError
from adaptors.http.retry import RetryPolicy, parse_retry_after

FAST = {"max": 3, "base_delay": 0.01}


class Waits(list):
    """The waits of the policies it makes, recorded instead of slept."""

    def policy(self, **settings) -> RetryPolicy:
        """A retry policy from ``settings`` (as ``retries`` gives them) whose waits go to this list."""
        return dataclasses.replace(RetryPolicy.from_setting(settings), sleep=self.append)


@pytest.fixture
def waits():
    """``waits.policy(**settings)`` makes retry policies that record their waits in ``waits``."""
    return Waits()


def run(config, *operations):
    return execute(*operations)({"configuration": config})


def retry_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "retry" in r.getMessage()]


def test_retries_are_off_by_default(api, config):
    with pytest.raises(HTTPError, match="returned 429: Too Many Requests"):
        run(config, get("/retry-after/1?seconds=0"))
    assert len(api.requests) == 1


def test_retry_after_429_until_success(api, config, http_log):
    state = run(config, get("/retry-after/2?seconds=0", {"retries": FAST}))
    assert state["data"] == {"attempts": 3} and state["response"]["statusCode"] == 200
    assert len(api.requests) == 3
    lines = retry_lines(http_log)
    assert len(lines) == 2
    assert lines[0].startswith(f"GET {api.url}/retry-after/2?seconds=0 - 429; retry 1 of 3 in ")


@pytest.mark.parametrize("status", [502, 503, 504])
def test_default_statuses(api, config, status):
    state = run(config, get(f"/retry-after/1?seconds=0&status={status}", {"retries": FAST}))
    assert state["data"] == {"attempts": 2}


def test_gives_up_with_the_last_error(api, config, http_log):
    with pytest.raises(HTTPError) as caught:
        run(config, get("/status/503", {"retries": {"max": 2, "base_delay": 0.01}}))
    assert str(caught.value) == f"GET to {api.url}/status/503 returned 503: Service Unavailable"
    assert len(api.requests) == 3
    assert any("giving up after 2 retries" in r.getMessage() for r in http_log.records)


def test_errors_map_applies_after_giving_up(api, config):
    state = run(config, get("/status/503", {"retries": {"max": 1, "base_delay": 0.01}, "errors": {503: False}}))
    assert state["response"]["statusCode"] == 503 and len(api.requests) == 2


def test_statuses_not_listed_are_not_retried(api, config):
    with pytest.raises(HTTPError):
        run(config, get("/status/500", {"retries": FAST}))
    assert len(api.requests) == 1
    state = run(config, get("/retry-after/1?seconds=0&status=500", {"retries": {**FAST, "on": [500]}}))
    assert state["data"] == {"attempts": 2}


def test_post_is_not_retried_unless_listed(api, config):
    with pytest.raises(HTTPError):
        run(config, post("/retry-after/1?seconds=0", {"a": 1}, {"retries": FAST}))
    assert len(api.requests) == 1
    api.reset()
    state = run(config, post("/retry-after/1?seconds=0", {"a": 1}, {"retries": {**FAST, "methods": ["POST"]}}))
    assert state["data"] == {"attempts": 2}
    assert [r.json for r in api.requests] == [{"a": 1}, {"a": 1}]


def test_one_shot_bodies_are_not_retried(api, config):
    body = (chunk for chunk in [b"x"])
    with pytest.raises(HTTPError):
        run(config, post("/retry-after/1?seconds=0", body, {"retries": {**FAST, "methods": ["POST"]}}))
    assert len(api.requests) == 1


def test_step_configuration_sets_the_default_and_a_call_can_turn_it_off(api):
    config = {"baseUrl": api.url, "retries": FAST}
    assert run(config, get("/retry-after/1?seconds=0&key=a"))["data"] == {"attempts": 2}
    with pytest.raises(HTTPError):
        run(config, get("/retry-after/1?seconds=0&key=b", {"retries": False}))


def test_retry_after_seconds_is_honoured(config, waits):
    run(config, get("/retry-after/1?seconds=2", {"retries": waits.policy(**FAST)}))
    assert len(waits) == 1 and waits[0] >= 2


def test_retry_after_http_date_is_honoured(config, waits):
    run(config, get("/retry-after/1?seconds=3&date=1", {"retries": waits.policy(**FAST)}))
    assert len(waits) == 1 and 1 <= waits[0] <= 3.01


def test_retry_after_beyond_max_delay_gives_up_at_once(api, config, waits, http_log):
    with pytest.raises(HTTPError, match="429"):
        run(config, get("/retry-after/1?seconds=120", {"retries": waits.policy(**FAST, max_delay=30)}))
    assert waits == [] and len(api.requests) == 1
    assert any("exceeds max_delay" in r.getMessage() for r in http_log.records)


def test_connection_errors_are_retried_then_raised(closed_port, waits, http_log):
    url = f"http://127.0.0.1:{closed_port}/x"
    with pytest.raises(ConnectError):
        execute(get(url, {"retries": waits.policy(max=2, base_delay=0.01)}))({})
    assert len(waits) == 2
    assert len(retry_lines(http_log)) == 2


def test_backoff_shapes_with_jitter():
    exponential = RetryPolicy(base_delay=1, max_delay=60)
    for retry, full in [(1, 1), (2, 2), (3, 4), (8, 60)]:
        for _ in range(20):
            assert full / 2 <= exponential.backoff_delay(retry) <= full
    assert 1.5 <= RetryPolicy(backoff="linear", base_delay=1).backoff_delay(3) <= 3
    assert 0.5 <= RetryPolicy(backoff="constant", base_delay=1).backoff_delay(5) <= 1


def test_wait_is_at_least_retry_after():
    policy = RetryPolicy(base_delay=0.01)
    assert policy.delay(1, "5") >= 5
    assert policy.delay(1, None) <= 0.01
    assert RetryPolicy(max_delay=10).delay(1, "11") is None


def test_parse_retry_after():
    now = time.time()
    assert parse_retry_after("7") == 7
    assert parse_retry_after(" 0 ") == 0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= parse_retry_after(date, now=now) <= 30
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=now) == 0


@pytest.mark.parametrize("setting, expected", [
    (None, None), (False, None), (0, None),
    (True, RetryPolicy()),
    (5, RetryPolicy(max=5)),
    ({"max": 2, "on": [500], "methods": ["post"]},
     RetryPolicy(max=2, on=frozenset({500}), methods=frozenset({"POST"}))),
])
def test_policy_settings(setting, expected):
    assert RetryPolicy.from_setting(setting) == expected


def test_a_policy_object_is_used_as_given():
    policy = RetryPolicy(max=1, sleep=print)
    assert RetryPolicy.from_setting(policy) is policy


@pytest.mark.parametrize("setting", [{"tries": 3}, {"backoff": "random"}, {"max": -1}, "often", {"sleep": 0}])
def test_invalid_policy_settings(setting):
    with pytest.raises(ValueError):
        RetryPolicy.from_setting(setting)
