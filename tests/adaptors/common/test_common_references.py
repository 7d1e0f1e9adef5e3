"""expand_references, resolve_value and compose_next_state."""

from __future__ import annotations

import io

from adaptors.common import compose_next_state, data_value, expand_references
from adaptors.common.references import resolve_value


def test_expand_references_resolves_nested_lazy_values_and_keeps_strings():
    state = {"data": {"id": 7}}
    value = {"id": data_value("id"), "path": "$.data.id", "list": [lambda s: s["data"]["id"] + 1, (1, 2)],
             "deep": lambda s: {"again": lambda s2: "yes"}}
    assert expand_references(state, value) == {
        "id": 7, "path": "$.data.id", "list": [8, (1, 2)], "deep": {"again": "yes"}}


def test_expand_references_leaves_file_objects_alone():
    handle = io.StringIO("x")
    assert expand_references({}, handle) is handle


def test_resolve_value_calls_until_not_callable_and_does_not_copy():
    rows = [{"a": 1}]
    assert resolve_value({"rows": rows}, lambda s: lambda s2: s2["rows"]) is rows
    lazy_items = [lambda s: 1]
    assert resolve_value({}, lazy_items) is lazy_items  # containers are not walked


def test_compose_next_state_appends_old_data_to_references():
    state = {"data": 1, "references": [0], "other": "kept"}
    assert compose_next_state(state, 2) == {"data": 2, "references": [0, 1], "other": "kept"}
    assert state == {"data": 1, "references": [0], "other": "kept"}


def test_compose_next_state_creates_references():
    assert compose_next_state({"data": "a"}, "b") == {"data": "b", "references": ["a"]}
