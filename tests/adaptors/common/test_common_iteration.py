"""each, map and group."""

from __future__ import annotations

import pytest

from adaptors.common import data_value, each, fn, group, index, map, merge


def _collect(state):
    return {**state, "seen": [*state.get("seen", []), (state["index"], state["data"])]}


def test_each_runs_per_item_and_keeps_last_data_and_index():
    state = {"data": {"items": ["a", "b", "c"]}, "other": 1}
    result = each("$.data.items[*]", fn(_collect))(state)
    assert result["seen"] == [(0, "a"), (1, "b"), (2, "c")]
    assert result["data"] == "c"  # quirk: data is not restored
    assert result["index"] == 2  # quirk: index stays set
    assert result["other"] == 1
    assert state == {"data": {"items": ["a", "b", "c"]}, "other": 1}


def test_each_path_without_star_gives_the_list_as_one_item():
    result = each("data.items", fn(_collect))({"data": {"items": [1, 2]}})
    assert result["seen"] == [(0, [1, 2])]


def test_each_accepts_a_list_and_a_lazy_value():
    assert each([5, 6], fn(_collect))({})["seen"] == [(0, 5), (1, 6)]
    lazy = each(lambda state: state["data"]["rows"], fn(_collect))({"data": {"rows": ["x"]}})
    assert lazy["seen"] == [(0, "x")]


def test_each_with_no_items_returns_the_state_unchanged():
    state = {"data": {"items": []}}
    assert each("$.data.items[*]", fn(_collect))(state) is state


@pytest.mark.parametrize("source", [None, "", False, 0])
def test_each_rejects_a_missing_data_source_at_once(source):
    with pytest.raises(TypeError, match=r"^dataSource argument for each operation is invalid\.$"):
        each(source, fn(_collect))


def test_each_with_a_dict_source_fails_clearly():
    with pytest.raises(TypeError, match="each needs a list of items, got dict"):
        each({"a": 1}, fn(_collect))({})


def test_each_with_index_and_data_value_inside():
    operation = fn(lambda s: {**s, "labels": [*s.get("labels", []), f"{index()(s)}-{data_value('name')(s)}"]})
    result = each("$.data[*]", operation)({"data": [{"name": "a"}, {"name": "b"}]})
    assert result["labels"] == ["0-a", "1-b"]


def test_each_over_merge():
    source = merge("$.data.rows[*]", {"org": "acme"})
    result = each(source, fn(_collect))({"data": {"rows": [{"id": 1}]}})
    assert result["seen"] == [(0, {"id": 1, "org": "acme"})]


def test_map_with_a_jsonpath_writes_results_to_data():
    state = {"data": {"items": [1, 2, 3]}, "references": ["r"]}
    result = map("$.data.items[*]", lambda item, i, s: item * 10 + i)(state)
    assert result == {"data": [10, 21, 32], "references": ["r"]}


def test_map_resolves_a_lazy_path():
    # OpenFn 3.3.4 fails here with "values is not iterable"; pyfn resolves the path.
    result = map(lambda state: state["data"]["items"], lambda item: item.upper())({"data": {"items": ["a", "b"]}})
    assert result["data"] == ["A", "B"]


def test_map_passes_state_and_accepts_a_list():
    result = map([1, 2], lambda item, i, state: state["k"] + item)({"k": 10})
    assert result["data"] == [11, 12]


def test_map_accepts_builtins_and_star_args():
    assert map(["1", "2"], int)({})["data"] == [1, 2]
    assert map(["a"], lambda *args: len(args))({})["data"] == [3]


def test_group_groups_by_dot_path_and_drops_missing_and_none_keys():
    visits = [
        {"id": 1, "patient": {"city": "Lusaka"}},
        {"id": 2, "patient": {"city": "Ndola"}},
        {"id": 3, "patient": {"city": "Lusaka"}},
        {"id": 4, "patient": {}},
        {"id": 5, "patient": {"city": None}},
    ]
    result = group(lambda state: state["visits"], "patient.city")({"visits": visits, "data": None})
    assert result["data"] == {"Lusaka": [visits[0], visits[2]], "Ndola": [visits[1]]}
    assert list(result["data"]) == ["Lusaka", "Ndola"]


def test_group_keys_are_strings_and_callback_runs():
    items = [{"n": 1}, {"n": True}, {"n": 1}]
    result = group(items, "n", lambda state: {**state, "called": True})({})
    assert result["data"] == {"1": [items[0], items[2]], "true": [items[1]]}
    assert result["called"] is True


def test_group_reads_bracket_paths_and_direct_dotted_keys():
    items = [{"tags": ["x", "y"]}, {"a.b": "direct"}]
    assert group(items, "tags[1]")({})["data"] == {"y": [items[0]]}
    assert group(items, "a.b")({})["data"] == {"direct": [items[1]]}
