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
