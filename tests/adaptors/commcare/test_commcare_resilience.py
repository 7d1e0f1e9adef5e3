"""Resilience on by default: 429 waits Retry-After, 5xx and lost connections back off for a bounded time."""

from __future__ import annotations

import logging

import pytest

from adaptors.commcare import CommCareHTTPError, get, http, list_cases, submit_form, upsert_cases
from adaptors.http.errors import ConnectError


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_429_waits_retry_after_and_retries(run, quick_config, fresh_hq, waits, cc_log):
    fresh_hq.set_faults(throttle_next=3, retry_after=7)
    state = run(quick_config, get("case", {"limit": 5, "offset": 0}))
    assert len(state["data"]) == 5 and waits == [7, 7, 7]
    assert "429 Too Many Requests; waiting Retry-After 7s" in _warnings(cc_log)[0]


def test_429_is_retried_for_posts_too(run, quick_config, fresh_hq, waits):
    fresh_hq.set_faults(throttle_next=1, retry_after=1)
    state = run(quick_config, upsert_cases([{"case_type": "t", "case_name": "once", "owner_id": "o"}]))
    assert waits == [1] and state["data"]["errors"] == []
    assert len(run(quick_config, list_cases({"case_type": "t"}))["data"]) == 1


def test_5xx_and_dropped_connections_back_off_and_recover(run, quick_config, fresh_hq, waits, cc_log):
    fresh_hq.set_faults(fail_next=2)
    assert run(quick_config, list_cases({"limit": 10}))["data"]
    fresh_hq.set_faults(drop_next=2)
    assert run(quick_config, get("case", {"limit": 3, "offset": 0}))["data"]
    assert len(waits) == 4 and all(0.5 <= w <= 2 for w in (waits[0], waits[2]))
    assert any("- 500; retry 1" in line for line in _warnings(cc_log))
    assert any("could not connect" in line for line in _warnings(cc_log))


def test_creating_posts_are_not_repeated_after_a_5xx(run, quick_config, fresh_hq, waits):
    fresh_hq.set_faults(fail_next=1)
    with pytest.raises(CommCareHTTPError) as caught:
        run(quick_config, http.post("case/v2", {"case_type": "t", "case_name": "n", "owner_id": "o"}))
    assert caught.value.status_code == 500 and waits == []


def test_submissions_are_repeated_since_hq_drops_duplicates(run, quick_config, fresh_hq, waits):
    fresh_hq.set_faults(fail_next=1)
    state = run(quick_config, submit_form("http://x/f", {}, case={"case_type": "t", "case_name": "n"},
                                          meta={"userID": "u"}))
    assert len(waits) == 1 and state["data"]["nature"] == "submit_success"


def test_retrying_stops_after_max_time_with_the_last_error(run, fresh_hq, make_config, waits, cc_log):
    fresh_hq.set_faults(error_rate=1.0)
    config = make_config(fresh_hq, retries=waits.policy(**{"max_time": 30, "base_delay": 1, "max_delay": 8}))
    with pytest.raises(CommCareHTTPError) as caught:
        run(config, get("case", {"limit": 1, "offset": 0}))
    assert caught.value.status_code == 500 and 3 <= len(waits) <= 8 and sum(waits) <= 30
    assert "giving up" in _warnings(cc_log)[-1]


def test_connection_errors_give_up_too(run, fresh_hq, make_config, waits):
    fresh_hq.set_faults(drop_rate=1.0)
    config = make_config(fresh_hq, retries=waits.policy(**{"max_time": 10, "base_delay": 2}))
    with pytest.raises(ConnectError):
        run(config, get("case", {"limit": 1, "offset": 0}))
    assert 1 <= len(waits) and sum(waits) <= 10


def test_retries_can_be_turned_off_and_429_gets_a_hint(run, fresh_hq, make_config, waits):
    fresh_hq.set_faults(throttle_next=1)
    with pytest.raises(CommCareHTTPError) as caught:
        run(make_config(fresh_hq, retries=False), get("case", {"limit": 1, "offset": 0}))
    assert caught.value.status_code == 429 and "Retry-After" in caught.value.fix and waits == []


def test_rate_limit_time_bounds_the_waiting(run, fresh_hq, make_config, waits):
    fresh_hq.set_faults(throttle_next=10, retry_after=30)
    with pytest.raises(CommCareHTTPError):
        run(make_config(fresh_hq, retries=waits.policy(**{"rate_limit_time": 60})), get("case", {"limit": 1, "offset": 0}))
    assert waits == [30, 30]


def test_a_long_pull_through_random_faults_gets_every_case_once(run, quick_config, fresh_hq, waits):
    fresh_hq.set_faults(error_rate=0.3, drop_rate=0.2)
    cases = run(quick_config, list_cases({"limit": 2}))["data"]
    fresh_hq.clear_faults()
    with fresh_hq.store.lock:
        expected = set(fresh_hq.store.cases)
    assert len(cases) == len({c["case_id"] for c in cases}) == len(expected) and waits


def test_configuration_timeout_in_seconds(run, fresh_hq, make_config):
    from adaptors.http.errors import RequestTimeout

    fresh_hq.set_faults(latency=0.5)
    with pytest.raises(RequestTimeout, match="timed out after 0.1s"):
        run(make_config(fresh_hq, timeout=0.1, retries=False), get("case", {"limit": 1, "offset": 0}))
