"""``pyfn db upgrade`` and ``pyfn worker`` from the command line: start, stop, and fencing a worker declared dead."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys

import pytest

from runtime.store.collections import StoreCollections
from runtime.store.postgres import PostgresStore

from .procs import ROOT, Worker, wait_until

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each


def pyfn(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_db_upgrade_migrates_once_then_says_it_is_up_to_date(pg_url):
    first, second = pyfn("db", "upgrade", "--db", pg_url), pyfn("db", "upgrade", "--db", pg_url)
    assert first.returncode == 0 and "applied 0001 initial" in first.stdout, first.stdout + first.stderr
    assert second.returncode == 0 and "(already up to date)" in second.stdout and "applied" not in second.stdout


def test_db_upgrade_reports_an_unreachable_database():
    done = pyfn("db", "upgrade", "--db", "postgresql://pyfn:s3cret@127.0.0.1:1/pyfn")
    assert done.returncode == 1 and "cannot upgrade postgresql://pyfn:****@127.0.0.1:1/pyfn" in done.stdout
    assert "s3cret" not in done.stdout


def test_a_worker_needs_postgresql(tmp_path):
    done = pyfn("worker", "tests/scale/fixtures/project", "--db", str(tmp_path / "pyfn.db"))
    assert done.returncode == 1 and "pyfn worker needs a shared PostgreSQL store" in done.stdout


def test_the_cli_does_not_load_psycopg_until_a_command_needs_it():
    code = "import sys, runtime.cli; assert 'psycopg' not in sys.modules, 'psycopg imported'"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_a_worker_registers_and_leaves_cleanly_on_sigterm(pg_url, tmp_path):
    store = PostgresStore(pg_url)
    try:
        worker = Worker(tmp_path, "worker", pg_url, "--workers", "1").start()
        (worker_id, kind, _, pid), = store.live_workers()
        assert kind == "worker" and pid == worker.pid and worker_id in worker.output()
        assert worker.stop() == 0 and "pyfn worker stopped" in worker.output()
        assert store.live_workers() == []
    finally:
        store.close()


def test_a_worker_declared_dead_stops_and_exits_1(pg_url, tmp_path):
    store = PostgresStore(pg_url, lost_after_s=1)
    try:
        worker = Worker(tmp_path, "worker", pg_url, "--workers", "1", "--heartbeat-s", "0.2",
                        "--lost-after-s", "1").start()
        worker.process.send_signal(signal.SIGSTOP)  # frozen: a paused VM, a machine cut off
        try:
            wait_until(lambda: not store.live_workers(), timeout=10)
            store.recover_lost([])
        finally:
            worker.process.send_signal(signal.SIGCONT)
        assert worker.process.wait(timeout=10) == 1
        assert "the store declared this process dead" in worker.output()
    finally:
        store.close()


SANDBOXED_JOB = """
import os

def look(state):
    try:
        open("written-by-the-run.txt", "w").close()
        wrote = "written"
    except OSError as error:
        wrote = error.errno
    return {**state, "data": {"wrote": wrote, "processes": len([p for p in os.listdir("/proc") if p.isdigit()])}}

fn(look)
collections.set("seen", "look", state["data"])
"""


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")
def test_a_worker_with_sandbox_runs_each_run_in_bubblewrap(pg_url, tmp_path):
    project = tmp_path / "project"
    (project / "workflows").mkdir(parents=True)
    (project / "jobs").mkdir()
    (project / "workflows" / "look.yaml").write_text("name: look\nsteps:\n  - id: look\n    job: ../jobs/look.py\n")
    (project / "jobs" / "look.py").write_text(SANDBOXED_JOB)
    collections = StoreCollections(pg_url)
    collections.create("seen")
    worker = Worker(tmp_path, "worker", pg_url, "--workers", "1", "--sandbox", project=project).start()
    done = pyfn("trigger", "look", str(project), "--db", pg_url, "--wait")
    assert done.returncode == 0, done.stdout + done.stderr + worker.output()
    seen = json.loads(collections.get("seen", "look"))
    assert seen["wrote"] == 30 and seen["processes"] <= 4  # a read-only project, its own pid namespace
    assert not (project / "written-by-the-run.txt").exists()
    collections.close()
    assert worker.stop() == 0
