"""JSONPath as OpenFn reads it: every case recorded from jsonpath-plus, the issue's table, the fast walk.

Expected values come from ``tests/openfn_recorded/jsonpath_plus.json``: the output of
jsonpath-plus 10.4.0 (the version @openfn/language-common 3.3.4 installs), called as
language-common calls it, over ``tests/openfn_recorded/jsonpath_cases.json``
(see ``tests/openfn_recorded/README.md``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adaptors.common import jsonpath
from adaptors.common.jsonpath_trace import is_plain

RECORDED = Path(__file__).resolve().parents[2] / "openfn_recorded"
DOCUMENTS = json.loads((RECORDED / "jsonpath_cases.json").read_text())["documents"]
CASES = json.loads((RECORDED / "jsonpath_plus.json").read_text())
# pyfn refuses a path whose bracket or quote is left open (docs/openfn-users.md); OpenFn guesses.
REFUSED = {"$.data[", "$.data]", "$.data.a[?(@ > 1)", "$.data['a"}


@pytest.mark.parametrize("case", CASES, ids=[f"{c['document']}:{c['path']}" for c in CASES])
def test_every_recorded_path_gives_what_openfn_gives(case):
    document = DOCUMENTS[case["document"]]
    if "error" in case or case["path"] in REFUSED:
        with pytest.raises(jsonpath.JSONPathError):
            jsonpath.query(document, case["path"])
    else:
        assert jsonpath.query(document, case["path"]) == case["value"]


PEOPLE = DOCUMENTS["people"]


@pytest.mark.parametrize("path, names", [  # the rows of the issue's table, as jsonpath-plus 10.4.0 answers
    ("$.people[?(@.age > 18 && @.active)].name", ["Ann"]),
    ("$.people[?(@.role === 'user')].name", ["Ann", "Cy"]),
    ("$.people[?(!@.active)].name", ["Cy", "Di"]),
    ("$.people[?(@.email == null)].name", ["Bob", "Di"]),  # Di has no email: undefined == null
    ("$.people.0.name", ["Ann"]),
    ("$.people.length", [4]),
    ("$.people[(@.length-1)].name", ["Di"]),
    ("$.people[?(typeof @.email === 'undefined')].name", ["Di"]),
    ("$.people[?(@.name.startsWith('A'))].name", ["Ann"]),
    ("$.people[?(@.email === null)].name", ["Bob"]),
])
def test_the_issue_table(path, names):
    assert jsonpath.query(PEOPLE, path) == names


@pytest.mark.parametrize("path, position, advice", [
    ("$.people[?(@.name == 'Ann' and @.age > 1)]", 27, "&&"),
    ("$.people[?(@.active == True)]", 23, "true"),
    ("$.people[?(@.name = 'Ann')]", 18, "==="),
    ("$.people[?(@.name =~ 'A.*')]", 18, ".test("),
    ("$.people[?(not @.active)]", 11, "!"),
    ("$.people[?(@.age >)]", 18, "ends too early"),
])
def test_python_style_filters_say_how_to_write_them_and_where(path, position, advice):
    with pytest.raises(jsonpath.JSONPathError) as caught:
        jsonpath.query(PEOPLE, path)
    assert path in str(caught.value) and f"position {position}" in str(caught.value)
    assert advice in str(caught.value)


def test_a_filter_is_read_before_any_data():
    with pytest.raises(jsonpath.JSONPathError, match="position 16"):
        jsonpath.compile_path("$.nothing[?(@.a ! 1)]")


def test_a_failing_filter_names_the_path_and_the_reason():
    with pytest.raises(jsonpath.JSONPathError) as caught:
        jsonpath.query(PEOPLE, "$.people[?(@.nope.deeper)]")
    assert "$.people[?(@.nope.deeper)]" in str(caught.value)
    assert "Cannot read properties of undefined (reading 'deeper')" in str(caught.value)


def test_names_and_wildcards_take_the_direct_walk():
    assert is_plain(("data", "items", "*")) and is_plain(("references", "0", "foo"))
    assert not is_plain(("..", "a")) and not is_plain(("data", "?(@.a > 1)")) and not is_plain(("a", "0:2"))


def test_the_walk_returns_the_items_themselves_not_copies():
    items = [{"id": 1}, {"id": 2}]
    found = jsonpath.query({"data": {"items": items}}, "$.data.items[*]")
    assert found == items and all(a is b for a, b in zip(found, items))
    kept = jsonpath.query({"data": {"items": items}}, "$.data.items[?(@.id > 1)]")
    assert kept[0] is items[1]
