"""A run's records leave its process in bundles: a few writes per run, a job's log lines at once while it runs."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

from runtime.worker.child import RunRequest, execute
from runtime.worker.messages import (CollectionAnswer, CollectionCall, Done, LogLine, Started, StepCompleted,
                                     StepStarted, decode_bundle, encode)
from runtime.worker.outbox import Outbox

WORKFLOW = """\
name: bundled
steps:
  - id: first
    expression: |
      fn(lambda state: print("from the job") or state)
    next: second
  - id: second
    expression: |
      fn(lambda state: {**state, "data": {"done": True}})
"""


def _bundles(receiver) -> list[list]:
    bundles = []
    while receiver.poll(0):
        bundles.append(decode_bundle(receiver.recv_bytes()))
    return bundles


def test_a_run_sends_its_records_by_step_start_with_the_job_lines_at_once_and_the_rest_with_its_end(tmp_path: Path):
    workflow = tmp_path / "bundled.yaml"
    workflow.write_text(WORKFLOW)
    sender, receiver = multiprocessing.Pipe()
    outbox = Outbox(sender)
    outbox.send(Started())
    outbox.send(execute(RunRequest("run-1", str(workflow), json.dumps({"data": {}})), outbox))
    bundles = _bundles(receiver)
    kinds = [[type(message).__name__ for message in bundle] for bundle in bundles]
    assert kinds[0][0] == "Started" and kinds[0][-1] == "StepStarted"
    job_line = next(n for n, bundle in enumerate(bundles)
                    if any(isinstance(m, LogLine) and "from the job" in m.line for m in bundle))
    assert kinds[job_line] == ["LogLine"]  # sent alone, while its step ran
    assert [bundle[-1] for bundle in kinds].count("StepStarted") == 2  # each step start sent when it came
    assert "StepCompleted" not in [bundle[-1] for bundle in kinds]  # a step's end waits for what comes next
    assert kinds[-1][-1] == "Done" and "StepCompleted" in kinds[-1]
    assert isinstance(bundles[-1][-1], Done) and bundles[-1][-1].state == "success"
    every = [message for bundle in bundles for message in bundle]
    assert [m.step for m in every if isinstance(m, (StepStarted, StepCompleted))] == ["first", "first", "second",
                                                                                        "second"]


def test_a_collections_call_leaves_with_what_was_held_and_waits_for_its_answer():
    sender, receiver = multiprocessing.Pipe()
    outbox = Outbox(sender)
    outbox.send(LogLine("2024-05-02T10:15:43Z", "held"))
    answered = []
    asking = threading.Thread(target=lambda: answered.append((outbox.send(CollectionCall("get", ["ids", "k"])),
                                                              outbox.recv())[1]))
    asking.start()
    assert decode_bundle(receiver.recv_bytes()) == [LogLine("2024-05-02T10:15:43Z", "held"),
                                                   CollectionCall("get", ["ids", "k"])]
    receiver.send_bytes(encode(CollectionAnswer(value="v")))
    asking.join(10)
    assert answered == [CollectionAnswer(value="v")]
