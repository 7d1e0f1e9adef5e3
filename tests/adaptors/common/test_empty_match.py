"""A JSONPath that matches nothing is said: a warning naming it, or a failure when strict."""

from __future__ import annotations

import logging

import pytest

from adaptors.common import data_value, each, fn, join, last_reference_value, map, merge, source, source_value
from adaptors.common.empty_match import EmptyMatchError, empty_matches

STATE = {"data": {"patients": [{"id": 1}]}, "references": []}


@pytest.mark.parametrize("operation, name, path", [
    (each("$.patient[*]", fn(lambda state: state)), "each", "$.patient[*]"),
    (map("$.data.visits[*]", lambda item: item), "map", "$.data.visits[*]"),
    (fn(lambda state: merge("$.data.visits[*]", {"x": 1})(state)), "merge", "$.data.visits[*]"),
    (fn(lambda state: join("$.data.patients[*]", "$.data.clinic", "clinic")(state)), "join", "$.data.clinic"),
    (fn(lambda state: data_value("patient.id")(state)), "data_value", "$.data.patient.id"),
    (fn(lambda state: source_value("$.data.nope")(state)), "source_value", "$.data.nope"),
    (fn(lambda state: source("$.data.nope[*]")(state)), "source", "$.data.nope[*]"),
    (fn(lambda state: last_reference_value("id")(state)), "last_reference_value", "$.references[0].id"),
])
def test_an_empty_match_warns_with_the_path_and_fails_when_strict(operation, name, path, caplog):
    message = f'{name}: the JSONPath "{path}" matched nothing'
    with caplog.at_level(logging.WARNING, logger="pyfn.adaptor.common"), empty_matches():
        operation(dict(STATE))
        operation(dict(STATE))
    assert [r.getMessage() for r in caplog.records] == [message]  # once per operation and path
    with empty_matches(strict=True), pytest.raises(EmptyMatchError) as raised:
        operation(dict(STATE))
    assert str(raised.value) == message


def test_a_path_that_matches_says_nothing(caplog):
    with caplog.at_level(logging.WARNING, logger="pyfn.adaptor.common"), empty_matches(strict=True):
        each("$.data.patients[*]", fn(lambda state: state))(dict(STATE))
        assert data_value("patients[0].id")(STATE) == 1
    assert caplog.records == []
