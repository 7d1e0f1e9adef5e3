"""``max_concurrency``: 1 runs a workflow's runs one at a time in arrival order, 2 at most two at once; a workflow
without it overlaps (so the overlap check below would catch a broken limit). Each run records its interval."""

from __future__ import annotations

import json

import pytest

from .conftest import open_db, wait_until
from .projects import max_overlap, runs_of, write_project

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

RUNS = 6
JOB = """
    import fcntl
    import json
    import os
    import time

    def meet(folder, n):
        # wait (10 s at most) until another run of the workflow has started: two runs that may overlap
        # do, however busy the machine, unless the server holds them apart
        os.makedirs(folder, exist_ok=True)
        open(os.path.join(folder, str(n)), "w").close()
        deadline = time.time() + 10
        while len(os.listdir(folder)) < 2 and time.time() < deadline:
            time.sleep(0.01)

    def record(state):
        data = state["data"]
        start = time.time()
        if data.get("meet"):
            meet(data["meet"], data["n"])
        time.sleep(0.12)
        end = time.time()
        with open(data["log"], "a") as out:
            fcntl.flock(out, fcntl.LOCK_EX)
            out.write(json.dumps({"workflow": data["workflow"], "n": data["n"], "start": start, "end": end}) + "\\n")
        return state

    fn(record)
"""


def workflow(name: str, limit: int | None) -> str:
    line = f"max_concurrency: {limit}\n" if limit else ""
    return f"name: {name}\ntriggers: [{{path: {name}}}]\n{line}steps: [{{id: record, job: ../jobs/record.py}}]\n"


def test_max_concurrency_keeps_arrival_order_and_limits_overlap(server_factory, tmp_path):
    project = write_project(tmp_path / "project", {
        "serial.yaml": workflow("serial", 1), "pair.yaml": workflow("pair", 2), "free.yaml": workflow("free", None),
    }, {"record.py": JOB})
    log = tmp_path / "intervals.jsonl"
    server = server_factory("--workers", "4", project=project).start()
    for n in range(RUNS):  # interleaved arrivals: serial 0, pair 0, free 0, serial 1, ...
        for name in ("serial", "pair", "free"):
            meet = {"meet": str(tmp_path / f"{name}-started")} if name != "serial" else {}
            assert server.post(name, {"log": str(log), "workflow": name, "n": n, **meet}).status_code == 201
    store = open_db(server.db)
    try:
        wait_until(lambda: sum(store.counts().values()) == 3 * RUNS and set(store.counts()) == {"success"},
                   timeout=30, message=f"runs did not all succeed: {store.counts()}")
        serial_runs = runs_of(store, "serial")
    finally:
        store.close()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    by_workflow = {name: sorted((r for r in records if r["workflow"] == name), key=lambda r: r["start"])
                   for name in ("serial", "pair", "free")}

    serial = by_workflow["serial"]
    assert [r["n"] for r in serial] == list(range(RUNS)), "arrival order"
    assert all(a["end"] <= b["start"] for a, b in zip(serial, serial[1:])), "no two serial runs overlap"
    assert max_overlap([(r["start"], r["end"]) for r in serial]) == 1
    assert [run.id for run in serial_runs] == [run.id for run in sorted(serial_runs, key=lambda r: r.started_at)]
    assert max_overlap([(r["start"], r["end"]) for r in by_workflow["pair"]]) == 2
    assert max_overlap([(r["start"], r["end"]) for r in by_workflow["free"]]) >= 2, \
        "without a limit runs overlap: the checks above would see it"


def test_max_overlap_sees_overlaps():
    assert max_overlap([(0, 1), (1, 2), (2, 3)]) == 1
    assert max_overlap([(0, 2), (1, 3), (1.5, 4)]) == 3
