"""State rules: default, assembly, cleaning and JSON conversion."""

import datetime as dt
import math

import pytest

from runtime.errors import SerializationError
from runtime.state import assemble_state, clean_state, default_state, to_json


def test_default_state():
    assert default_state() == {"data": {}, "configuration": {}}


def test_assemble_merges_previous_over_default_and_configuration_in_order():
    previous = {"data": {"a": 1}, "configuration": {"user": "prev", "key": "p"}, "x": 1}
    state = assemble_state(previous, default={"data": {"a": 0, "b": 2}, "y": 2},
                           configuration={"key": "step"}, credentials={"user": "cred", "host": "h"})
    assert state["data"] == {"a": 1, "b": 2}
    assert state["configuration"] == {"user": "prev", "host": "h", "key": "step"}
    assert state["x"] == 1 and state["y"] == 2


def test_assemble_does_not_merge_list_data_and_copies_input():
    previous = {"data": [1, 2]}
    state = assemble_state(previous, default={"data": {"a": 0}})
    assert state["data"] == [1, 2]
    state["data"].append(3)
    assert previous["data"] == [1, 2]


def test_clean_removes_configuration_and_converts_values():
    when = dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.timezone.utc)
    cleaned = clean_state({"configuration": {"k": "v"}, "data": {"when": when, "day": dt.date(2026, 1, 2),
                                                                 "t": (1, 2), "nan": math.nan, 3: "x"}})
    assert cleaned == {"data": {"when": "2026-11-25T08:30:00.000Z", "day": "2026-01-02",
                                "t": [1, 2], "nan": None, "3": "x"}}


def test_decimals_become_json_numbers():
    """A job's ``Decimal`` (a money amount, a database value) is written as the number it holds."""
    from decimal import Decimal

    assert to_json({"data": {"whole": Decimal("12.000"), "part": Decimal("2.5")}}) == \
        {"data": {"whole": 12, "part": 2.5}}


def test_unserialisable_value_names_its_key_path():
    with pytest.raises(SerializationError) as info:
        to_json({"data": {"rows": [{"ok": 1}, {"bad": object()}]}})
    assert "state.data.rows[1].bad holds a object value" in info.value.message
    assert info.value.hint


def test_functions_in_state_are_an_error_not_silently_dropped():
    with pytest.raises(SerializationError, match=r"state\.data\.f holds a function"):
        to_json({"data": {"f": lambda s: s}})
