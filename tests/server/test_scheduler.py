"""The cron scheduler on a hand-moved clock: one firing per schedule, the cursor as input, catch-up, waiting."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from runtime.logger import Logger, LogSink
from runtime.workflow.triggers import CronTrigger
from runtime.workflow.cron import CronSchedule
from runtime.workflow.project import CronJob
from runtime.server.scheduler import Scheduler
from runtime.store import iso, open_store

UTC = dt.timezone.utc


class HandClock:
    """A clock the test moves."""

    def __init__(self, now: dt.datetime):
        self.moment = now

    def now(self) -> dt.datetime:
        return self.moment

    def real_seconds(self, seconds: float) -> float:
        return seconds


def cron_job(schedule="0 2 * * *", **options) -> CronJob:
    options.setdefault("id", "nightly")
    trigger = CronTrigger(schedule=schedule, cron=CronSchedule.parse(schedule, options.get("timezone", "UTC")),
                          **options)
    return CronJob("sync", trigger)


@pytest.fixture
def store(store_location):
    """A fresh store of each backend (``store_location`` in conftest.py)."""
    opened = open_store(store_location)
    yield opened
    opened.close()


def scheduler(store, clock, *jobs):
    out = io.StringIO()
    made = Scheduler(store, list(jobs), clock, lambda: None, Logger("SRV", "default", LogSink(out)))
    made.output = out
    return made


def run_next(store, output=None, state="success", steps=()):
    """Play a worker: claim the next run, record ``steps`` [(key, output)], end it."""
    claimed = store.claim("w-1")
    store.started(claimed.id)
    for key, value in steps:
        store.step_started(claimed.id, key, {})
        store.step_finished(claimed.id, key, value)
    store.finish(claimed.id, state, final_state=output)
    return claimed


def test_fires_once_per_schedule_with_the_cursor_as_input(store):
    clock = HandClock(dt.datetime(2024, 5, 1, 12, tzinfo=UTC))
    job = cron_job(cursor_step="fetch", state={"data": {"page": 0}})
    cron = scheduler(store, clock, job)
    cron.catch_up()
    assert cron.tick() == [], "a trigger that never fired waits for its next time"
    clock.moment = dt.datetime(2024, 5, 2, 2, 0, 30, tzinfo=UTC)
    first, = cron.tick()
    assert cron.tick() == [], "once per scheduled time"
    assert store.get_run(first.run_id).input == {"data": {"page": 0}}, "the first run gets the trigger's state"
    assert store.last_firing("sync", "nightly") == "2024-05-02T02:00:00.000000Z"
    run_next(store, {"final": 1}, steps=[("fetch", {"data": {"page": 1}}), ("load", {"data": "loaded"})])
    clock.moment += dt.timedelta(days=1)
    second, = cron.tick()
    assert store.get_run(second.run_id).input == {"data": {"page": 1}}, "the cursor step's output, not the final"
    run_next(store, state="failed", steps=[("fetch", {"data": {"page": 2}})])
    clock.moment += dt.timedelta(days=1)
    third, = cron.tick()
    assert store.get_run(third.run_id).input == {"data": {"page": 1}}, "a failed run does not move the cursor"


def test_the_final_state_is_the_cursor_without_cursor_step(store):
    clock = HandClock(dt.datetime(2024, 5, 2, 2, 0, tzinfo=UTC))
    cron = scheduler(store, clock, cron_job())
    store.fire_cron("sync", "nightly", "2024-05-01T02:00:00.000000Z", {})
    run_next(store, {"data": {"cursor": "2024-05-01"}}, steps=[("fetch", {"data": "ignored"})])
    cron.catch_up()
    assert store.get_run(store.list_runs(state="available")[0].id).input == {"data": {"cursor": "2024-05-01"}}


def test_carry_takes_the_declared_keys_of_the_final_state_else_of_the_last_input(store):
    clock = HandClock(dt.datetime(2024, 5, 2, 2, 0, 30, tzinfo=UTC))
    job = cron_job(state={"cursor": "2024-01-01", "page_size": 50},
                   carry={"cursor": "$.references[0].cursor", "seen": "$.data.seen"})
    cron = scheduler(store, clock, job)
    store.fire_cron("sync", "nightly", "2024-05-01T02:00:00.000000Z", {})
    run_next(store, {"data": {"seen": 3, "rows": [1, 2, 3]}, "references": [{"cursor": "2024-05-01"}]})
    cron.catch_up()  # fires 2 May
    first = store.list_runs(state="available")[0]
    assert store.get_run(first.id).input == {"cursor": "2024-05-01", "page_size": 50, "seen": 3}
    run_next(store, {"data": [], "note": "the other branch: no references"})
    clock.moment += dt.timedelta(days=1)
    second, = cron.tick()
    assert store.get_run(second.run_id).input == {"cursor": "2024-05-01", "page_size": 50, "seen": 3}, \
        "keys the final state lacks keep their value from the last successful run's input"
    run_next(store, state="failed")
    clock.moment += dt.timedelta(days=1)
    third, = cron.tick()
    assert store.get_run(third.run_id).input == {"cursor": "2024-05-01", "page_size": 50, "seen": 3}


def test_downtime_gives_one_catch_up_run_for_the_latest_missed_time(store):
    store.fire_cron("sync", "nightly", "2024-05-01T02:00:00.000000Z", {})
    run_next(store, {"data": 1})
    clock = HandClock(dt.datetime(2024, 5, 4, 12, tzinfo=UTC))  # 2, 3 and 4 May missed
    cron = scheduler(store, clock, cron_job())
    cron.catch_up()
    queued = store.list_runs(state="available")
    assert len(queued) == 1 and store.last_firing("sync", "nightly") == "2024-05-04T02:00:00.000000Z"
    assert "cron nightly of sync missed 3 schedule(s) while the server was down: one catch-up run for " \
           "2024-05-04T02:00:00.000000Z" in cron.output.getvalue()
    assert cron.tick() == []
    clock.moment = dt.datetime(2024, 5, 5, 2, 0, tzinfo=UTC)
    run_next(store, {"data": 2})
    assert len(cron.tick()) == 1


def test_catch_up_false_skips_missed_schedules(store):
    store.fire_cron("sync", "nightly", "2024-05-01T02:00:00.000000Z", {})
    run_next(store, {"data": 1})
    cron = scheduler(store, HandClock(dt.datetime(2024, 5, 4, 12, tzinfo=UTC)), cron_job(catch_up=False))
    cron.catch_up()
    assert store.list_runs(state="available") == []
    assert "missed 3 schedule(s) while the server was down: skipped (catch_up: false)" in cron.output.getvalue()


def test_a_firing_waits_for_the_running_cron_or_manual_run(store):
    clock = HandClock(dt.datetime(2024, 5, 2, 2, 0, tzinfo=UTC))
    store.fire_cron("sync", "nightly", "2024-05-01T02:00:00.000000Z", {})
    cron = scheduler(store, clock, cron_job())
    cron.catch_up()  # due for 2 May, but the 1 May run has not run yet
    assert len(store.list_runs(state="available")) == 1
    assert "it waits for the workflow's running cron or manual run to end" in cron.output.getvalue()
    run_next(store, {"data": "from may 1"})
    store.accept("sync", "manual", {"data": "by hand"}, priority=0)
    clock.moment = dt.datetime(2024, 5, 3, 2, 30, tzinfo=UTC)
    assert cron.tick() == [], "the manual run is waiting"
    store.accept("sync", "forms", {"data": "a webhook run does not hold it"})
    run_next(store, {"data": "by hand, done"})
    fired, = cron.tick()
    assert store.get_run(fired.run_id).input == {"data": "by hand, done"}, "the manual run moved the cursor"
    assert store.last_firing("sync", "nightly") == "2024-05-03T02:00:00.000000Z", "one firing for 2 and 3 May"


def test_two_servers_fire_each_schedule_once(store, store_location):
    other = open_store(store_location)
    try:
        clock = HandClock(dt.datetime(2024, 5, 2, 1, 59, tzinfo=UTC))
        first, second = scheduler(store, clock, cron_job()), scheduler(other, clock, cron_job())
        first.catch_up(), second.catch_up()
        clock.moment = dt.datetime(2024, 5, 2, 2, 0, tzinfo=UTC)
        assert len(first.tick()) == 1 and second.tick() == [], "the second sees the first's run"
        run_next(store)
        assert second.tick() == [] and first.tick() == []
        assert "for 2024-05-02T02:00:00.000000Z was fired by another server" in second.output.getvalue()
    finally:
        other.close()


def test_timezones_and_disabled_triggers(store):
    clock = HandClock(dt.datetime(2024, 5, 1, 22, 0, tzinfo=UTC))
    nairobi = cron_job(timezone="Africa/Nairobi")
    off = CronJob("sync", CronTrigger(id="off", schedule="* * * * *", cron=CronSchedule.parse("* * * * *"),
                                      enabled=False))
    cron = scheduler(store, clock, nairobi, off)
    cron.catch_up()
    clock.moment = dt.datetime(2024, 5, 1, 23, 0, tzinfo=UTC)  # 02:00 in Nairobi
    assert len(cron.tick()) == 1 and store.last_firing("sync", "nightly") == iso(clock.moment)
    assert store.last_firing("sync", "off") is None
