"""The adaptor contract: __all__, docstrings, the configuration schema, sizes, no runtime imports."""

from __future__ import annotations

import ast
import inspect
import pathlib

import jsonschema
import pytest

import adaptors.commcare as commcare
from runtime.cli.show import describe_operation

PACKAGE = pathlib.Path(commcare.__file__).parent
OPENFN = {"bulk", "fetch_report_data", "get", "http", "post", "request", "submit", "submit_xls"}
PYFN = {"fetch_cases", "fetch_forms", "get_cases", "list_cases", "repeat_entries", "submit_form", "upsert_cases"}


def _operations():
    for name in commcare.__all__:
        value = getattr(commcare, name)
        if inspect.ismodule(value):
            yield from ((f"{name}.{op}", getattr(value, op)) for op in value.__all__)
        else:
            yield name, value


def test_all_lists_openfn_and_pyfn_operations_sorted():
    assert commcare.__all__ == sorted(commcare.__all__)
    assert set(commcare.__all__) == OPENFN | PYFN


@pytest.mark.parametrize("name, operation", list(_operations()))
def test_every_operation_is_documented_with_a_job_example(name, operation):
    doc = inspect.getdoc(operation)
    for section in ("Args:", "Returns:", "Example:", "Differences from OpenFn:"):
        assert section in doc, (name, section)
    example = doc.split("Example:", 1)[1].split("Differences from OpenFn:", 1)[0]
    ast.parse(inspect.cleandoc(example))  # the example is job code


def test_pyfn_docs_prints_an_operation_and_the_http_namespace():
    assert "Example:" in describe_operation("submit_form", commcare.submit_form)
    assert 'http.get("case/v2"' in describe_operation("http", commcare.http)


def test_module_docstring_lists_the_divergences():
    doc = inspect.getdoc(commcare)
    assert "Differences from OpenFn:" in doc
    for topic in ("Resilience", "fetch_report_data", "xlsx", "slash", "each_page"):
        assert topic in doc


def test_runtime_hooks_and_schema():
    assert callable(commcare.execute)
    schema = commcare.CONFIGURATION_SCHEMA
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert set(schema["required"]) == {"hostUrl", "domain", "appId", "username"}
    assert schema["properties"]["apiKey"]["writeOnly"] and schema["properties"]["password"]["writeOnly"]


GOOD = {"hostUrl": "https://www.commcarehq.org", "domain": "demo", "appId": "a1", "username": "me@example.org"}


@pytest.mark.parametrize("configuration", [
    {**GOOD, "apiKey": "k"}, {**GOOD, "password": "p"}, {**GOOD, "apiKey": "k", "retries": False},
    {**GOOD, "password": "p", "retries": {"max_time": 60, "rate_limit_time": None}, "timeout": 30},
])
def test_valid_configurations(configuration):
    jsonschema.Draft7Validator(commcare.CONFIGURATION_SCHEMA).validate(configuration)


@pytest.mark.parametrize("configuration, words", [
    (GOOD, "'apiKey' is a required property"),
    ({**GOOD, "apiKey": "k", "hostUrl": "www.commcarehq.org"}, "does not match"),
    ({"domain": "demo", "appId": "a", "username": "u", "apiKey": "k"}, "'hostUrl' is a required property"),
    ({"hostUrl": "https://x", "appId": "a", "username": "u", "apiKey": "k"}, "'domain' is a required property"),
    ({**GOOD, "apiKey": "k", "retries": {"tries": 3}}, "('tries' was unexpected)"),
])
def test_invalid_configurations_name_what_is_missing(configuration, words):
    errors = [e.message for e in jsonschema.Draft7Validator(commcare.CONFIGURATION_SCHEMA).iter_errors(configuration)]
    assert any(words in message for message in errors), errors


def test_adaptor_never_imports_the_runtime():
    for path in PACKAGE.glob("*.py"):
        source = path.read_text()
        assert "import runtime" not in source and "from runtime" not in source, path.name


def test_modules_stay_small_and_functions_short():
    for path in PACKAGE.glob("*.py"):
        source = path.read_text()
        assert len(source.splitlines()) <= 300, path.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                length = body[-1].end_lineno - body[0].lineno + 1
                assert length <= 40, f"{path.name}:{node.name} has {length} lines"
