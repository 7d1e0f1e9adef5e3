"""The quick schema proof agrees with jsonschema: it says valid only where jsonschema finds nothing."""

import json
from pathlib import Path

import jsonschema
import pytest

from runtime.config_check import schema_problems
from runtime.schema_quick import plainly_valid

ROOT = Path(__file__).resolve().parents[2]
HTTP = json.loads((ROOT / "adaptors" / "http" / "configuration-schema.json").read_text())
COMMCARE = json.loads((ROOT / "adaptors" / "commcare" / "configuration-schema.json").read_text())

HTTP_CONFIGURATIONS = [
    {}, {"baseUrl": "https://x.org"}, {"baseUrl": None}, {"baseUrl": "HTTP://x"}, {"baseUrl": ""},
    {"baseUrl": "ftp://x"}, {"baseUrl": 7}, {"username": "u"}, {"username": "u", "password": "p"},
    {"access_token": 5}, {"tls": {"ca": ["a", "b"], "verify": False}}, {"tls": {"verify": "no"}},
    {"tls": []}, {"retries": True}, {"retries": 3}, {"retries": 11}, {"retries": -1}, {"retries": 3.0},
    {"retries": {"max": 2, "backoff": "linear", "on": [429, 503], "methods": ["GET"]}},
    {"retries": {"max": 2, "backoff": "sideways"}}, {"retries": {"base_delay": 0.001}},
    {"retries": {"on": [99]}}, {"retries": {"on": ["429"]}}, {"retries": {"extra": 1}},
    {"retries": {"max_delay": 3600.5}}, {"retries": "3"}, {"other": {"any": "thing"}},
]


@pytest.mark.parametrize("configuration", HTTP_CONFIGURATIONS)
def test_the_http_schema_is_proved_exactly_where_jsonschema_finds_no_problem(configuration):
    found = list(jsonschema.Draft7Validator(HTTP).iter_errors(configuration))
    if plainly_valid(configuration, HTTP):
        assert found == []
    assert (schema_problems(configuration, HTTP) == []) is (found == [])


@pytest.mark.parametrize("configuration, valid", [
    ({"baseUrl": "https://x.org"}, True), ({"username": "u", "password": "p"}, True),
    ({"retries": {"max": 2, "on": [429]}}, True), ({"tls": {"ca": "pem"}}, True),
    ({"baseUrl": "x"}, False), ({"username": "u"}, False), ({"retries": {"max": 11}}, False),
    ({"retries": {"nope": 1}}, False), ({"retries": {"backoff": "sideways"}}, False),
    ({"tls": {"verify": "no"}}, False), ({"retries": 3.0}, False),
])
def test_plain_http_configurations_are_proved_and_the_others_left_to_jsonschema(configuration, valid):
    assert plainly_valid(configuration, HTTP) is valid


@pytest.mark.parametrize("schema", [
    {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
    {"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b"]}},
    {"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}]}}},
])
def test_a_keyword_it_does_not_know_is_left_to_jsonschema(schema):
    assert plainly_valid({"a": "x"}, schema) is False


@pytest.mark.parametrize("configuration", [{}, {"apiKey": "k", "username": "u"}, {"domain": "d"}])
def test_the_commcare_schema_is_never_proved_wrong(configuration):
    if plainly_valid(configuration, COMMCARE):
        assert list(jsonschema.Draft7Validator(COMMCARE).iter_errors(configuration)) == []
