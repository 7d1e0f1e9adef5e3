"""State between steps as OpenFn's runtime hands it on: the same plan, the same result.

Expected result: ``tests/openfn_recorded/workflow_state.json`` (@openfn/runtime 1.9.5 running the
same five steps written in JavaScript; see the README there). Confirmed there: a step sees only
its own configuration, which leaves with the step; a step's default ``state`` merges under the
input (``data`` key by key); a date crosses steps as its ISO text; a step returning nothing hands
``{data, configuration}`` on, with OpenFn's warning.
"""

from __future__ import annotations

import json
from pathlib import Path

RECORDED = json.loads((Path(__file__).resolve().parents[1] / "openfn_recorded" / "workflow_state.json").read_text())
WORKFLOW = """
    name: state-wf
    start: a
    steps:
      - id: a
        configuration: {secret: s1}
        expression: |
          import datetime
          fn(lambda state: {**state, "data": {"n": 1, "when": datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)}, "references": [1], "seenConfigA": list(state.get("configuration") or {})})
        next: {b: true, c: true}
      - id: b
        expression: |
          fn(lambda state: {**state, "keysB": sorted(state), "sawConfigB": list(state.get("configuration") or {}), "whenType": type(state["data"]["when"]).__name__})
        next: {d: true}
      - id: c
        state: {data: {x: 1}, other: 2}
        configuration: {k: v}
        expression: |
          fn(lambda state: {**state, "keysC": sorted(state), "dataC": state["data"], "sawConfigC": list(state.get("configuration") or {})})
      - id: d
        expression: |
          def touch(state):
              state["touched"] = True
          fn(touch)
        next: {e: true}
      - id: e
        expression: |
          fn(lambda state: {"got": "None" if state is None else sorted(state)})
"""


def test_state_between_steps_is_openfns(pyfn, write):
    workflow = write("wf.yaml", WORKFLOW)
    result = pyfn("execute", workflow, "-o", workflow.parent / "out.json")
    assert result.code == 0, result.output
    assert json.loads((workflow.parent / "out.json").read_text()) == RECORDED["result"]
    for warning in RECORDED["warnings"]:
        assert warning in result.stdout


FAILING = """
    name: fail-wf
    start: start
    steps:
      - id: start
        expression: |
          fn(lambda state: {**state, "data": {"n": 1}})
        next: {fails: true}
      - id: fails
        expression: |
          fn(lambda state: {**state, "data": {"n": 2}})
          def boom(state):
              raise ValueError("the CRM said no")
          fn(boom)
        next: {recover: on_job_failure, not-run: on_job_success}
      - id: recover
        expression: |
          fn(lambda state: {**state, "seen": list(state.get("errors") or {}), "errorKeys": sorted(state["errors"]["fails"]), "sawData": state["data"]})
      - id: not-run
        expression: |
          fn(lambda state: state)
"""


def test_a_failed_step_hands_on_the_state_from_before_it_with_its_error(pyfn, write):
    """OpenFn's ``failure`` run: the next step sees ``errors.fails`` and the data ``fails`` received."""
    workflow = write("fail.yaml", FAILING)
    result = pyfn("execute", workflow, "-o", workflow.parent / "out.json")
    assert result.code == 0, result.output
    output = json.loads((workflow.parent / "out.json").read_text())
    error = output["errors"]["fails"]
    assert (error.pop("operationName"), error.pop("line")) == ("fn", 4)  # pyfn adds them (docs/openfn-users.md)
    output["errorKeys"] = [key for key in output["errorKeys"] if key not in ("line", "operationName")]
    assert output == RECORDED["failure"]["result"]
