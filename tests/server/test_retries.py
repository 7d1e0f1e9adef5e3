"""Automatic retries: failed and crashed runs are retried after delay * backoff^(n-1), stopping at max, in the
same work order; killed runs only when ``on`` lists them; a run that succeeds ends the retries."""

from __future__ import annotations


import pytest

from runtime.store import parse_iso

from .conftest import open_db, wait_until
from .projects import runs_of, write_project

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

WORKFLOWS = {
    "fails.yaml": """
        name: fails
        triggers: [{path: fails}]
        retry: {max: 2, delay: 50ms, backoff: 2}
        steps: [{id: divide, expression: "fn(lambda state: {**state, 'data': 1 / 0})"}]
    """,
    "crashes.yaml": """
        name: crashes
        triggers: [{path: crashes}]
        retry: {max: 1, delay: 10ms}
        steps: [{id: oops, expression: "fn(lambda state: __import__('pyfn_no_such_module'))"}]  # crashes
    """,
    "slow.yaml": """
        name: slow
        triggers: [{path: slow}]
        retry: {max: 1, delay: 10ms}
        steps: [{id: sleep, job: ../jobs/sleep.py}]
    """,
    "slow-retried.yaml": """
        name: slow-retried
        triggers: [{path: slow-retried}]
        retry: {max: 1, delay: 10ms, on: [killed]}
        steps: [{id: sleep, job: ../jobs/sleep.py}]
    """,
    "lucky.yaml": """
        name: lucky
        triggers: [{path: lucky}]
        retry: {max: 3, delay: 10ms}
        steps: [{id: second-time, job: ../jobs/second_time.py}]
    """,
}
JOBS = {
    "sleep.py": """
        import time
        fn(lambda state: (time.sleep(10), state)[1])
    """,
    "second_time.py": """
        import os

        def attempt(state):
            marker = state["data"]["marker"]
            if not os.path.exists(marker):
                open(marker, "w").close()
                raise RuntimeError("the first attempt fails")
            return {**state, "data": {**state["data"], "ok": True}}

        fn(attempt)
    """,
}


def settled(store, workflow, count):
    runs = runs_of(store, workflow)
    return runs if len(runs) >= count and all(run.final for run in runs) else None


def test_automatic_retries(server_factory, tmp_path):
    project = write_project(tmp_path / "project", WORKFLOWS, JOBS)
    server = server_factory("--workers", "3", "--run-timeout-ms", "800", project=project).start()
    posted = {name: server.post(name, {"marker": str(tmp_path / "marker")}).json()
              for name in ("fails", "crashes", "slow", "slow-retried", "lucky")}
    store = open_db(server.db)
    try:
        fails = wait_until(lambda: settled(store, "fails", 3), timeout=20)
        crashes = wait_until(lambda: settled(store, "crashes", 2), timeout=20)
        lucky = wait_until(lambda: settled(store, "lucky", 2), timeout=20)
        slow = wait_until(lambda: settled(store, "slow", 1), timeout=20)
        slow_retried = wait_until(lambda: settled(store, "slow-retried", 2), timeout=20)
        # a retry is queued in the transaction that ends the run before it: all final, nothing more comes
        final = {name: runs_of(store, name) for name in posted}
        assert all(run.final for runs in final.values() for run in runs)
    finally:
        store.close()

    assert [(r.attempt, r.cause, r.state, r.error_type) for r in fails] == [
        (1, "trigger", "failed", "RuntimeError"), (2, "retry", "failed", "RuntimeError"),
        (3, "retry", "failed", "RuntimeError")]
    assert {r.work_order_id for r in fails} == {posted["fails"]["work_order_id"]}
    for before, retry, delay in ((fails[0], fails[1], 0.05), (fails[1], fails[2], 0.1)):
        waited = (parse_iso(retry.claimed_at) - parse_iso(before.finished_at)).total_seconds()
        assert waited >= delay * 0.9, f"retried after {waited:.3f}s, expected {delay}s"
    assert [(r.cause, r.state, r.error_type) for r in crashes] == [
        ("trigger", "crashed", "RuntimeCrash"), ("retry", "crashed", "RuntimeCrash")]
    assert [(r.cause, r.state) for r in lucky] == [("trigger", "failed"), ("retry", "success")]
    assert [(r.state, r.error_type) for r in slow] == [("killed", "TimeoutError")], "killed: not retried"
    assert [(r.cause, r.state) for r in slow_retried] == [("trigger", "killed"), ("retry", "killed")]
    assert {name: len(runs) for name, runs in final.items()} == {
        "fails": 3, "crashes": 2, "slow": 1, "slow-retried": 2, "lucky": 2}, "retries stop at max"
    output = wait_until(lambda: text if "[fails, attempt 3]\n" in (text := server.output()) else None)
    assert f"[fails, attempt 1]; automatic retry 1 of 2 in 50ms" in output
    assert f"[fails, attempt 2]; automatic retry 2 of 2 in 100ms" in output
    assert "[fails, attempt 3]\n" in output


def test_a_waiting_automatic_retry_runs_now_when_asked(server_factory, tmp_path):
    from .projects import pyfn

    project = write_project(tmp_path / "project", {"later.yaml": """
        name: later
        triggers: [{path: later}]
        retry: {max: 1, delay: 1h}
        steps: [{id: divide, expression: "fn(lambda state: {**state, 'data': 1 / 0})"}]
    """})
    server = server_factory("--workers", "1", project=project).start()
    first = server.post("later", {}).json()["run_id"]
    store = open_db(server.db)
    try:
        waiting = wait_until(lambda: (runs := runs_of(store, "later")) and len(runs) == 2 and runs[1])
    finally:
        store.close()
    assert (waiting.state, waiting.cause, waiting.attempt) == ("available", "retry", 2)
    now = pyfn("runs", "retry", first[:8], "--now", "--wait", "--db", server.db)
    assert now.returncode == 1, now.stdout  # the retry ran now, and failed again (its exit code says so)
    assert f"Run {waiting.id} (attempt 2, retry) of work order {waiting.work_order_id} runs now instead of at " \
           in now.stdout and f"Run {waiting.id} failed" in now.stdout
    again = pyfn("runs", "retry", first[:8], "--now", "--db", server.db)
    assert again.returncode == 1
    assert f"No automatic retry of work order {waiting.work_order_id} is waiting: its latest run {waiting.id} " \
           f"is failed" in again.stdout
