"""OpenFn's final state for a language-common job, reproduced line by line.

The job, its input and OpenFn's final state are in ``tests/openfn_recorded/common_job.json``
(recorded with @openfn/runtime 1.9.5 and language-common 3.3.4; see the README there).
"""

from __future__ import annotations

import json
from pathlib import Path

from adaptors.common import data_value, each, execute, field, fields, fn, merge

RECORDED = json.loads((Path(__file__).resolve().parents[2] / "openfn_recorded" / "common_job.json").read_text())


def _remember(state):
    item = state["data"]
    label = f"{state['index']}:{item['name']}:{item['org']}:{item['batch']}"
    return {**state, "seen": [*state["seen"], label]}


def _summarise(state):
    return {**state, "lastFromEach": state["data"],
            "data": {"count": len(state["seen"]), "names": state["seen"]}}


def test_common_job_reproduces_openfn_final_state():
    job = execute(
        fn(lambda state: {**state, "seen": []}),
        each(
            merge("$.data.patients[*]", fields(field("org", "acme"), field("batch", data_value("batch")))),
            fn(_remember),
        ),
        fn(_summarise),
    )

    final = job(json.loads(json.dumps(RECORDED["initial_state"])))
    final.pop("configuration")  # the runtime removes it after every step

    assert final == RECORDED["final_state"]
    assert list(final) == list(RECORDED["final_state"])
    assert json.loads(json.dumps(final)) == final


def test_common_execute_adds_no_references(patients_state):
    final = execute(fn(lambda state: state))(patients_state)
    assert "references" not in final
