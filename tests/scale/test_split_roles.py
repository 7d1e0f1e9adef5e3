"""A webhook server that runs nothing and a worker elsewhere: sync replies and the CLI work across them."""

from __future__ import annotations

import pytest

from .procs import Server, Worker
from .test_worker_cli import pyfn

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each


def test_a_sync_reply_waits_for_a_run_on_another_process_and_the_cli_reads_the_shared_store(pg_url, tmp_path):
    server = Server(tmp_path, "server", pg_url, "--no-workers").start()
    worker = Worker(tmp_path, "worker", pg_url, "--workers", "1").start()
    try:
        assert "0 worker(s)" in server.output() and "pyfn worker" in worker.output()
        server.post("doubler", {"n": 1})
        # the server is woken by the run's end (tests/scale/test_postgres_store.py checks the wake itself)
        answer = server.post("doubler", {"n": 21})
        assert answer.status_code == 201 and answer.json()["data"]["data"] == {"doubled": 42}, answer.text
        run_id = answer.headers["x-meta-run-id"]
        listed = pyfn("runs", "list", "--db", pg_url, "--workflow", "doubler")
        assert listed.returncode == 0 and run_id in listed.stdout and "2 success" in listed.stdout, listed.stdout
        shown = pyfn("runs", "show", run_id[:8], "--db", pg_url, "--states")
        assert shown.returncode == 0 and '"doubled": 42' in shown.stdout, shown.stdout
    finally:
        server.stop()
        worker.stop()
    assert "run " + run_id + " success" in worker.output()
