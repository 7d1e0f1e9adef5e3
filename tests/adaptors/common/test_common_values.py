"""JSONPath readers: json_value, source_value, source, data_path/data_value, references, index, as_data."""

from __future__ import annotations

import pytest

from adaptors.common import (
    as_data,
    data_path,
    data_value,
    index,
    json_value,
    last_reference_value,
    reference_path,
    source,
    source_value,
)
from adaptors.common import jsonpath

STATE = {
    "data": {"items": [1, 2, 3], "patient": {"name": "Ann"}, "x": "in data"},
    "references": [{"foo": 1}, {"foo": 2}],
    "index": 4,
}


def test_json_value_picks_the_first_match():
    assert json_value({"a": [{"b": 1}, {"b": 2}]}, "$.a[*].b") == 1
    assert json_value({"a": 1}, "a") == 1
    assert json_value({"a": 1}, "$.missing") is None


def test_source_value_first_match_or_none():
    assert source_value("$.data.patient.name")(STATE) == "Ann"
    assert source_value("data.items[*]")(STATE) == 1
    assert source_value("$.nope")(STATE) is None


def test_source_path_without_star_matches_the_list_once():
    assert source("$.data.items")(STATE) == [[1, 2, 3]]
    assert source("$.data.items[*]")(STATE) == [1, 2, 3]
    assert source("$.nothing[*]")(STATE) == []


def test_source_supports_filters_and_lazy_paths():
    assert source("$.data.items[?(@ > 1)]")(STATE) == [2, 3]
    assert source(lambda state: "$.data.patient.name")(STATE) == ["Ann"]


@pytest.mark.parametrize("path, expected", [
    ("x", "$.data.x"), ("$.x", "$.data.x"), (".a.b", "$.data.a.b"), ("$..x", "$.data.x"), ("[0]", "$.data.[0]"),
])
def test_data_path_strips_leading_dollar_and_dots(path, expected):
    assert data_path(path) == expected


def test_data_value_is_relative_to_data():
    assert data_value("x")(STATE) == "in data"
    assert data_value("$.patient.name")(STATE) == "Ann"
    assert data_value("$.data.x")(STATE) is None  # quirk: looks up data.data.x


def test_reference_path_keeps_openfn_results_and_adds_the_missing_dot():
    assert reference_path("[0].id") == "$.references[0].id"
    assert reference_path("$[1]") == "$.references[1]"
    assert reference_path("x") == "$.references.x"  # OpenFn gives "$.referencesx"


def test_last_reference_value_reads_the_oldest_reference():
    assert last_reference_value("foo")(STATE) == 1  # quirk: references[0]
    assert last_reference_value("$.foo")(STATE) == 1
    assert last_reference_value("foo")({"data": 1}) is None


def test_index_reads_state_index():
    assert index()(STATE) == 4
    assert index()({}) is None


def test_as_data_string_callable_and_value():
    assert as_data("$.data.items[*]", STATE) == [1, 2, 3]
    items = STATE["data"]["items"]
    assert as_data(lambda state: state["data"]["items"], STATE) is items  # not copied
    assert as_data({"a": 1}, STATE) == {"a": 1}


def test_invalid_jsonpath_raises_a_clear_error():
    with pytest.raises(ValueError, match="Invalid JSONPath") as caught:
        source("$.data[")(STATE)
    assert caught.value.fix


def test_compiled_paths_are_cached():
    jsonpath.compile_path.cache_clear()
    source("$.data.items[*]")(STATE)
    source("$.data.items[*]")(STATE)
    assert jsonpath.compile_path.cache_info().hits >= 1
