"""fn, alter_state, fn_if, combine, as_, assert_ and execute."""

from __future__ import annotations

import pytest

from adaptors.common import alter_state, as_, assert_, combine, execute, fn, fn_if


def test_fn_returns_what_the_function_returns():
    assert fn(lambda state: {**state, "x": 1})({"data": 0}) == {"data": 0, "x": 1}


def test_alter_state_is_fn():
    assert alter_state(lambda state: {"y": state["data"]})({"data": 3}) == {"y": 3}


def test_execute_runs_operations_in_order():
    job = execute(fn(lambda s: {**s, "order": [1]}), fn(lambda s: {**s, "order": [*s["order"], 2]}))
    assert job({})["order"] == [1, 2]


def test_execute_with_no_operations_returns_the_state():
    state = {"data": 1}
    assert execute()(state) is state


@pytest.mark.parametrize("condition", [True, 1, "yes", lambda state: state["data"] > 1])
def test_fn_if_runs_the_operation_when_truthy(condition):
    assert fn_if(condition, fn(lambda s: {**s, "ran": True}))({"data": 2}) == {"data": 2, "ran": True}


@pytest.mark.parametrize("condition", [False, 0, None, lambda state: state["data"] > 5])
def test_fn_if_leaves_state_when_falsy(condition):
    state = {"data": 2}
    assert fn_if(condition, fn(lambda s: {**s, "ran": True}))(state) is state


def test_combine_runs_in_sequence_with_shallow_copies():
    seen = []

    def record(state):
        seen.append(state)
        return {**state, "n": state.get("n", 0) + 1}

    original = {"data": 1}
    result = combine(fn(record), fn(record))(original)
    assert result == {"data": 1, "n": 2}
    assert seen[0] is not original and seen[0] == original


def test_as_stores_data_under_key_and_restores_data():
    operation = fn(lambda s: {**s, "data": [1, 2], "references": [*s["references"], s["data"]]})
    state = {"data": {"keep": True}, "references": []}
    result = as_("numbers", operation)(state)
    assert result == {"data": {"keep": True}, "references": [{"keep": True}], "numbers": [1, 2]}
    assert state == {"data": {"keep": True}, "references": []}


def test_as_resolves_a_lazy_key_and_overwrites_an_existing_key():
    operation = fn(lambda s: {**s, "data": "new"})
    result = as_(lambda state: state["target"], operation)({"data": 1, "target": "slot", "slot": "old"})
    assert result["slot"] == "new" and result["data"] == 1


def test_assert_passes_state_through():
    state = {"data": [1]}
    assert assert_(lambda s: len(s["data"]) == 1)(state) is state


def test_assert_raises_with_default_message():
    with pytest.raises(AssertionError, match="assertion statement failed with False"):
        assert_(lambda s: False)({})


def test_assert_raises_with_lazy_custom_message():
    with pytest.raises(AssertionError, match="^no rows for B-7$"):
        assert_(lambda s: s["data"]["rows"], lambda s: f"no rows for {s['data']['batch']}")(
            {"data": {"rows": [], "batch": "B-7"}})
