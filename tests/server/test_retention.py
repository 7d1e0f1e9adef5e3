"""Retention with the clock moved ahead (``serve_on_clock.py offset=...``): ``keep_dataclips_days`` wipes inputs and
outputs, ``history_days`` deletes work orders, each sparing the cron cursor and every other workflow; and
``zero_persistence`` never keeps inputs or outputs, while sync replies and automatic retries still work."""

from __future__ import annotations

import pytest
import requests

from .conftest import open_db, wait_until
from .projects import pyfn, runs_of, write_project

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

DAY = 86_400
MAYBE_FAIL = "fn(lambda state: {**state, 'data': 1 / 0} if state['data'].get('fail') else state)"
WORKFLOWS = {
    "short.yaml": f"""
        name: short
        triggers: [{{path: short}}]
        history_days: 2
        steps: [{{id: step, expression: "{MAYBE_FAIL}"}}]
    """,
    "clips.yaml": f"""
        name: clips
        triggers: [{{path: clips}}]
        keep_dataclips_days: 1
        steps: [{{id: step, expression: "{MAYBE_FAIL}"}}]
    """,
    "forever.yaml": f"""
        name: forever
        triggers: [{{path: forever}}]
        steps: [{{id: step, expression: "{MAYBE_FAIL}"}}]
    """,
    "zero.yaml": """
        name: zero
        triggers: [{path: zero, reply: sync}]
        zero_persistence: true
        retry: {max: 1, delay: 10ms}
        steps: [{id: answer, job: ../jobs/answer.py}]
    """,
}
ANSWER = """
    log("patient", state["data"]["patient"])
    fn(lambda state: {**state, "data": {**state["data"], "seen": True},
                      "webhookResponse": {"status": 202, "body": {"accepted": state["data"]["patient"]}}}
       if not state["data"].get("fail") else {**state, "data": 1 / 0})
"""


def post_all(server, store) -> dict[str, list[str]]:
    """Old runs of each workflow: success, failure, success (the last one is each workflow's cursor).

    Each run ends before the next is posted: the cursor is the latest successful run to *finish*, and with
    two workers the first could otherwise finish after the third.
    """
    posted: dict[str, list[str]] = {}
    for name in ("short", "clips", "forever"):
        for n in range(3):
            run_id = server.post(name, {"n": n, "fail": n == 1}).json()["run_id"]
            wait_until(lambda: store.get_run(run_id).run.final, timeout=60)
            posted.setdefault(name, []).append(run_id)
    return posted


def all_final(store, count):
    return sum(store.counts().values()) == count and not set(store.counts()) & {"available", "claimed", "started"}


def test_retention_and_zero_persistence(server_factory, tmp_path):
    project = write_project(tmp_path / "project", WORKFLOWS, {"answer.py": ANSWER})
    server = server_factory("--workers", "2", project=project).start()
    store = open_db(server.db)
    try:
        posted = post_all(server, store)
        reply = server.post("zero", {"patient": "Zoë"})
        assert (reply.status_code, reply.json()) == (202, {"accepted": "Zoë"}), "the sync reply still works"
        failing = server.post("zero", {"patient": "Ama", "fail": True}).headers["x-meta-work-order-id"]
        wait_until(lambda: all_final(store, 9 + 1 + 2), timeout=60)
        check_zero_persistence(store, reply.headers["x-meta-run-id"], failing, server)
        server.stop()

        later = server_factory("--workers", "1", "--cleanup-interval-s", "60", project=project)
        later.db = server.db
        later.clock = f"offset={1.5 * DAY}"
        later.start()
        wait_until(lambda: "retention: workflow clips: 0 work order(s) deleted, 2 wiped" in later.output())
        later.stop()
        clips = {run_id: store.get_run(run_id) for run_id in posted["clips"]}
        assert [bool(clips[i].wiped_at) for i in posted["clips"]] == [True, True, False], "the cursor is kept"
        wiped = clips[posted["clips"][0]]
        assert wiped.input is None and wiped.final_state is None and wiped.steps[0].output is None
        assert wiped.run.state == "success" and wiped.steps[0].finished_at and wiped.logs, "metadata stays"
        assert clips[posted["clips"][2]].input["data"] == {"n": 2, "fail": False}
        assert all(store.get_run(i).wiped_at is None for i in posted["short"] + posted["forever"])
        assert "retention: workflow short" not in later.output(), "1.5 days is within short's 2"

        latest = server_factory("--workers", "1", project=project)
        latest.db = server.db
        latest.clock = f"offset={3 * DAY}"
        latest.start()
        wait_until(lambda: "retention: workflow short: 2 work order(s) deleted, 0 wiped" in latest.output())
        latest.stop()
        assert [store.get_run(i) is not None for i in posted["short"]] == [False, False, True]
        assert all(store.get_run(i) is not None and store.get_run(i).input for i in posted["forever"])
        assert [run.id for run in runs_of(store, "clips")] == posted["clips"], "wiped, never deleted"
        assert "retention: workflow clips" not in latest.output() and "retention: workflow zero" not in latest.output()
    finally:
        store.close()


def check_zero_persistence(store, run_id, failing_work_order, server):
    detail = store.get_run(run_id)
    assert detail.run.state == "success" and detail.wiped_at
    assert detail.input is None and detail.final_state is None and detail.webhook_response is None
    assert [(s.step, s.input, s.output) for s in detail.steps] == [("answer", None, None)]
    assert any("patient Zoë" in line for _, line in detail.logs), "logs are kept"
    attempts = runs_of(store, "zero", work_order=failing_work_order)
    assert [(r.cause, r.state) for r in attempts] == [("trigger", "failed"), ("retry", "failed")]
    for attempt in attempts:  # the retry got the input: it is wiped only after the last attempt
        assert any("patient Ama" in line for _, line in store.get_run(attempt.id).logs)
    assert store.get_run(attempts[-1].id).wiped_at
    retried = pyfn("runs", "retry", run_id, "--db", server.db)
    assert retried.returncode == 1
    assert f"Cannot retry: run {run_id} cannot be retried: its input is no longer stored (wiped at " in retried.stdout
    answer = requests.get(f"{server.url}/health", timeout=5)
    assert answer.status_code == 200
