"""Large state texts: read and written with msgspec where that gives the json module's exact answer."""

import json

import pytest

from runtime.state_file import LARGE_JSON, parse_json, serialize_output

PADDING = " " * LARGE_JSON  # whitespace: a text long enough for the large-state path


def records(count: int) -> list[dict]:
    return [{"id": f"c{i:05d}", "name": "é\u2028\x1f\x7f", "visits": i % 10, "ok": i % 2 == 0, "none": None}
            for i in range(count)]


@pytest.mark.parametrize("extra", [
    {},
    {"floats": [0.1, 1.5, 100.0, -0.0, 1e-05, 2.5e-08, 1e16, 1.5e300, 123456789.123]},
    {"big": 123456789012345678901234567890, "negative": -98765432109876543210},
    {"surrogate": "x\ud800y"},
    {"1": "numeric-looking key", "": "empty key", "ids": ["3e4f", "0.00001", "nan", "1e+17"]},
    {"small": [2.1215587810700545e-05, -9.685036508084226e-05, 0.0001, 1e-4]},
    {"keys": {1: "int", 1.5: "float", 1e17: "exponent", 1e-05: "small", float("inf"): "inf", True: "bool",
              None: "none"}},
    {"text": "a: 1e-5 and 0.00001 in a string", "nested": [[[], {}], {"a": {"b": [1, [2, [3]]]}}]},
])
def test_a_large_output_is_written_as_the_json_module_writes_it(extra):
    state = {"data": {"records": records(3000)}, **extra}
    expected = json.dumps(state, indent=2, ensure_ascii=False).replace("\ud800", "\\ud800")
    assert serialize_output(state) == expected


def test_a_large_output_drops_configuration_and_writes_nan_as_null():
    state = {"configuration": {"secret": "s"}, "data": records(3000), "ratio": float("nan"), "top": float("inf")}
    written = json.loads(serialize_output(state))
    assert "configuration" not in written
    assert written["ratio"] is None and written["top"] is None
    assert written["data"] == records(3000)


@pytest.mark.parametrize("text", [
    json.dumps({"data": records(2000)}),
    json.dumps({"big": [123456789012345678901234567890, -18446744073709551617], "pad": records(2000)}),
    json.dumps({"surrogate": "\ud800", "escaped": "a\\\"b\\\\[{", "pad": records(2000)}),
    json.dumps({"floats": [0.1, 1e-7, 1.7976931348623157e308, 5e-324], "pad": records(2000)}),
])
def test_a_large_text_reads_as_the_json_module_reads_it(text):
    value = parse_json(text + PADDING)
    assert value == json.loads(text)
    assert json.dumps(value) == json.dumps(json.loads(text))  # same types: ints stay ints


@pytest.mark.parametrize("bad, message", [
    ('{"a": NaN}', "NaN is not valid JSON"),
    ('{"a": 1e400}', "too large a number"),
])
def test_a_large_text_is_refused_with_the_json_module_messages(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_json(bad + PADDING)


@pytest.mark.parametrize("lists, inner, deeper", [
    (198, "1", False), (199, "", False), (199, "1", True), (199, '"[]]]"', True), (200, "", True),
    (150, '"\\\\[[\\"{"', False), (600, "", True), (600, '"]]]]"', True),
])
def test_nesting_of_a_large_text_is_limited_to_200_levels(lists, inner, deeper):
    """The top object is level 1, its ``deep`` list level 2: an item may lie at level 200, no deeper."""
    body = '{"pad": %s, "deep": %s%s%s}' % (json.dumps(records(1500)), "[" * lists, inner, "]" * lists)
    assert len(body) >= LARGE_JSON
    if deeper:
        with pytest.raises(ValueError, match="nested deeper than 200 levels"):
            parse_json(body)
    else:
        value = parse_json(body)
        assert value["pad"] == records(1500)
        assert value == json.loads(body)
