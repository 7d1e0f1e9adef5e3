"""Each language-common operation gives what OpenFn's gives, on the same input.

Expected values: ``tests/openfn_recorded/common_operations.json``, recorded by
``tests/openfn_recorded/record_common.mjs`` (the same cases, in JavaScript) with
@openfn/language-common 3.3.4. Deliberate differences are in docs/openfn-users.md and not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import adaptors.common as c
from adaptors.common import fn

RECORDED = json.loads((Path(__file__).resolve().parents[2] / "openfn_recorded" / "common_operations.json").read_text())


def S():
    return {"data": {"people": [{"id": 1, "name": "Ann", "tags": ["a"]}, {"id": 2, "name": "Bob"},
                                {"id": 3, "name": "Cy", "team": "x"}],
                     "roles": [{"pid": 1, "role": "admin"}, {"pid": 3, "role": "user"}], "obj": {"a": 1, "b": 2},
                     "text": "mr JOHN doe-smith"},
            "references": [{"foo": "first"}, {"foo": "second"}], "index": 5}


def _after(operation):
    """A fresh state, once ``operation`` has run on another one earlier in the same run."""
    operation(S())
    return S()


def _seen(key):
    return fn(lambda s: {**s, "seen": [*(s.get("seen") or []), key(s["data"])]})


CASES = {
    "chunk": lambda: c.chunk([1, 2, 3, 4, 5], 2),
    "splitKeys": lambda: c.split_keys({"a": 1, "b": 2, "c": 3}, ["b"]),
    "arrayToString": lambda: c.array_to_string([1, "a", None, {"x": 1}], ", "),
    "toArray1": lambda: c.to_array(1), "toArray2": lambda: c.to_array([1]), "toArrayObj": lambda: c.to_array({"a": 1}),
    "humanProper": lambda: c.human_proper("mr JOHN doe-smith"), "humanProperNum": lambda: c.human_proper(12),
    "scrubEmojis": lambda: c.scrub_emojis("hi 😀 there", "#"), "scrubEmojisDefault": lambda: c.scrub_emojis("hi 😀 there"),
    "dataPath": lambda: c.data_path("x.y"), "dataPathDollar": lambda: c.data_path("$.x"),
    "referencePath": lambda: c.reference_path("[0].foo"),
    "jsonValue": lambda: c.json_value(S()["data"], "people[1].name"),
    "sourceValue": lambda: c.source_value("$.data.people[*].name")(S()),
    "source": lambda: c.source("$.data.people[*].name")(S()),
    "dataValue": lambda: c.data_value("people[0].name")(S()),
    "lastReferenceValue": lambda: c.last_reference_value("foo")(S()),
    "index": lambda: c.index()(S()),
    "field": lambda: c.field("k", 1), "fields": lambda: c.fields(c.field("a", 1), c.field("b", 2)),
    "merge": lambda: c.merge("$.data.people[*]", c.fields(c.field("org", "acme")))(S()),
    "mergeObj": lambda: c.merge("$.data.obj", c.fields(c.field("org", "acme")))(S()),
    "composeNextState": lambda: c.compose_next_state(S(), {"n": 1}),
    "composeNextStateNoRefs": lambda: c.compose_next_state({"data": 1}, 2),
    "group": lambda: c.group(S()["data"]["people"], "team")(S()),
    "fnIfFalse": lambda: c.fn_if(False, fn(lambda s: {**s, "ran": True}))(S()),
    "fnIfTrue": lambda: c.fn_if(lambda s: s["index"] == 5, fn(lambda s: {**s, "ran": True}))(S()),
    "as": lambda: c.as_("saved", fn(lambda s: {**s, "data": "x"}))(S()),
    "combine": lambda: c.combine(fn(lambda s: {**s, "a": 1}), fn(lambda s: {**s, "b": 2}))(S()),
    "eachObj": lambda: c.each("$.data.obj", _seen(lambda d: d))(S()),
    "eachList": lambda: c.each("$.data.people[*]", _seen(lambda d: d["id"]))(S()),
    "eachEmpty": lambda: c.each("$.data.nothing[*]", fn(lambda s: {**s, "ran": True}))(S()),
    "join": lambda: c.join("$.data.people[*]", "$.data.roles[*]", "pid")(S()),
    "map": lambda: c.map("$.data.people[*]", lambda p, *rest: p["id"])(S()),
    "asData": lambda: c.as_data("$.data.people[*].id", S()),
    "alterState": lambda: c.alter_state(lambda s: {**s, "x": 1})(S()),
    "parseCsv": lambda: c.parse_csv("a,b\n1,2\n3,4")(S()),
    "parseCsvOpts": lambda: c.parse_csv("a;b\n1;2", {"delimiter": ";", "columns": False})(S()),
    "parseCsvCb": lambda: c.parse_csv("a,b\n1,2\n3,4", {"chunkSize": 1},
                                      lambda s, rows: {**s, "got": [*(s.get("got") or []), rows]})(S()),
    "validate": lambda: c.validate({"type": "object", "required": ["zzz"]}, "$.data.obj")(S()),
    "cursor": lambda: c.cursor(3, {"key": "page"})(S()),
    # Recorded right after "cursor" in the same process: OpenFn's cursor key lives for the
    # whole run, so this one is stored under "page" too. Run both, in that order.
    "cursorDefault": lambda: c.cursor("2024-01-02T03:04:05.000Z")(_after(c.cursor(3, {"key": "page"}))),
}


def test_every_recorded_case_has_its_python_twin():
    assert sorted(CASES) == sorted(RECORDED)


@pytest.mark.parametrize("name", sorted(CASES))
def test_operation_gives_what_openfn_gives(name):
    expected = RECORDED[name]
    assert "value" in expected, expected  # every case recorded here succeeds in OpenFn
    assert json.loads(json.dumps(CASES[name]())) == expected["value"]
