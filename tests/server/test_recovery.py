"""Runs a dead server left behind are marked lost and run again; a stopped server requeues what it stops."""

from __future__ import annotations

import os

import pytest

from .conftest import open_db, wait_until

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split(") ")[1][0] != "Z"


def test_a_run_started_when_the_server_is_killed_is_lost_then_runs_again(server_factory, tmp_path):
    server = server_factory("--workers", "1")
    server.start()
    pid_file, until_file = tmp_path / "run.pid", tmp_path / "go"
    body = {"pid_file": str(pid_file), "until_file": str(until_file)}
    accepted = server.post("slow", body).json()
    store = open_db(server.db)
    try:
        wait_until(lambda: store.get_run(accepted["run_id"]).run.state == "started" and pid_file.exists())
        run_pid = int(wait_until(pid_file.read_text))
        server.kill()
        wait_until(lambda: not alive(run_pid), timeout=20, message="the run's process outlived the server")
        assert store.get_run(accepted["run_id"]).run.state == "started", "nobody recorded an end"

        server.start()
        lost = store.get_run(accepted["run_id"])
        assert (lost.run.state, lost.run.error_type) == ("lost", "LostError")
        assert f"run {accepted['run_id']} was left unfinished by a server that stopped: marked lost, " \
               f"queued again as" in server.output()
        retry = wait_until(lambda: (r := store.get_run(accepted["work_order_id"])).run.attempt == 2 and r)
        wait_until(lambda: store.get_run(retry.run.id).run.state == "started")
        until_file.touch()
        done = store.wait_for(retry.run.id, timeout=10)
        assert done.state == "success" and done.work_order_id == accepted["work_order_id"]
        assert store.get_run(retry.run.id).final_state["data"]["waited"] is True
        assert store.counts("limits") == {"lost": 1, "success": 1}
    finally:
        store.close()


def test_sigterm_lets_short_runs_finish_and_requeues_the_rest(server_factory, tmp_path):
    server = server_factory("--workers", "2", "--shutdown-timeout-s", "4").start()
    stuck = server.post("slow", {"until_file": str(tmp_path / "never")}).json()["run_id"]
    quick = server.post("slow", {"seconds": 0.3}).json()["run_id"]
    store = open_db(server.db)
    try:
        wait_until(lambda: store.get_run(stuck).run.state == "started" and store.get_run(quick).run.state == "started")
        assert server.stop() == 0
        assert store.get_run(quick).run.state == "success"
        assert store.get_run(stuck).run.state == "lost"
        output = server.output()
        assert "1 run(s) still running" in output or "2 run(s) still running" in output
        assert f"run {stuck} did not finish before the shutdown: lost, queued again as" in output
        assert "pyfn serve stopped (1 run(s) will run again at the next start)" in output
        requeued = store.get_run(store.get_run(stuck).run.work_order_id)
        assert requeued.run.state == "available" and requeued.run.attempt == 2
    finally:
        store.close()
