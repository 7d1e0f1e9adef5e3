"""``--sandbox``: each run in bubblewrap, with a read-only project, no state/ nor run store, a private /tmp.

These tests start real ``bwrap`` sandboxes; they are skipped only where bwrap is not installed
(``bin/setup --test`` installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest

from runtime import defaults
from runtime.store.collections import StoreCollections

from .conftest import ROOT, finished_run, wait_until
from .projects import pyfn, write_project

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")

PROBE_JOB = """
import os

def attempt(action):
    try:
        return action()
    except OSError as error:
        return f"{type(error).__name__} {error.errno}"

def probe(state):
    root, tmpfile = state["data"]["project"], state["data"]["tmpfile"]
    found = {
        "project_write": attempt(lambda: open(os.path.join(root, "jobs", "written.txt"), "w").write("x")),
        "state_listing": attempt(lambda: sorted(os.listdir(os.path.join(root, "state")))),
        "store": attempt(lambda: open(state["data"]["db"], "rb").read(16).decode("latin-1")),
        "tmp_write": attempt(lambda: open(tmpfile, "w").write("private")),
        "tmp_read_back": attempt(lambda: open(tmpfile).read()),
        "uid": os.getuid(),
        "niceness": os.nice(0),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    }
    return {**state, "found": found}

fn(probe)
collections.set("seen", "probe", {"ok": True})
collections.get("seen", "probe")
"""
HANG_JOB = """
import subprocess, time

def hang(state):
    subprocess.Popen(["sleep", state["data"]["seconds"]])
    time.sleep(600)
    return state

fn(hang)
"""


@pytest.fixture
def project(tmp_path):
    def workflow(name: str) -> str:
        return f"name: {name}\ntriggers: [{{path: {name}}}]\nsteps:\n  - id: {name}\n    job: ../jobs/{name}.py\n"

    return write_project(tmp_path / "project", {"probe.yaml": workflow("probe"), "hang.yaml": workflow("hang")},
                         {"probe.py": PROBE_JOB, "hang.py": HANG_JOB})


def _serve(server_factory, project, *args):
    server = server_factory("--workers", "1", "--sandbox", *args, project=project)
    server.db = project / "state" / "pyfn.db"  # the default place, inside the project
    assert pyfn("collections", "create", "seen", "--db", server.db).returncode == 0
    return server.start()


def _probe(server, project, tmpfile):
    body = {"project": str(project), "db": str(server.db), "tmpfile": str(tmpfile)}
    run = finished_run(server, server.post("probe", body).json()["run_id"])
    assert run.run.state == "success", run.logs
    return run.final_state


def test_a_sandboxed_run_sees_a_read_only_project_no_state_and_a_private_tmp(server_factory, project, tmp_path):
    server = _serve(server_factory, project)
    tmpfile = tmp_path / "written-by-the-run.txt"
    final = _probe(server, project, tmpfile)
    found = final["found"]
    assert found["project_write"] == "OSError 30"  # EROFS: the project is read-only
    assert found["state_listing"] == []  # state/ is an empty folder in the sandbox...
    assert sorted(os.listdir(project / "state"))[:1] == ["pyfn.db"]  # ...while the store is there
    assert found["store"] == "FileNotFoundError 2"
    assert found["tmp_read_back"] == "private" and not tmpfile.exists()  # the run's /tmp is its own
    assert found["niceness"] == min(19, os.nice(0) + defaults.RUN_NICENESS)  # the server first on busy cores
    assert len(found["processes"]) <= 4  # its own pid namespace: bwrap, the run, nothing of the host
    assert not (project / "jobs" / "written.txt").exists()
    assert final["data"] == {"ok": True}  # collections through the server, which holds the store
    assert StoreCollections(server.db).get("seen", "probe") == '{"ok":true}'


def test_a_sandboxed_run_as_another_user(server_factory, project, tmp_path):
    if os.geteuid() != 0:
        pytest.fail("--run-as needs root: run this test as root (CI's container does)")
    server = _serve(server_factory, project, "--run-as", "nobody")
    final = _probe(server, project, tmp_path / "as-nobody.txt")
    found = final["found"]
    assert found["uid"] == 65534 and final["data"] == {"ok": True}
    assert found["project_write"].endswith((" 13", " 30")) and found["store"].endswith((" 2", " 13"))  # errors


def test_a_sandboxed_run_past_its_time_is_killed_with_every_process_it_started(server_factory, project):
    server = _serve(server_factory, project, "--run-timeout-ms", "3000")
    seconds = f"600.{uuid.uuid4().int % 10**9}"  # tells this test's sleep from any other
    run_id = server.post("hang", {"seconds": seconds}).json()["run_id"]
    wait_until(lambda: _processes(b"sleep\0" + seconds.encode()), timeout=30, message="the job's sleep never ran")
    run = finished_run(server, run_id)
    assert (run.run.state, run.run.error_type) == ("killed", "TimeoutError"), run.logs
    wait_until(lambda: not _processes(b"sleep\0" + seconds.encode()), timeout=10,
               message="a process of the sandbox outlived its run")


def _processes(cmdline: bytes) -> list[int]:
    """The live processes of this machine whose command line starts with ``cmdline``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if entry.isdigit() and handle.read().startswith(cmdline):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def test_sandbox_without_bwrap_is_a_one_line_error_at_start(tmp_path, project):
    env = {**os.environ, "PATH": str(tmp_path / "no-programs-here")}
    result = subprocess.run([sys.executable, "-m", "runtime.cli", "serve", str(project), "--port", "0", "--sandbox",
                             "--db", str(tmp_path / "pyfn.db")], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "--sandbox needs bubblewrap" in result.stdout and "apt-get install bubblewrap" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_store_in_the_project_folder_itself_is_refused_with_sandbox(tmp_path, project):
    result = pyfn("serve", project, "--port", "0", "--sandbox", "--db", project / "pyfn.db")
    assert result.returncode == 1
    assert "runs see" in result.stdout and "Traceback" not in result.stdout + result.stderr
