"""State copies: plain JSON is copied fast, anything else converted as before, a handed-over input not copied."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from runtime.errors import SerializationError
from runtime.state import assemble_state, clone, hand_over, to_json


def test_clone_makes_new_containers_and_keeps_scalars():
    state = {"data": {"rows": [{"id": "a", "n": 1.5, "ok": True, "none": None}], "t": (1, 2)}}
    copy = clone(state)
    assert copy == {"data": {"rows": [{"id": "a", "n": 1.5, "ok": True, "none": None}], "t": [1, 2]}}
    assert copy["data"] is not state["data"] and copy["data"]["rows"][0] is not state["data"]["rows"][0]


def test_a_value_to_convert_deep_inside_still_converts_and_names_its_path():
    state = {"data": {"rows": [{"when": dt.date(2026, 1, 2), "nan": math.nan}, {1: "x"}]}}
    assert to_json(state) == {"data": {"rows": [{"when": "2026-01-02", "nan": None}, {"1": "x"}]}}
    with pytest.raises(SerializationError, match=r"state\.data\.rows\[1\]\.f holds a function"):
        to_json({"data": {"rows": [{}, {"f": lambda state: state}]}})


def test_assemble_copies_its_input_unless_it_was_handed_over():
    given = {"data": {"rows": [1]}, "configuration": {"k": "v"}}
    copied = assemble_state(given)
    assert copied["data"] == given["data"] and copied["data"] is not given["data"]
    taken = assemble_state(hand_over(given))
    assert taken["data"] is given["data"] and type(taken) is dict
    assert taken["configuration"] == {"k": "v"}
