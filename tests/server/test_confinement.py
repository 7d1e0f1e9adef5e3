"""A run is confined to itself: its own variables, its whole process tree within the limits and killed with it,
and (``--run-as``) no way to open the run store."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from runtime import defaults
from runtime.store.collections import StoreCollections

from .conftest import finished_run, wait_until
from .projects import pyfn, write_project

ENVIRONMENT_JOB = """
import os

def look(state):
    try:
        block = open("/proc/self/environ", "rb").read().split(b"\\0")
    except OSError:  # as another user (--run-as) the process's own block is not even readable
        block = []
    return {**state, "data": {"env": sorted(os.environ), "block": sorted(v.split(b"=")[0].decode() for v in block if v),
                              "uid": os.getuid(), "niceness": os.nice(0)}}

fn(look)
"""
FORK_JOB = """
import os, time

def fork(state):
    child = os.fork()
    if child == 0:
        time.sleep(600)  # a grandchild that would outlive the run
        os._exit(0)
    open(state["data"]["pidfile"], "w").write(str(child))
    if state["data"].get("hang"):
        while True:
            time.sleep(0.05)
    return state

fn(fork)
"""
HOG_JOB = """
import subprocess, sys

HOG = "kept = []\\nwhile True:\\n    kept.append(bytearray(10 * 1024 * 1024))\\n"

def hog(state):
    child = subprocess.Popen([sys.executable, "-c", HOG])
    open(state["data"]["pidfile"], "w").write(str(child.pid))
    child.wait()
    return state

fn(hog)
"""
CHATTY_HOG_JOB = """
import time

def hog(state):
    kept, began = [], time.monotonic()
    while time.monotonic() < began + 30:  # log lines without a pause, and pass the limit after a while
        print("holding", len(kept) * 300, "MB")
        if not kept and time.monotonic() > began + 0.5:
            kept.append(bytearray(300 * 1024 * 1024))
    return state

fn(hog)
"""
STORE_JOB = """
def peek(state):
    return {**state, "data": {"head": open(state["data"]["db"], "rb").read(16).decode("latin-1")}}

fn(peek)
"""
COLLECTIONS_JOB = """
import os

def peek(state):
    try:
        open(state["data"]["db"], "rb").close()
        opened = "opened"
    except OSError as error:
        opened = type(error).__name__
    return {**state, "opened": opened, "uid": os.getuid()}

fn(peek)
collections.set("crm-ids", state["data"]["case_id"], {"crm_id": 7})
collections.get("crm-ids", state["data"]["case_id"])
"""

FIND_PIPES = """
import sys

def pipes():
    \"\"\"The run's end of its pipe, found in the frames of the run's process (the forkserver's objects are frozen,
    out of gc's sight).\"\"\"
    found = {}
    for frame in sys._current_frames().values():
        while frame is not None:
            conn = frame.f_locals.get("conn")
            if type(conn).__name__ == "Connection":
                found[id(conn)] = conn
            frame = frame.f_back
    assert found, "no pipe found"
    return list(found.values())
"""
PICKLE_JOB = FIND_PIPES + """

def attack(state):
    marker = state["data"]["marker"]

    class Exploit:
        def __reduce__(self):  # what unpickling it does: create the marker file, in whoever reads it
            return (open, (marker, "w"))

    for pipe in pipes():
        pipe.send(Exploit())
    return state

fn(attack)
"""
OVERSIZE_JOB = FIND_PIPES + """

def flood(state):
    head, tail = b'["LogLine",{"at":"2024-05-02T10:15:43Z","line":"', b'"}]'
    record = head + b"x" * (state["data"]["size"] - len(head) - len(tail)) + tail  # a valid record, too long
    for pipe in pipes():
        pipe.send_bytes(record)
    return state

fn(flood)
"""
BIG_STATE_JOB = """
def grow(state):
    return {**state, "data": {"rows": ["r" * 1000] * (state["data"]["kb"])}}

fn(grow)
"""


def _workflow(name: str, job: str, configuration: str = "") -> str:
    return (f"name: {name}\ncredentials: credentials.yaml\ntriggers: [{{path: {name}}}]\n"
            f"steps:\n  - id: {name}\n    job: ../jobs/{job}\n{configuration}")


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "project", {
        "env.yaml": _workflow("env", "environment.py", "    configuration: own\n"),
        "other.yaml": _workflow("other", "environment.py", "    configuration: other\n"),
        "fork.yaml": _workflow("fork", "fork.py"),
        "hog.yaml": _workflow("hog", "hog.py"),
        "chatty.yaml": _workflow("chatty", "chatty.py"),
        "peek.yaml": _workflow("peek", "peek.py"),
        "remember.yaml": _workflow("remember", "remember.py"),
        "attack.yaml": _workflow("attack", "attack.py"),
        "flood.yaml": _workflow("flood", "flood.py"),
        "grow.yaml": _workflow("grow", "grow.py"),
        "credentials.yaml": "own: {apiKey: '${CONFINE_OWN_KEY}'}\nother: {apiKey: '${CONFINE_OTHER_KEY}'}\n",
    }, {"environment.py": ENVIRONMENT_JOB, "fork.py": FORK_JOB, "hog.py": HOG_JOB, "chatty.py": CHATTY_HOG_JOB, "peek.py": STORE_JOB,
                                                                   "remember.py": COLLECTIONS_JOB,
                                                                   "attack.py": PICKLE_JOB, "flood.py": OVERSIZE_JOB,
                                                                   "grow.py": BIG_STATE_JOB})


def _serve(server_factory, project, *args):
    server = server_factory("--workers", "2", *args, project=project)
    server.env.update({"CONFINE_OWN_KEY": "own-key-1234", "CONFINE_OTHER_KEY": "other-key-5678",
                       "CONFINE_UNRELATED": "server-only-9999", "PYFN_API_TOKEN": "confine-token-1"})
    return server.start()


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # dead, not yet reaped by whoever adopted it


def test_a_run_sees_only_the_variables_its_own_credentials_name(server_factory, project):
    server = _serve(server_factory, project)
    run = finished_run(server, server.post("env", {}).json()["run_id"])
    assert run.run.state == "success", run.logs
    seen = run.final_state["data"]
    assert "CONFINE_OWN_KEY" in seen["env"] and "PATH" in seen["env"]
    assert not {"CONFINE_OTHER_KEY", "CONFINE_UNRELATED", "PYFN_API_TOKEN"} & set(seen["env"])
    assert not {"CONFINE_UNRELATED", "PYFN_API_TOKEN"} & set(seen["block"])  # nor the process's first block
    assert seen["niceness"] == min(19, os.nice(0) + defaults.RUN_NICENESS)  # the server (niced as this test) first


def test_a_forked_grandchild_ends_with_its_run_killed_orfinished_run(server_factory, project, tmp_path):
    server = _serve(server_factory, project, "--run-timeout-ms", "3000")
    for hang, state in ((True, "killed"), (False, "success")):
        pidfile = tmp_path / f"grandchild-{hang}"
        run = finished_run(server, server.post("fork", {"pidfile": str(pidfile), "hang": hang}).json()["run_id"])
        assert run.run.state == state, run.logs
        grandchild = int(pidfile.read_text())
        wait_until(lambda: _gone(grandchild), timeout=10, message=f"grandchild {grandchild} outlived its run")


def test_a_memory_hogging_subprocess_kills_its_run_and_dies_with_it(server_factory, project, tmp_path):
    server = _serve(server_factory, project, "--memory-mb", "200", "--run-timeout-ms", "0")
    pidfile = tmp_path / "hog"
    run = finished_run(server, server.post("hog", {"pidfile": str(pidfile)}).json()["run_id"])
    assert (run.run.state, run.run.error_type) == ("killed", "OOMError")
    wait_until(lambda: _gone(int(pidfile.read_text())), timeout=10, message="the hog outlived its run")


def test_a_run_logging_without_a_pause_is_still_checked_and_killed_over_its_memory(server_factory, project):
    server = _serve(server_factory, project, "--memory-mb", "200", "--run-timeout-ms", "0")
    run = finished_run(server, server.post("chatty", {}).json()["run_id"])
    assert (run.run.state, run.run.error_type) == ("killed", "OOMError"), run.logs[-3:]


def test_a_job_writing_a_pickle_on_its_pipe_crashes_its_run_and_runs_nothing_in_the_server(server_factory,
                                                                                            project, tmp_path):
    server = _serve(server_factory, project)
    marker = tmp_path / "unpickled"
    run = finished_run(server, server.post("attack", {"marker": str(marker)}).json()["run_id"])
    assert (run.run.state, run.run.error_type) == ("crashed", "ExitError"), run.logs
    assert any("cannot read" in line for _, line in run.logs), run.logs
    assert not marker.exists()
    assert server.post("env", {}).status_code in (200, 201, 202)  # the server goes on


def test_a_record_over_the_bound_crashes_its_run_unread_and_a_big_state_within_it_succeeds(server_factory, project):
    server = _serve(server_factory, project)
    bound = defaults.RUN_MESSAGE_MB * 1024 * 1024
    run = finished_run(server, server.post("flood", {"size": bound + 1}).json()["run_id"])
    assert (run.run.state, run.run.error_type) == ("crashed", "ExitError"), run.logs[-3:]
    told = [line for _, line in run.logs if "over the 64 MB" in line]
    assert len(told) == 1 and "keep big data in a collection" in told[0] and "\n" not in told[0], run.logs[-3:]
    assert not any("x" * 100 in line for _, line in run.logs)  # nothing of the record reached the store
    big = finished_run(server, server.post("grow", {"kb": 30_000}).json()["run_id"])  # a 30 MB state
    assert big.run.state == "success", big.logs[-3:]
    assert len(big.final_state["data"]["rows"]) == 30_000 and big.final_state["data"]["rows"][-1] == "r" * 1000
    assert finished_run(server, server.post("env", {}).json()["run_id"]).run.state == "success"


@pytest.fixture
def open_folder_db():
    """A store file in a folder anyone may enter (pytest's tmp_path is root's own): only its mode keeps runs out.

    Ask for it before ``server_factory``: the folder goes after the servers stop.
    """
    if os.geteuid() != 0:
        pytest.fail("--run-as needs root: run this test as root (CI's container does)")
    folder = Path(tempfile.mkdtemp(prefix="pyfn-confine-"))
    folder.chmod(0o755)
    yield folder / "pyfn.db"
    shutil.rmtree(folder, ignore_errors=True)


def test_a_run_as_another_user_cannot_open_the_run_store(open_folder_db, server_factory, project):
    db = open_folder_db
    server = _serve(server_factory, project, "--run-as", "nobody", "--db", str(db))
    server.db = db
    run = finished_run(server, server.post("peek", {"db": str(db)}).json()["run_id"])
    assert run.run.state == "failed", run.logs
    assert "Permission denied" in run.steps[0].error["message"]
    env = finished_run(server, server.post("env", {}).json()["run_id"])
    assert env.final_state["data"]["uid"] == 65534 and oct(db.stat().st_mode & 0o777) == "0o600"


def test_a_run_as_another_user_uses_collections_through_the_server_without_opening_the_store(open_folder_db,
                                                                                            server_factory, project):
    db = open_folder_db
    assert pyfn("collections", "create", "crm-ids", "--db", db).returncode == 0
    server = _serve(server_factory, project, "--run-as", "nobody", "--db", str(db))
    server.db = db
    run = finished_run(server, server.post("remember", {"db": str(db), "case_id": "case-1"}).json()["run_id"])
    assert run.run.state == "success", run.logs
    final = run.final_state
    assert (final["opened"], final["uid"], final["data"]) == ("PermissionError", 65534, {"crm_id": 7})
    assert StoreCollections(db).get("crm-ids", "case-1") == '{"crm_id":7}'
