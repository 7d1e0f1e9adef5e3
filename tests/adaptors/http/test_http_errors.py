"""OpenFn's error messages and fields, the ``errors`` option, and the log lines."""

from __future__ import annotations

import json
import logging
import re

import pytest

from adaptors.http import execute, get, post
from adaptors.http.errors import HTTPError
from runtime.testing.destination import Response


def fail(config, operation):
    with pytest.raises(HTTPError) as caught:
        execute(operation)({"configuration": config})
    return caught.value


def test_404_is_openfns_error(api, config):
    error = fail(config, get("/nope"))
    url = f"{api.url}/nope"
    assert str(error) == f"GET to {url} returned 404: Not Found"
    assert (error.status_code, error.status_message, error.url, error.method) == (404, "Not Found", url, "GET")
    assert error.body == {"error": "not found", "path": "/nope"}
    assert error.headers["content-type"] == "application/json"
    assert isinstance(error.duration, int)
    details = error.details
    assert list(details) == ["message", "statusCode", "statusMessage", "url", "duration", "method",
                             "body", "headers"]
    assert details["message"] == str(error) and details["statusCode"] == 404
    json.dumps(details)  # JSON-safe for state.errors


def test_500_on_post(api, config):
    error = fail(config, post("/status/500", {"a": 1}))
    assert str(error) == f"POST to {api.url}/status/500 returned 500: Internal Server Error"


def test_error_message_uses_the_url_without_the_query_option(api, config):
    error = fail(config, get("/status/503?x=1", {"query": {"y": 2}}))
    assert str(error) == f"GET to {api.url}/status/503?x=1 returned 503: Service Unavailable"


@pytest.mark.parametrize("code, phrase", [(418, "I'm a teapot"), (422, "Unprocessable Entity"),
                                          (413, "Request Entity Too Large")])
def test_reason_phrases_are_http_status_codes_ones(config, code, phrase):
    assert fail(config, get(f"/status/{code}")).status_message == phrase


def test_unknown_status_uses_the_servers_phrase(config):
    error = fail(config, get("/status/599"))  # the test server sends no phrase for 599
    assert str(error).endswith("returned 599: Unknown Status")


def test_error_map_false_returns_normally(api, config):
    state = execute(get("/nope", {"errors": {404: False}}))({"configuration": config})
    assert state["data"] == {"error": "not found", "path": "/nope"}
    assert state["response"]["statusCode"] == 404
    assert state["response"]["statusMessage"] == "Not Found"


def test_error_map_keys_may_be_strings(config):
    state = execute(get("/nope", {"errors": {"404": False}}))({"configuration": config})
    assert state["response"]["statusCode"] == 404


def test_error_map_custom_message(config):
    assert str(fail(config, get("/nope", {"errors": {404: "No such patient"}}))) == "No such patient"


def test_error_map_true_makes_a_success_an_error(api, config):
    error = fail(config, get("/status/200", {"errors": {200: True}}))
    assert str(error) == f"GET to {api.url}/status/200 returned 200: OK"


def test_errors_false_never_raises(config):
    state = execute(get("/status/500", {"errors": False}))({"configuration": config})
    assert state["response"]["statusCode"] == 500


def test_other_statuses_still_raise_with_a_map(config):
    assert fail(config, get("/status/500", {"errors": {404: False}})).status_code == 500


def test_text_and_invalid_json_error_bodies(api, config):
    api.route("GET", "/text-error", Response(400, "bad input"))
    assert fail(config, get("/text-error")).body == "bad input"
    api.route("GET", "/bad-json", Response(502, b"<html>gateway", {"Content-Type": "application/json"}))
    assert fail(config, get("/bad-json")).body == "<html>gateway"


def test_error_without_body(config):
    error = fail(config, get("/status/401", {"parse_as": "json"}))
    assert error.status_code == 401 and error.body == {"status": 401, "path": "/status/401"}


def test_log_line_per_request(api, config, http_log):
    execute(get("/echo", {"query": {"a": 1}}))({"configuration": config})
    record = http_log.records[-1]
    assert record.levelno == logging.INFO and record.name == "pyfn.adaptor.http"
    assert re.fullmatch(rf"GET {re.escape(api.url)}/echo\?a=1 - 200 in \d+ms", record.getMessage())


def test_failure_logs_the_line_and_the_body_at_error(api, config, http_log):
    fail(config, get("/nope"))
    errors = [r for r in http_log.records if r.levelno == logging.ERROR]
    assert re.fullmatch(rf"GET {re.escape(api.url)}/nope - 404 in \d+ms", errors[0].getMessage())
    assert errors[1].getMessage().startswith("response body: {")
    assert '"error": "not found"' in errors[1].getMessage()


def test_an_error_leaves_the_input_state_alone(config):
    initial = {"configuration": config, "data": {"seed": 1}}
    with pytest.raises(HTTPError):
        execute(get("/status/200"), get("/nope"))(initial)
    assert initial == {"configuration": config, "data": {"seed": 1}}
