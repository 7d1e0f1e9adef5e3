"""The run store's contract, one suite for every backend (SQLite now; PostgreSQL joins the fixture later).

Nothing here relies on a backend's own behaviour: only the ``RunStore`` interface.
"""

from __future__ import annotations

import threading
import time

import pytest

from runtime.store import FINAL_STATES, AmbiguousId, RawJSON, StoreBusy, open_store


@pytest.fixture(params=["sqlite"])
def store_location(request, tmp_path):
    """Where a fresh store lives, per backend."""
    return str(tmp_path / "state" / "pyfn.db")


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


def test_wait_for_returns_when_the_run_ends_or_at_the_timeout(store):
    accepted = store.accept("wf", "hook", {"data": 1})
    claimed = store.claim("w")
    assert store.wait_for(claimed.id, timeout=0.05).state == "claimed"
    timer = threading.Timer(0.1, store.finish, args=(claimed.id, "success"))
    started = time.monotonic()
    timer.start()
    summary = store.wait_for(accepted.run_id, timeout=5)
    assert summary.state == "success" and time.monotonic() - started < 2
    assert summary.meta()["run_id"] == accepted.run_id and summary.meta()["finished_at"]
    assert store.wait_for("missing", timeout=0.01) is None


def test_committed_deliveries_are_there_for_the_next_process(store_location):
    first = open_store(store_location)
    accepted = [first.accept("wf", "hook", {"data": n}) for n in range(5)]
    first.close()
    again = open_store(store_location)
    assert [again.get_run(a.run_id).input for a in accepted] == [{"data": n} for n in range(5)]
    again.close()


def test_one_server_at_a_time(store_location):
    first, second = open_store(store_location), open_store(store_location)
    first.register_worker("w-1")
    with pytest.raises(StoreBusy, match="in use by another pyfn serve"):
        second.register_worker("w-2")
    first.close()
    second.register_worker("w-2")
    second.close()


def test_final_states_are_lightnings():
    assert FINAL_STATES == {"success", "failed", "crashed", "killed", "lost"}
