"""Runaway jobs: an endless loop and a memory hog are killed in their own process; the server keeps serving."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import open_db, wait_until

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each


def test_endless_loop_and_memory_hog_are_killed_while_the_server_keeps_answering(server_factory):
    # each on a server of its own: the hog has all the time it needs to pass its memory limit, however busy
    # the machine, so which limit stops it never depends on speed
    server = server_factory("--workers", "2", "--run-timeout-ms", "2000", "--memory-mb", "200").start()
    hog_server = server_factory("--workers", "1", "--memory-mb", "200").start()
    loop = server.post("loop", {}).json()["run_id"]
    hog = hog_server.post("hog", {}).json()["run_id"]
    store, hog_store = open_db(server.db), open_db(hog_server.db)
    try:
        wait_until(lambda: store.get_run(loop).run.state == "started", message="the loop never started")
        started = time.monotonic()
        while not (store.get_run(loop).run.final and hog_store.get_run(hog).run.final):
            assert time.monotonic() - started < 60, "the runaway runs were not stopped"
            # a server running the job itself would never answer: the timeouts only bound a hang
            for each in (server, hog_server):
                assert requests.get(f"{each.url}/health", timeout=10).status_code == 200
                assert each.post("open", {"while": "busy"}, timeout=10).status_code == 201
            time.sleep(0.05)
        loop_run, hog_run = store.get_run(loop), hog_store.get_run(hog)
        assert (loop_run.run.state, loop_run.run.error_type) == ("killed", "TimeoutError")
        assert loop_run.run.duration_ms >= 1900, "killed at its timeout, not before"
        assert (hog_run.run.state, hog_run.run.error_type) == ("killed", "OOMError")
        assert any("exceeded maximum memory usage" in line for _, line in hog_run.logs)
        assert any("failed to return within 2000ms" in line for _, line in loop_run.logs)
        assert loop_run.steps[-1].step == "loop" and loop_run.steps[-1].finished_at is None
        wait_until(lambda: store.counts("open").get("success", 0) >= 1)
        wait_until(lambda: f"run {loop} killed (TimeoutError)" in server.output())
        wait_until(lambda: f"run {hog} killed (OOMError)" in hog_server.output())
    finally:
        store.close()
        hog_store.close()
