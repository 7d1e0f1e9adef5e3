"""The direct walk of simple JSONPaths gives exactly what jsonpath-ng gives, on every kind of value."""

from __future__ import annotations

import pytest
from jsonpath_ng.ext import parse

from adaptors.common import jsonpath

DOCUMENTS = [
    {"data": {"items": [1, {"a": 2}, [3, 4]], "x": None, "first name": "A", "*": 5, "d": {"k": 1, "j": [5]}},
     "references": [{"foo": 1}, {"foo": 2}]},
    {"data": [1, 2, 3]}, {"data": "text"}, {"data": None}, [1, 2], "x", None, {"data": {"items": (1, 2)}},
]
PATHS = ["$.data.items[*]", "data.items", "$.data.items[0]", "$.data.items[1].a", "$.data.items[-1]",
         "$.data.items[-4]", "$.data.items[9]", "$.data[*]", "$.data.*", "$", "$.data.x", "$.data.nope",
         "$.data['first name']", "$.data['*']", "$.references[0].foo", "$.data.d.j[0]", "$.data.items[*].a",
         "$..a", "$.data.items[0,2]", "$.data[0]", "$.data.items[1:]", "$.data[?(@.a > 1)]"]


def _reference(document, path):
    return [match.value for match in parse(path).find(document)]


@pytest.mark.parametrize("path", PATHS)
def test_query_matches_jsonpath_ng(path):
    for document in DOCUMENTS:
        assert jsonpath.query(document, path) == _reference(document, path), (path, document)


def test_names_indexes_and_wildcards_take_the_direct_walk():
    assert jsonpath._steps("$.data.items[*]") is not None
    assert jsonpath._steps("$.references[0].foo") is not None
    assert jsonpath._steps("$..a") is None and jsonpath._steps("$.data[?(@.a > 1)]") is None


def test_the_walk_returns_the_items_themselves_not_copies():
    items = [{"id": 1}, {"id": 2}]
    found = jsonpath.query({"data": {"items": items}}, "$.data.items[*]")
    assert found == items and all(a is b for a, b in zip(found, items))
