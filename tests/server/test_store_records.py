"""The records a run store gives back: a sync reply's meta, durations, stored JSON text, times and the
messages of a step that cannot be retried."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from runtime.store.records import NotRetryable, RunSummary, iso, match_step, to_json_text

AT = "2024-05-02T10:00:00.000000Z"


def test_a_run_summary_gives_lightnings_meta_and_its_duration():
    run = RunSummary("r-1", "w-1", "wf", "hook", "failed", "JobError", 1, "w", AT,
                     claimed_at="2024-05-02T10:00:01.000000Z", finished_at="2024-05-02T10:00:02.500000Z")
    assert run.meta() == {"work_order_id": "w-1", "run_id": "r-1", "state": "failed", "error_type": "JobError",
                          "inserted_at": AT, "started_at": None, "claimed_at": "2024-05-02T10:00:01.000000Z",
                          "finished_at": "2024-05-02T10:00:02.500000Z"}
    assert run.duration_ms == 1500.0  # from the claim when it never started
    assert RunSummary("r-2", "w-2", "wf", None, "started", None, 1, "w", AT, started_at=AT).duration_ms is None


def test_stored_json_text_is_compact_utf8_and_drops_only_a_states_configuration():
    moment = dt.datetime(2024, 5, 2, 10, 0)
    assert to_json_text({"data": {"name": "Zoë", "at": moment}, "configuration": {"password": "x"}}) == \
        '{"data":{"name":"Zoë","at":"2024-05-02 10:00:00"}}'
    assert to_json_text(["configuration"]) == '["configuration"]'


def test_a_stored_time_is_utc_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        moment = dt.datetime(2024, 5, 2, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        assert iso(moment) == "2024-05-02T10:00:00.000000Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_step_that_cannot_be_retried_is_named_with_the_runs_steps():
    with pytest.raises(NotRetryable) as none:
        match_step("fetch", [], "r-1")
    assert str(none.value) == "run r-1 has no step 'fetch' (its steps: none: it never started a step)"
    with pytest.raises(NotRetryable) as several:
        match_step("a", ["a-1", "a-2", "b-1"], "r-1")
    assert str(several.value) == "run r-1 has several steps matching 'a' (its steps: a-1, a-2, b-1)"
    assert match_step("b", ["a-1", "b-1"], "r-1") == "b-1"
