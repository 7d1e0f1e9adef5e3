"""The adaptor contract: __all__, docstrings, the configuration schema, no runtime imports."""

from __future__ import annotations

import ast
import inspect
import pathlib

import jsonschema
import pytest

import adaptors.http as http

PACKAGE = pathlib.Path(http.__file__).parent


def test_all_is_sorted_and_every_name_is_a_documented_operation():
    assert http.__all__ == sorted(http.__all__)
    assert set(http.__all__) == {"delete", "get", "parse_xml", "patch", "post", "put", "request"}
    for name in http.__all__:
        doc = inspect.getdoc(getattr(http, name))
        assert doc and "Example:" in doc and "Args:" in doc and "Returns:" in doc, name
        assert "Differences from OpenFn:" in doc, name


def test_module_docstring_lists_the_divergences():
    doc = inspect.getdoc(http)
    assert "Differences from OpenFn:" in doc
    for topic in ("List bodies", "parse_xml", "Retries", "seconds", "content_type"):
        assert topic in doc


def test_runtime_hooks():
    assert callable(http.execute)
    assert http.CONFIGURATION_SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert http.CONFIGURATION_SCHEMA["additionalProperties"] is True


def test_adaptor_never_imports_the_runtime():
    for path in PACKAGE.glob("*.py"):
        source = path.read_text()
        assert "import runtime" not in source and "from runtime" not in source, path.name


@pytest.mark.parametrize("configuration", [
    {},
    {"baseUrl": "https://x.org/api", "username": "u", "password": "p", "other": 1},
    {"baseUrl": None, "access_token": "t"},
    {"baseUrl": "http://x", "tls": {"ca": "/etc/ca.pem", "verify": True}},
    {"retries": True}, {"retries": 3},
    {"retries": {"max": 5, "backoff": "exponential", "on": [429, 503], "base_delay": 0.5,
                 "max_delay": 10, "methods": ["GET", "POST"]}},
])
def test_valid_configurations(configuration):
    jsonschema.Draft7Validator(http.CONFIGURATION_SCHEMA).validate(configuration)


@pytest.mark.parametrize("configuration, words", [
    ({"username": "u"}, "'password' is a dependency of 'username'"),
    ({"password": "p"}, "'username' is a dependency of 'password'"),
    ({"baseUrl": "example.org"}, "does not match"),
    ({"baseUrl": 5}, "5 is not of type 'string', 'null'"),
    ({"retries": {"tries": 3}}, "('tries' was unexpected)"),
    ({"retries": -1}, "-1 is less than the minimum of 0"),
    ({"retries": {"backoff": "random"}}, "'random' is not one of"),
    ({"access_token": 1}, "is not of type 'string'"),
])
def test_invalid_configurations_name_the_problem(configuration, words):
    with pytest.raises(jsonschema.ValidationError) as caught:
        jsonschema.Draft7Validator(http.CONFIGURATION_SCHEMA).validate(configuration)
    assert words in caught.value.message


def test_modules_and_functions_stay_small():
    for path in PACKAGE.glob("*.py"):
        lines = path.read_text().splitlines()
        assert len(lines) <= 300, path.name


def test_functions_stay_short():
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno < 40, f"{path.name}:{node.name}"
