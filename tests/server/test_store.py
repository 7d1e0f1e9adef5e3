"""The run store's contract, one suite for every backend: SQLite (one machine) and PostgreSQL (many).

Nothing here relies on a backend's own behaviour: only the ``RunStore`` interface (one test
says how each backend takes a second server). PostgreSQL is the session's throwaway cluster
(``postgres_cluster`` in tests/conftest.py): without one the tests fail and say how to install it.
"""

from __future__ import annotations

import sys
import threading
import time

import pytest

from runtime.store import FINAL_STATES, AmbiguousId, NotRetryable, Purged, RawJSON, StoreBusy, now_iso, open_store

from .conftest import wait_until


@pytest.fixture
def store(store_location):
    opened = open_store(store_location)
    yield opened
    opened.close()


def run_one(store, state="success", **kwargs):
    accepted = store.accept("wf", "hook", {"data": {"n": 1}})
    claimed = store.claim("w-1")
    store.started(claimed.id)
    store.finish(claimed.id, state, **kwargs)
    return accepted


def test_accept_creates_an_available_run_with_the_input_and_no_configuration(store):
    accepted = store.accept("wf", "hook", {"data": {"id": "f-1"}, "configuration": {"password": "s3cret"}})
    assert not accepted.duplicate and accepted.work_order_id != accepted.run_id
    detail = store.get_run(accepted.run_id)
    assert detail.input == {"data": {"id": "f-1"}}
    assert detail.run.state == "available" and detail.run.attempt == 1 and detail.run.trigger == "hook"
    assert detail.run.work_order_id == accepted.work_order_id
    assert store.counts() == {"available": 1}


def test_a_dedupe_key_seen_before_gives_the_original_ids_and_creates_nothing(store):
    first = store.accept("wf", "hook", {"data": 1}, dedupe_key="form-1")
    again = store.accept("wf", "hook", {"data": 2}, dedupe_key="form-1")
    other_workflow = store.accept("other", "hook", {"data": 3}, dedupe_key="form-1")
    no_key = [store.accept("wf", "hook", {"data": 4}) for _ in range(2)]
    assert again.duplicate and (again.work_order_id, again.run_id) == (first.work_order_id, first.run_id)
    assert not other_workflow.duplicate and not any(a.duplicate for a in no_key)
    assert store.counts() == {"available": 4}
    assert store.get_run(first.run_id).input == {"data": 1}


def test_claim_is_oldest_first_then_started_then_final(store):
    ids = [store.accept("wf", "hook", {"data": n}).run_id for n in range(3)]
    claimed = store.claim("w-1")
    assert claimed.id == ids[0] and claimed.attempt == 1 and claimed.workflow == "wf"
    assert '"data":0' in claimed.input.replace(" ", "")
    summary = store.get_run(claimed.id).run
    assert summary.state == "claimed" and summary.worker == "w-1" and summary.claimed_at
    store.started(claimed.id)
    assert store.get_run(claimed.id).run.state == "started"
    assert store.finish(claimed.id, "failed", "JobError", final_state={"data": 0, "errors": {}})
    run = store.get_run(claimed.id)
    assert run.run.state == "failed" and run.run.error_type == "JobError" and run.run.final
    assert run.final_state == {"data": 0, "errors": {}} and run.run.duration_ms is not None
    assert not store.finish(claimed.id, "success"), "a final run cannot end twice"
    with pytest.raises(ValueError):
        store.finish(ids[1], "started")


def test_concurrent_claims_never_share_a_run(store):
    for n in range(40):
        store.accept("wf", "hook", {"data": n})
    taken: list[str] = []
    lock = threading.Lock()

    def worker(name):
        while (claimed := store.claim(name)) is not None:
            with lock:
                taken.append(claimed.id)

    threads = [threading.Thread(target=worker, args=(f"w-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == len(set(taken)) == 40 and store.claim("w-9") is None


def test_steps_logs_and_webhook_response_are_recorded_in_order(store):
    accepted = store.accept("wf", "hook", {"data": {}})
    run_id = store.claim("w-1").id
    store.started(run_id)
    store.step_started(run_id, "a", {"data": {}, "configuration": {"token": "t"}})
    store.append_logs(run_id, ["[R/T] ♦ Starting step a", ("2024-01-01T00:00:00.000000Z", "[JOB] ℹ hi")])
    store.step_finished(run_id, "a", RawJSON('{"data":{"x":1}}'))
    store.step_started(run_id, "b", {"data": {"x": 1}})
    store.step_finished(run_id, "b", {"data": {"x": 1}}, {"name": "JobError", "message": "no"})
    store.append_logs(run_id, ["[R/T] ✘ b aborted"])
    store.finish(run_id, "failed", "JobError", webhook_response={"status": 422})
    detail = store.get_run(accepted.run_id)
    assert [s.step for s in detail.steps] == ["a", "b"]
    assert detail.steps[0].input == {"data": {}} and detail.steps[0].output == {"data": {"x": 1}}
    assert detail.steps[0].error is None and detail.steps[1].error["name"] == "JobError"
    assert [line for _, line in detail.logs] == ["[R/T] ♦ Starting step a", "[JOB] ℹ hi", "[R/T] ✘ b aborted"]
    assert detail.logs[1][0] == "2024-01-01T00:00:00.000000Z"
    assert detail.webhook_response == {"status": 422}


def test_recover_lost_requeues_runs_of_dead_workers_only(store):
    mine, dead_claimed, dead_started, done = (store.accept("wf", "hook", {"data": n}) for n in range(4))
    assert store.claim("alive").id == mine.run_id
    assert store.claim("dead").id == dead_claimed.run_id
    store.started(store.claim("dead").id)
    store.claim("dead")
    store.finish(done.run_id, "success")
    recovered = dict(store.recover_lost(["alive"]))
    assert set(recovered) == {dead_claimed.run_id, dead_started.run_id}
    for old_id, new_id in recovered.items():
        old, new = store.get_run(old_id), store.get_run(new_id)
        assert old.run.state == "lost" and old.run.error_type == "LostError" and old.run.finished_at
        assert new.run.state == "available" and new.run.attempt == 2
        assert new.run.work_order_id == old.run.work_order_id and new.input == old.input
    assert store.get_run(mine.run_id).run.state == "claimed"
    assert {store.claim("alive").id, store.claim("alive").id} == set(recovered.values())
    assert store.get_run(dead_started.work_order_id).run.attempt == 2, "a work order id shows its latest run"


def test_a_lost_run_is_queued_again_first_in_line(store):
    lost = store.accept("wf", "hook", {"data": "lost"})
    assert store.claim("dead").id == lost.run_id
    waiting = [store.accept("wf", "hook", {"data": n}).run_id for n in range(2)]  # queued before the recovery
    (_, again), = store.recover_lost([])
    assert store.claim("alive").id == again  # ahead of the deliveries that were already waiting
    assert [store.claim("alive").id, store.claim("alive").id] == waiting


def test_a_work_order_never_has_two_runs_running(store):
    accepted = store.accept("wf", "hook", {"data": 1})
    first = store.claim("w-1")
    new_id = store.lose(first.id)
    assert store.get_run(first.id).run.state == "lost"
    second = store.claim("w-1")
    assert second.id == new_id and second.attempt == 2
    assert store.claim("w-2") is None
    assert store.lose(accepted.run_id) is None, "a run that already ended is not lost again"


def test_a_duplicate_after_a_retry_answers_the_latest_run(store):
    first = store.accept("wf", "hook", {"data": 1}, dedupe_key="k")
    new_id = store.lose(store.claim("w").id)
    again = store.accept("wf", "hook", {"data": 1}, dedupe_key="k")
    assert again.duplicate and again.work_order_id == first.work_order_id and again.run_id == new_id


def test_list_runs_filters_by_workflow_and_state_newest_first(store):
    ok = run_one(store, "success")
    time.sleep(0.002)
    bad = run_one(store, "crashed", error_type="RuntimeCrash")
    time.sleep(0.002)
    other = store.accept("other", "hook2", {"data": 3})
    assert [r.id for r in store.list_runs()] == [other.run_id, bad.run_id, ok.run_id]
    assert [r.id for r in store.list_runs(workflow="wf")] == [bad.run_id, ok.run_id]
    assert [r.id for r in store.list_runs(state="crashed")] == [bad.run_id]
    assert [r.id for r in store.list_runs(limit=1)] == [other.run_id]
    assert store.counts("wf") == {"success": 1, "crashed": 1}
    assert store.list_runs(workflow="wf")[0].error_type == "RuntimeCrash"


def test_get_run_by_prefix_and_by_work_order(store):
    accepted = store.accept("wf", "hook", {"data": 1})
    assert store.get_run(accepted.run_id[:8]).run.id == accepted.run_id
    assert store.get_run(accepted.work_order_id).run.id == accepted.run_id
    assert store.get_run("no-such-id") is None
    for _ in range(30):
        store.accept("wf", "hook", {"data": 1})
    with pytest.raises(AmbiguousId):
        store.get_run("")


def test_wait_for_returns_when_the_run_ends_or_at_the_timeout(store, monkeypatch):
    accepted = store.accept("wf", "hook", {"data": 1})
    claimed = store.claim("w")
    assert store.wait_for(claimed.id, timeout=0.05).state == "claimed"
    # no polling: only the end of the run can wake the waiter before its (long) timeout
    monkeypatch.setattr(sys.modules[type(store).__module__], "_POLL_SECONDS", 3600)
    timer = threading.Timer(0.1, store.finish, args=(claimed.id, "success"))
    started = time.monotonic()
    timer.start()
    summary = store.wait_for(accepted.run_id, timeout=30)
    assert summary.state == "success" and time.monotonic() - started < 25, "woken by the end, not the timeout"
    assert summary.meta()["run_id"] == accepted.run_id and summary.meta()["finished_at"]
    assert store.wait_for("missing", timeout=0.01) is None


def test_committed_deliveries_are_there_for_the_next_process(store_location):
    first = open_store(store_location)
    accepted = [first.accept("wf", "hook", {"data": n}) for n in range(5)]
    first.close()
    again = open_store(store_location)
    assert [again.get_run(a.run_id).input for a in accepted] == [{"data": n} for n in range(5)]
    again.close()


def test_one_server_at_a_time_on_sqlite_and_many_on_postgresql(store_location):
    first, second = open_store(store_location), open_store(store_location)
    first.register_worker("w-1")
    if store_location.startswith("postgresql://"):  # a shared store: every server and worker registers
        second.register_worker("w-2")
        assert first.server_running() and second.server_running()
    else:
        with pytest.raises(StoreBusy, match="in use by another pyfn serve"):
            second.register_worker("w-2")
    first.close()
    second.register_worker("w-2")
    second.close()


def test_final_states_are_lightnings():
    assert FINAL_STATES == {"success", "failed", "crashed", "killed", "lost"}


# -- schedules, retries, concurrency and retention ------------------------------------------------

def later(seconds: float) -> str:
    import datetime as dt

    from runtime.store import iso

    return iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds))


def claim_and_end(store, state="success", limits=None, **kwargs):
    claimed = store.claim("w-1", limits)
    store.started(claimed.id)
    store.finish(claimed.id, state, **kwargs)
    return claimed


def record_steps(store, run_id, steps):
    """``steps``: [(key, input, output, error)] recorded in order."""
    for key, given, output, error in steps:
        store.step_started(run_id, key, given)
        store.step_finished(run_id, key, output, error)


def test_finish_with_retry_at_queues_the_next_attempt_for_then(store):
    accepted = store.accept("wf", "hook", {"data": {"n": 1}})
    first = store.claim("w-1")
    assert first.retries == 0 and first.start_step is None
    store.started(first.id)
    assert store.finish(first.id, "failed", "JobError", retry_at=later(0.3))
    retry = store.get_run(accepted.work_order_id)
    assert retry.run.id != first.id and retry.run.state == "available" and retry.run.attempt == 2
    assert retry.run.cause == "retry" and retry.input == {"data": {"n": 1}}
    assert retry.run.available_at > retry.run.inserted_at
    assert store.claim("w-1") is None, "not before its time"
    claimed = wait_until(lambda: store.claim("w-1"), timeout=5)
    assert claimed.id == retry.run.id and claimed.retries == 1 and claimed.attempt == 2
    store.started(claimed.id)
    assert store.finish(claimed.id, "failed", "JobError")
    assert [r.cause for r in store.list_runs(work_order=accepted.work_order_id)] == ["retry", "trigger"]
    assert store.claim("w-1") is None


def test_finish_with_wipe_keeps_the_metadata_only(store):
    accepted = store.accept("wf", "hook", {"data": {"secret": "pii"}})
    claimed = store.claim("w-1")
    store.started(claimed.id)
    record_steps(store, claimed.id, [("a", None, None, None), ("b", None, None, {"name": "JobError"})])
    store.append_logs(claimed.id, ["[R/T] ✔ a completed"])
    store.finish(claimed.id, "failed", "JobError", wipe=True)
    detail = store.get_run(accepted.run_id)
    assert detail.input is None and detail.final_state is None and detail.wiped_at
    assert [(s.step, s.input, s.output, bool(s.error)) for s in detail.steps] == [("a", None, None, False),
                                                                                   ("b", None, None, True)]
    assert detail.run.state == "failed" and detail.logs[0][1] == "[R/T] ✔ a completed"
    with pytest.raises(NotRetryable, match="input is no longer stored") as refused:
        store.retry(accepted.run_id)
    assert f"(wiped at {detail.wiped_at[:19]}" in str(refused.value)  # to the second: each backend's format


def test_manual_retry_from_the_start_and_from_a_step(store):
    accepted = store.accept("wf", "hook", {"data": {"n": 1}, "configuration": {"k": "s3cret"}})
    claimed = store.claim("w-1")
    store.started(claimed.id)
    record_steps(store, claimed.id, [("fetch", {"data": {"n": 1}}, {"data": {"n": 2}}, None),
                                     ("upsert", {"data": {"n": 2}}, {"data": {"n": 2}}, {"name": "JobError"})])
    store.finish(claimed.id, "failed", "JobError")
    later_arrival = store.accept("wf", "hook", {"data": {"n": 9}})
    again = store.retry(claimed.id[:8])
    assert again.work_order_id == accepted.work_order_id and not again.duplicate
    run = store.get_run(again.run_id)
    assert (run.run.cause, run.run.attempt, run.run.start_step) == ("manual", 2, None)
    assert run.input == {"data": {"n": 1}}
    with pytest.raises(NotRetryable, match="already has a run waiting or running") as refused:
        store.retry(claimed.id)
    assert f"(run {again.run_id}, available): wait for it to end" in str(refused.value)
    assert store.claim("w-1").id == again.run_id, "a manual retry goes first (priority 0)"
    store.finish(again.run_id, "failed", "JobError")
    from_step = store.retry(claimed.id, from_step="ups")
    run = store.get_run(from_step.run_id)
    assert (run.run.start_step, run.run.attempt, run.input) == ("upsert", 3, {"data": {"n": 2}})
    assert from_step.work_order_id == accepted.work_order_id and run.run.cause == "manual"
    claimed_again = store.claim("w-1")
    assert claimed_again.start_step == "upsert" and '"n":2' in claimed_again.input.replace(" ", "")
    assert store.get_run(later_arrival.run_id).run.state == "available"
    store.finish(claimed_again.id, "success")
    with pytest.raises(NotRetryable, match=rf"run {claimed.id} has no step 'nope' \(its steps: fetch, upsert\)"):
        store.retry(claimed.id, from_step="nope")
    with pytest.raises(LookupError):
        store.retry("no-such-run")


def test_a_lost_retry_from_a_step_keeps_its_start_and_input(store):
    store.accept("wf", "hook", {"data": 0})
    first = claim_and_end(store, "failed")
    record_steps(store, first.id, [("a", {"data": 1}, {"data": 2}, None)])
    retried = store.retry(first.id, from_step="a")
    new_id = store.lose(store.claim("w-1").id)
    claimed = store.claim("w-1")
    assert claimed.id == new_id and claimed.start_step == "a" and claimed.input.replace(" ", "") == '{"data":1}'
    assert store.get_run(new_id).run.cause == "lost" and retried.run_id != new_id


def test_an_automatic_retry_of_a_run_from_a_step_starts_at_that_step_with_its_input(store):
    store.accept("wf", "hook", {"data": 0})
    first = claim_and_end(store, "failed")
    record_steps(store, first.id, [("a", {"data": 1}, {"data": 2}, None), ("b", {"data": 2}, None, None)])
    from_b = store.retry(first.id, from_step="b")
    claim_and_end(store, "failed", retry_at=now_iso())
    retried = wait_until(lambda: store.claim("w-1"), timeout=5)
    assert retried.work_order_id == from_b.work_order_id and retried.id != from_b.run_id
    assert (retried.start_step, retried.input.replace(" ", ""), retried.retries) == ("b", '{"data":2}', 1)


def test_a_step_retry_says_why_the_step_input_is_missing(store):
    kept = store.accept("wf", "hook", {"data": 0})
    run = claim_and_end(store, "failed")
    record_steps(store, run.id, [("a", None, {"data": 2}, None)])  # a step that started without its input
    with pytest.raises(NotRetryable, match=rf"^run {run.id} cannot be retried from step a: "
                                           r"the input of that step was not stored$"):
        store.retry(run.id, from_step="a")
    store.accept("other", "hook", {"data": 0})
    wiped = store.claim("w-1")
    store.started(wiped.id)
    record_steps(store, wiped.id, [("a", {"data": 1}, {"data": 2}, None)])
    store.finish(wiped.id, "failed", wipe=True)
    wiped_at = store.get_run(wiped.id).wiped_at[:19]
    with pytest.raises(NotRetryable, match=rf"^run {wiped.id} cannot be retried from step a: its input is no "
                                           rf"longer stored \(wiped at {wiped_at}"):
        store.retry(wiped.id, from_step="a")
    assert store.get_run(kept.run_id).run.attempt == 1


def test_max_concurrency_is_enforced_at_claim_time(store):
    for n in range(3):
        store.accept("pair", "hook", {"data": n})
    other = store.accept("free", "hook", {"data": "x"})
    limits = {"pair": 2, "free": 5}  # two limited workflows: one row each in the limits
    taken = [store.claim("w-1", limits) for _ in range(3)]
    assert [c.workflow for c in taken] == ["pair", "pair", "free"] and taken[2].id == other.run_id
    assert store.get_run(taken[0].id).run.worker == "w-1", "a run claimed under a limit records its worker"
    assert store.claim("w-1", limits) is None, "pair has 2 running"
    store.finish(taken[0].id, "success")
    assert store.claim("w-1", limits).workflow == "pair"
    assert store.claim("w-1") is None


def test_max_concurrency_one_keeps_arrival_order_even_across_a_delayed_retry(store):
    first, second, third = (store.accept("seq", "hook", {"data": n}) for n in range(3))
    limits = {"seq": 1}
    claimed = store.claim("w-1", limits)
    assert claimed.id == first.run_id and store.claim("w-1", limits) is None
    store.started(claimed.id)
    store.finish(claimed.id, "failed", retry_at=later(0.3))
    elsewhere = store.accept("free", "hook", {"data": "x"})
    assert store.claim("w-1", limits).id == elsewhere.run_id, "other workflows are not held up"
    assert store.claim("w-1", limits) is None, "the first work order's retry comes before the second"
    retry = wait_until(lambda: store.claim("w-1", limits), timeout=5)
    assert retry.work_order_id == first.work_order_id and retry.attempt == 2
    store.finish(retry.id, "success")
    order = []
    while (run := store.claim("w-1", limits)) is not None:
        order.append(run.id)
        store.finish(run.id, "success")
    assert order == [second.run_id, third.run_id]


def test_a_cron_firing_is_recorded_once_per_scheduled_time(store, store_location):
    assert store.last_firing("wf", "nightly") is None
    fired = store.fire_cron("wf", "nightly", "2024-05-02T02:00:00.000000Z", {"data": {"cursor": 1}})
    assert fired and not fired.duplicate
    run = store.get_run(fired.run_id)
    assert run.input == {"data": {"cursor": 1}} and run.run.trigger == "nightly" and run.run.state == "available"
    other_server = open_store(store_location)
    try:
        assert other_server.fire_cron("wf", "nightly", "2024-05-02T02:00:00.000000Z", {"data": 2}) is None
    finally:
        other_server.close()
    assert store.fire_cron("wf", "other-trigger", "2024-05-02T02:00:00.000000Z", {}) is not None
    assert store.fire_cron("wf", "nightly", "2024-05-03T02:00:00.000000Z", {}) is not None
    assert store.last_firing("wf", "nightly") == "2024-05-03T02:00:00.000000Z"
    assert sum(store.counts().values()) == 3


def test_a_cron_firing_and_a_delivery_run_in_the_order_they_came(store):
    fired = store.fire_cron("wf", "nightly", "2024-05-02T02:00:00.000000Z", {"data": 1})
    delivered = store.accept("wf", "hook", {"data": 2})
    assert [claim_and_end(store).id for _ in range(2)] == [fired.run_id, delivered.run_id]


def test_the_backend_is_the_one_the_location_names(store, store_location):
    from runtime.store import is_database_url

    assert type(store).__name__ == ("PostgresStore" if is_database_url(store_location) else "SQLiteStore")


def test_a_delivery_and_a_later_cron_firing_run_in_the_order_they_came(store):
    delivered = store.accept("wf", "hook", {"data": 1})
    fired = store.fire_cron("wf", "nightly", "2024-05-02T02:00:00.000000Z", {"data": 2})
    assert [claim_and_end(store).id for _ in range(2)] == [delivered.run_id, fired.run_id]


def test_last_output_is_the_cursor_of_the_latest_successful_run(store):
    assert store.last_output("wf") is None and store.last_output("wf", "fetch") is None
    for n, state in ((1, "success"), (2, "success"), (3, "failed")):
        store.accept("wf", "cron", {"data": n})
        claimed = store.claim("w-1")
        record_steps(store, claimed.id, [("fetch", {"data": n}, {"cursor": n}, None)])
        store.finish(claimed.id, state, final_state={"final": n})
        time.sleep(0.002)
    store.accept("wf", "cron", {"data": 4})  # succeeds, but fetch recorded an error: not a cursor for fetch
    claimed = store.claim("w-1")
    record_steps(store, claimed.id, [("fetch", {"data": 4}, {"cursor": 4}, {"name": "JobError"})])
    store.finish(claimed.id, "success", final_state={"final": 4})
    assert store.last_output("wf") == {"final": 4}
    assert store.last_output("wf", "fetch") == {"cursor": 2}
    assert store.last_output("other") is None


def test_purge_deletes_what_is_older_than_history_and_nothing_else(store):
    def run(workflow, state, steps=(), unfinished=False):
        accepted = store.accept(workflow, "hook", {"data": workflow})
        claimed = store.claim("w-1")
        if unfinished:
            return accepted
        record_steps(store, claimed.id, steps)
        store.append_logs(claimed.id, ["a line"])
        store.finish(claimed.id, state, final_state={"data": state})
        time.sleep(0.002)
        return accepted

    old_success = run("wf", "success", [("fetch", {}, {"cursor": 1}, None)])
    old_failed = run("wf", "failed")
    waiting = run("wf", None, unfinished=True)
    latest_success = run("wf", "success", [("report", {}, {}, None)])
    other_workflow = run("other", "failed")
    cutoff = now_iso()
    time.sleep(0.002)
    new_failed = run("wf", "failed")
    store.fire_cron("wf", "cron", "2024-01-01T00:00:00.000000Z", {})
    store.fire_cron("wf", "cron", "2024-01-02T00:00:00.000000Z", {})
    assert store.purge("wf") == Purged(0, 0)
    purged = store.purge("wf", history_before=cutoff)
    assert purged == Purged(deleted=1, wiped=0)
    assert store.get_run(old_failed.run_id) is None
    kept = [old_success, waiting, latest_success, other_workflow, new_failed]
    assert all(store.get_run(a.run_id) is not None for a in kept)
    assert store.get_run(old_success.run_id).logs, "it holds the cursor of step fetch: kept whole"
    assert store.last_firing("wf", "cron") == "2024-01-02T00:00:00.000000Z"
    assert store.fire_cron("wf", "cron", "2024-01-01T00:00:00.000000Z", {}) is not None, "old firing deleted"
    assert store.purge("wf", history_before=cutoff) == Purged(0, 0)


def test_purge_wipes_dataclips_older_than_the_cutoff_and_keeps_metadata(store):
    def run(state):
        accepted = store.accept("wf", "hook", {"data": "in"})
        claimed = store.claim("w-1")
        record_steps(store, claimed.id, [("a", {"data": "in"}, {"data": "out"}, None)])
        store.append_logs(claimed.id, ["line"])
        store.finish(claimed.id, state, final_state={"data": "out"}, webhook_response={"status": 200})
        time.sleep(0.002)
        return accepted

    old, latest_old_success = run("failed"), run("success")
    cutoff = now_iso()
    time.sleep(0.002)
    new = run("failed")
    assert store.purge("wf", dataclips_before=cutoff) == Purged(deleted=0, wiped=1)
    wiped = store.get_run(old.run_id)
    assert wiped.wiped_at and wiped.input is None and wiped.final_state is None and wiped.webhook_response is None
    assert (wiped.steps[0].step, wiped.steps[0].input, wiped.steps[0].output) == ("a", None, None)
    assert wiped.run.state == "failed" and wiped.logs and wiped.run.finished_at
    for accepted in (latest_old_success, new):
        detail = store.get_run(accepted.run_id)
        assert detail.wiped_at is None and detail.input == {"data": "in"} and detail.steps[0].output
    assert store.purge("wf", dataclips_before=cutoff) == Purged(0, 0)
    with pytest.raises(NotRetryable, match="cannot be retried from step a"):
        store.retry(old.run_id, from_step="a")


def test_list_runs_filters_by_trigger_states_work_order_and_pages(store):
    hook = store.accept("wf", "hook", {"data": 1})
    manual = store.accept("wf", "manual", {"data": 2}, priority=0)
    time.sleep(0.002)
    cron = store.accept("wf", "cron", {"data": 3})
    claim_and_end(store, "failed")  # the manual one: priority 0
    assert [r.id for r in store.list_runs(trigger=["manual", "cron"])] == [cron.run_id, manual.run_id]
    assert [r.id for r in store.list_runs(state=("available", "claimed"))] == [cron.run_id, hook.run_id]
    assert [r.id for r in store.list_runs(work_order=hook.work_order_id)] == [hook.run_id]
    assert [r.id for r in store.list_runs(limit=1, offset=1)] == [manual.run_id]
    assert store.list_runs(state=[]) == []


def test_server_running_follows_the_registered_server(store_location):
    server, cli = open_store(store_location), open_store(store_location)
    assert not cli.server_running()
    server.register_worker("w-1")
    assert cli.server_running() and server.server_running()
    server.close()
    assert not cli.server_running()
    cli.close()


def test_step_records_are_the_steps_in_order_with_errors_and_times_not_states(store):
    accepted = store.accept("wf", "hook", {"data": {}})
    claimed = store.claim("w-1")
    store.started(claimed.id)
    record_steps(store, claimed.id, [("fetch", {"in": 1}, {"out": 1}, None),
                                     ("send", {"in": 2}, None, {"type": "JobError", "message": "no"})])
    records = store.step_records(accepted.run_id)
    assert [(r.step, r.input, r.output, r.error) for r in records] == [
        ("fetch", None, None, None), ("send", None, None, {"type": "JobError", "message": "no"})]
    assert all(r.started_at and r.finished_at for r in records)
    assert records[0].started_at <= records[1].started_at
    assert store.step_records("nothing-like-it") == []


def test_count_step_failed_counts_runs_with_a_failed_step_whatever_their_state(store):
    def run(workflow, state, error):
        store.accept(workflow, "hook", {"data": {}})
        claimed = store.claim("w-1")
        store.started(claimed.id)
        record_steps(store, claimed.id, [("only", {}, {}, error)])
        store.finish(claimed.id, state)

    failed_step = {"type": "JobError", "message": "no"}
    run("wf", "success", failed_step)  # a handled failure: the run succeeds
    run("wf", "failed", failed_step)
    run("wf", "success", None)
    run("other", "failed", failed_step)
    assert store.count_step_failed() == 3
    assert store.count_step_failed("wf") == 2
    assert store.count_step_failed("none") == 0


def test_list_runs_with_a_failed_step_alone_or_with_other_filters(store):
    failed_step = {"type": "JobError", "message": "no"}
    ids = {}
    for workflow, error in [("wf", failed_step), ("wf", None), ("other", failed_step)]:
        accepted = store.accept(workflow, "hook", {"data": {}})
        claimed = store.claim("w-1")
        record_steps(store, claimed.id, [("only", {}, {}, error)])
        store.finish(claimed.id, "success")
        ids[(workflow, error is None)] = accepted.run_id
    assert {r.id for r in store.list_runs(step_failed=True)} == {ids[("wf", False)], ids[("other", False)]}
    assert [r.id for r in store.list_runs("wf", step_failed=True)] == [ids[("wf", False)]]
    assert [r.id for r in store.list_runs("wf", "success", step_failed=True)] == [ids[("wf", False)]]


def test_nothing_to_retry_or_resume_from_says_so(store):
    assert store.last_success("never-ran") is None
    with pytest.raises(LookupError, match="^No run or work order matches 'no-such-run'$"):
        store.retry("no-such-run")


def test_a_purge_of_more_than_one_batch_deletes_and_wipes_them_all(store):
    from runtime.store.sql_common import PURGE_BATCH

    for workflow in ("deleted", "wiped"):
        for _ in range(PURGE_BATCH + 20):
            store.accept(workflow, "hook", {"data": {}})
            claim_and_end(store, "failed")
    far = "2999-01-01T00:00:00.000000Z"
    assert store.purge("deleted", history_before=far) == Purged(deleted=PURGE_BATCH + 20, wiped=0)
    assert store.purge("wiped", dataclips_before=far) == Purged(deleted=0, wiped=PURGE_BATCH + 20)
    assert store.counts("deleted") == {} and store.counts("wiped") == {"failed": PURGE_BATCH + 20}


def test_a_stopped_purge_ends_after_its_current_transaction_and_the_next_one_goes_on(store):
    from runtime.store.sql_common import PURGE_BATCH

    for _ in range(PURGE_BATCH + 20):
        store.accept("wf", "hook", {"data": {}})
        claim_and_end(store, "failed")
    far, stop = "2999-01-01T00:00:00.000000Z", threading.Event()
    stop.set()  # a server shutting down: the transaction under way finishes, no other begins
    assert store.purge("wf", history_before=far, stop=stop) == Purged(deleted=PURGE_BATCH, wiped=0)
    assert store.counts("wf") == {"failed": 20}
    assert store.purge("wf", history_before=far) == Purged(deleted=20, wiped=0)


def test_a_cleanup_stopped_by_the_server_begins_no_other_workflows_purge(store):
    import datetime as dt
    from types import SimpleNamespace

    from runtime.server.retention import enforce
    from runtime.workflow.policy import RunPolicy

    for workflow in ("a", "a", "b", "b"):  # each workflow's later run holds its cron cursor
        store.accept(workflow, "hook", {"data": {}})
        claim_and_end(store)
    plans = {name: SimpleNamespace(policy=RunPolicy(history_days=1)) for name in ("a", "b")}
    later, stop = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30), threading.Event()
    stop.set()
    assert enforce(store, plans, later, stop) == {}
    assert store.counts("a") == {"success": 2} and store.counts("b") == {"success": 2}
    assert {name: purged.deleted for name, purged in enforce(store, plans, later).items()} == {"a": 1, "b": 1}


def test_list_runs_gives_fifty_by_default(store):
    for _ in range(51):
        store.accept("wf", "hook", {"data": {}})
    assert len(store.list_runs()) == 50 and len(store.list_runs(limit=51)) == 51


def test_an_ambiguous_prefix_names_the_runs_or_work_orders_it_matches(store):
    first, second = store.accept("wf", "hook", {"data": 1}), store.accept("wf", "hook", {"data": 2})
    common = ""
    while first.run_id.startswith(common + second.run_id[len(common)]):
        common += second.run_id[len(common)]
    with pytest.raises(AmbiguousId) as two_runs:  # runs are matched before work orders
        store.get_run(common)
    assert str(two_runs.value) == f"'{common}' matches several runs: {', '.join(sorted([first.run_id, second.run_id]))}"
    # two work orders whose ids share a prefix that no run id has
    accepted = [first, second]
    prefix = None
    while prefix is None and len(accepted) < 1000:
        accepted.append(store.accept("wf", "hook", {"data": 3}))
        runs = {a.run_id[:2] for a in accepted}
        seen = [a.work_order_id[:2] for a in accepted]
        prefix = next((p for p in seen if seen.count(p) > 1 and p not in runs), None)
    orders = sorted(a.work_order_id for a in accepted if a.work_order_id.startswith(prefix))
    with pytest.raises(AmbiguousId) as orders_matched:
        store.get_run(prefix)
    head, listed = str(orders_matched.value).split(": ")
    assert head == f"'{prefix}' matches several work orders"
    named = listed.split(", ")
    assert len(named) >= 2 and named == sorted(named) and set(named) <= set(orders)


def test_a_prefix_does_not_match_the_ids_that_start_with_the_next_character(store):
    # a run alone under its two-character prefix, and a run under the prefix one character after it
    accepted: list = []
    alone = None
    while alone is None and len(accepted) < 2000:
        accepted.append(store.accept("wf", "hook", {"data": 1}))
        heads = [a.run_id[:2] for a in accepted]
        alone = next((a for a, head in zip(accepted, heads)
                      if heads.count(head) == 1 and head[0] + chr(ord(head[1]) + 1) in heads), None)
    assert store.get_run(alone.run_id[:2]).run.id == alone.run_id


def test_a_run_summary_counts_its_failed_steps_and_names_the_version_it_ran(store):
    accepted = store.accept("wf", "hook", {"data": {}})
    claimed = store.claim("w-1")
    store.started(claimed.id, version="v-7f3a")
    failed = {"type": "JobError", "message": "no"}
    record_steps(store, claimed.id, [("a", {}, None, failed), ("b", {}, {}, None), ("c", {}, None, failed)])
    store.finish(claimed.id, "failed", "JobError")
    for summary in (store.summary(accepted.run_id), store.list_runs("wf")[0]):
        assert (summary.steps_failed, summary.version) == (2, "v-7f3a")
