"""field, fields, merge, join and split_keys."""

from __future__ import annotations

import pytest

from adaptors.common import data_value, field, fields, join, merge, split_keys


def test_field_is_a_pair_and_fields_zips_pairs():
    assert field("a", 1) == ("a", 1)
    assert fields(field("a", 1), field("b", 2), field("a", 3)) == {"a": 3, "b": 2}


def test_fields_keeps_values_lazy():
    lazy = data_value("x")
    assert fields(field("x", lazy))["x"] is lazy


def test_fields_rejects_a_non_pair():
    with pytest.raises(TypeError, match="argument 2 must be a \\(key, value\\) pair"):
        fields(field("a", 1), "oops")


def test_merge_returns_a_list_of_merged_items_with_resolved_fields():
    state = {"data": {"rows": [{"id": 1, "org": "old"}, {"id": 2}], "batch": "B-7"}}
    result = merge("$.data.rows[*]", fields(field("org", "acme"), field("batch", data_value("batch"))))(state)
    assert isinstance(result, list)
    assert result == [{"id": 1, "org": "acme", "batch": "B-7"}, {"id": 2, "org": "acme", "batch": "B-7"}]
    assert state["data"]["rows"][0] == {"id": 1, "org": "old"}


def test_merge_accepts_a_list_or_lazy_source():
    assert merge([{"a": 1}], {"b": 2})({}) == [{"a": 1, "b": 2}]
    assert merge(lambda s: s["rows"], {"b": 2})({"rows": [{"a": 1}, 5]}) == [{"a": 1, "b": 2}, {"b": 2}]


def test_join_adds_a_value_and_item_keys_win():
    state = {"data": {"visits": [{"id": 1}, {"id": 2, "clinic": "own"}], "clinic_id": "C9"}}
    assert join("$.data.visits[*]", "$.data.clinic_id", "clinic")(state) == [
        {"clinic": "C9", "id": 1}, {"clinic": "own", "id": 2}]


def test_split_keys():
    keep, split = split_keys({"a": 1, "secret": 2, "b": 3}, ["secret", "absent"])
    assert keep == {"a": 1, "b": 3} and split == {"secret": 2}
    assert list(keep) == ["a", "b"]
