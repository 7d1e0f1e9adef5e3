"""The observed OpenFn final state for the language-common job (openfn-observed.md section 4)."""

from __future__ import annotations

import json

from adaptors.common import data_value, each, execute, field, fields, fn, merge


def _remember(state):
    item = state["data"]
    label = f"{state['index']}:{item['name']}:{item['org']}:{item['batch']}"
    return {**state, "seen": [*state["seen"], label]}


def _summarise(state):
    return {**state, "lastFromEach": state["data"],
            "data": {"count": len(state["seen"]), "names": state["seen"]}}


def test_common_job_reproduces_openfn_final_state(patients_state):
    job = execute(
        fn(lambda state: {**state, "seen": []}),
        each(
            merge("$.data.patients[*]", fields(field("org", "acme"), field("batch", data_value("batch")))),
            fn(_remember),
        ),
        fn(_summarise),
    )

    final = job(patients_state)
    final.pop("configuration")  # the runtime removes it after every step

    names = ["0:Ann:acme:B-7", "1:Bob:acme:B-7", "2:Cy:acme:B-7"]
    assert final == {
        "data": {"count": 3, "names": names},
        "seen": names,
        "index": 2,
        "lastFromEach": {"name": "Cy", "age": 45, "org": "acme", "batch": "B-7"},
    }
    assert list(final) == ["data", "seen", "index", "lastFromEach"]
    assert json.loads(json.dumps(final)) == final


def test_common_execute_adds_no_references(patients_state):
    final = execute(fn(lambda state: state))(patients_state)
    assert "references" not in final
