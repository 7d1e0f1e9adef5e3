"""A cron workflow on a fast clock (``serve_on_clock.py``): inputs chain run to run through the cursor step, a
manual run queued while the server is down counts for the cursor, and the missed schedules give one catch-up run.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from runtime.store import parse_iso

from .conftest import open_db, wait_until
from .projects import pyfn, runs_of, write_project

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

SPEED = 60  # one clock minute per real second: "* * * * *" fires every second
COUNTER = """
    name: counter
    triggers:
      - type: cron
        schedule: "* * * * *"
        cursor_step: count
        state: {data: {n: 0}}
    steps:
      - id: count
        expression: |
          fn(lambda state: {**state, "data": {"n": state["data"]["n"] + 1}})
        next: report
      - id: report
        expression: |
          fn(lambda state: {**state, "data": {"report": "n is " + str(state["data"]["n"])}})
"""
FIRED = re.compile(r"cron cron of counter fired for (\S+): run (\S+)")


def successes(store) -> list:
    return runs_of(store, "counter", state="success")


def test_cron_inputs_chain_through_the_cursor_with_a_manual_run_and_a_catch_up(server_factory, tmp_path):
    project = write_project(tmp_path / "project", {"counter.yaml": COUNTER})
    origin = time.time()
    server = server_factory("--workers", "2", project=project)
    server.clock = f"speed={SPEED},origin={origin}"
    server.start()
    store = open_db(server.db)
    try:
        wait_until(lambda: len(successes(store)) >= 2 and not store.counts().get("available"), timeout=20)
        assert server.stop() == 0
        stopped_at = time.time()
        assert set(store.counts()) == {"success"}, "nothing left half done"
        fired_before = [parse_iso(t) for t, _ in FIRED.findall(server.output())]

        manual = pyfn("trigger", "counter", project, "--db", server.db)
        assert manual.returncode == 0, manual.stdout + manual.stderr
        assert "No pyfn serve is running on this store: the run starts when one starts" in manual.stdout
        manual_id = re.search(r"Queued run (\S+) \(work order", manual.stdout).group(1)
        assert store.get_run(manual_id).input == {"data": {"n": len(successes(store))}}, "the cursor"

        time.sleep(max(0.0, 2.3 - (time.time() - stopped_at)))  # two schedules or more go by
        server.start()
        wait_until(lambda: len(successes(store)) >= len(fired_before) + 3, timeout=20)
        server.stop()
        runs = successes(store)
    finally:
        store.close()
    detail = [open_db_run(server.db, run.id) for run in runs]
    ordered = sorted(detail, key=lambda d: d.run.finished_at)
    assert [d.input["data"]["n"] for d in ordered] == list(range(len(ordered))), "each input is the last output"
    assert [d.final_state["data"]["report"] for d in ordered] == [f"n is {n + 1}" for n in range(len(ordered))]
    triggers = [d.run.trigger for d in ordered]
    assert triggers.count("manual") == 1 and triggers[len(fired_before)] == "manual", "first after the restart"

    second = server.tmp.joinpath("serve-2.log").read_text()
    missed = re.search(r"cron cron of counter missed (\d+) schedule\(s\) while the server was down: "
                       r"one catch-up run for (\S+)", second)
    assert missed and int(missed.group(1)) >= 2, second
    fired_after = [parse_iso(t) for t, _ in FIRED.findall(second)]
    catch_up = fired_after[0]
    assert catch_up >= parse_iso(missed.group(2)) and catch_up - fired_before[-1] >= dt.timedelta(minutes=2)
    assert all(b - a >= dt.timedelta(minutes=1) for a, b in zip(fired_after, fired_after[1:])), \
        "then once per schedule (a minute of the fast clock)"


def open_db_run(db, run_id):
    store = open_db(db)
    try:
        return store.get_run(run_id)
    finally:
        store.close()


BRANCHES = """
    name: pager
    triggers:
      - type: cron
        schedule: "* * * * *"
        state: {cursor: 0}
        carry: {cursor: "$.references.cursor"}
    steps:
      - id: fetch
        expression: |
          fn(lambda state: {"data": list(range(state["cursor"] % 2)), "references": {"cursor": state["cursor"] + 1}})
        next:
          load: "len(state['data']) > 0"
          idle: "len(state['data']) == 0"
      - id: load
        expression: |
          fn(lambda state: {**state, "data": {"loaded": len(state["data"])}})
      - id: idle
        expression: |
          fn(lambda state: {"data": [], "references": state["references"], "note": "nothing new"})
"""


def test_a_cron_workflow_whose_branches_differ_keeps_a_stable_input_through_carry(server_factory, tmp_path):
    project = write_project(tmp_path / "project", {"pager.yaml": BRANCHES})
    server = server_factory("--workers", "1", project=project)
    server.clock = f"speed={SPEED},origin={time.time()}"
    server.start()
    store = open_db(server.db)
    try:
        wait_until(lambda: len(runs_of(store, "pager", state="success")) >= 4, timeout=30)
        server.stop()
        runs = runs_of(store, "pager")
        details = sorted((store.get_run(run.id) for run in runs), key=lambda d: d.run.finished_at)
    finally:
        store.close()
    assert {d.run.state for d in details} == {"success"}, server.output()
    assert [d.input for d in details] == [{"cursor": n} for n in range(len(details))], "one shape, run after run"
    shapes = {tuple(sorted(d.final_state)) for d in details}
    assert shapes == {("data", "references"), ("data", "note", "references")}, "both leaves ended runs"
