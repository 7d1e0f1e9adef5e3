"""Every verb, body encodings, content types, query, headers, lazy arguments, the result shape."""

from __future__ import annotations

import io
import json

import pytest

from adaptors.http import delete, execute, get, patch, post, put, request


def run(config, *operations, **state):
    return execute(*operations)({"configuration": config, **state})


def test_get_sets_data_references_and_response(api, config):
    state = run(config, get("/echo"), data={"seed": 1})
    assert state["data"]["method"] == "GET"
    assert state["references"] == [{"seed": 1}]
    response = state["response"]
    assert set(response) == {"url", "method", "statusCode", "statusMessage", "headers", "duration"}
    assert response["url"] == f"{api.url}/echo"
    assert (response["method"], response["statusCode"], response["statusMessage"]) == ("GET", 200, "OK")
    assert response["headers"]["content-type"] == "application/json"
    assert all(name == name.lower() for name in response["headers"])
    assert isinstance(response["duration"], int) and response["duration"] >= 0


def test_execute_starts_from_openfns_initial_state(config):
    initial = {"configuration": config, "extra": 1}
    state = execute()(initial)
    assert state == {"references": [], "data": None, "configuration": config, "extra": 1}
    assert "references" not in initial  # the input is not mutated


def test_references_accumulate_across_requests(config):
    state = run(config, get("/status/200"), get("/status/201"), data={"orig": True})
    assert state["references"][0] == {"orig": True}
    assert state["references"][1] == {"status": 200, "path": "/status/200"}
    assert state["data"] == {"status": 201, "path": "/status/201"}


@pytest.mark.parametrize("verb, method", [(post, "POST"), (put, "PUT"), (patch, "PATCH")])
def test_body_verbs_send_json(api, config, verb, method):
    state = run(config, verb("/echo", {"name": "Ann", "age": 30}))
    received = api.last
    assert received.method == method
    assert received.json == {"name": "Ann", "age": 30}
    assert received.body == b'{"name":"Ann","age":30}'  # compact, as JSON.stringify
    assert received.headers["content-type"] == "application/json"
    assert state["data"]["json"] == {"name": "Ann", "age": 30}


def test_delete_and_request_with_any_method(api, config):
    run(config, delete("/echo/7", {"body": {"why": "dup"}}))
    assert (api.last.method, api.last.path, api.last.json) == ("DELETE", "/echo/7", {"why": "dup"})
    run(config, request("options", "/echo"))
    assert api.last.method == "OPTIONS"
    state = run(config, request("HEAD", "/echo"))
    assert api.last.method == "HEAD" and "data" not in state  # no body: OpenFn leaves data undefined


def test_body_option_wins_over_data_as_in_openfn(api, config):
    run(config, post("/echo", {"a": 1}, {"body": {"b": 2}}))
    assert api.last.json == {"b": 2}


def test_list_body_is_json_encoded(api, config):
    run(config, post("/echo", [{"a": 1}, {"a": 2}]))
    assert api.last.json == [{"a": 1}, {"a": 2}]
    run(config, post("/echo", ["x", "y"]))
    assert api.last.body == b'["x","y"]'


def test_string_bytes_file_and_iterator_bodies_are_sent_as_they_are(api, config):
    run(config, post("/echo", "héllo <x/>", {"content_type": "xml"}))
    assert api.last.body == "héllo <x/>".encode() and api.last.headers["content-type"] == "application/xml"
    run(config, post("/echo", b"\x00\x01", {"headers": {"Content-Type": "application/octet-stream"}}))
    assert api.last.body == b"\x00\x01"
    run(config, put("/echo", io.BytesIO(b"from a file")))
    assert api.last.body == b"from a file"
    run(config, post("/echo", (chunk for chunk in [b"ab", b"cd"])))
    assert api.last.body == b"abcd" and api.last.headers["transfer-encoding"] == "chunked"


@pytest.mark.parametrize("falsy", [None, False, 0, ""])
def test_falsy_bodies_send_nothing(api, config, falsy):
    run(config, post("/echo", falsy))
    assert api.last.body == b""


def test_empty_dict_body_is_sent(api, config):
    run(config, post("/echo", {}))
    assert api.last.body == b"{}"


def test_content_type_header_is_set_on_every_request_as_openfn(api, config):
    run(config, get("/echo"))
    assert api.last.headers["content-type"] == "application/json"
    run(config, get("/echo", {"content_type": "string"}))
    assert api.last.headers["content-type"] == "text/plain"


def test_existing_content_type_header_is_kept_whatever_its_case(api, config):
    run(config, post("/echo", "a,b", {"headers": {"content-TYPE": "text/csv"}, "content_type": "xml"}))
    assert api.last.headers["content-type"] == "text/csv"


def test_content_type_may_be_a_mime_type(api, config):
    run(config, post("/echo", {"resourceType": "Patient"}, {"content_type": "application/fhir+json"}))
    assert api.last.headers["content-type"] == "application/fhir+json"
    assert api.last.json == {"resourceType": "Patient"}


def test_form_is_multipart_and_drops_content_type_header(api, config):
    body = {"name": "Ann", "skip": None, "tags": ["a", "b"], "n": 3, "file": io.BytesIO(b"bytes")}
    run(config, post("/echo", body, {"content_type": "form", "headers": {"Content-Type": "x/y"}}))
    received = api.last
    assert received.headers["content-type"].startswith("multipart/form-data; boundary=")
    text = received.text
    assert 'name="name"\r\n\r\nAnn' in text and 'name="n"\r\n\r\n3' in text
    assert 'name="tags"\r\n\r\n["a","b"]' in text
    assert 'name="skip"' not in text
    assert 'name="file"; filename="file"' in text and "bytes" in text


def test_form_needs_a_dict(config):
    with pytest.raises(TypeError, match="form"):
        run(config, post("/echo", "a=1", {"content_type": "form"}))


def test_urlencoded_form(api, config):
    run(config, post("/echo", {"to": "+255 700", "msg": "hi & bye", "x": [1, 2]}, {"content_type": "urlencoded"}))
    assert api.last.headers["content-type"] == "application/x-www-form-urlencoded"
    assert api.last.text == "to=%2B255+700&msg=hi+%26+bye&x=1&x=2"


def test_unknown_content_type_or_parse_as_raise(config):
    with pytest.raises(ValueError, match="content_type"):
        run(config, post("/echo", {}, {"content_type": "yaml"}))
    with pytest.raises(ValueError, match="parse_as"):
        run(config, get("/echo", {"parse_as": "xml"}))


def test_camel_case_option_names_are_accepted(api, config):
    state = run(config, post("/echo", "<a/>", {"contentType": "xml", "parseAs": "text"}))
    assert api.last.headers["content-type"] == "application/xml"
    assert isinstance(state["data"], str)
    state = run(config, get("/redirect/2", {"maxRedirections": 1}))
    assert state["response"]["statusCode"] == 302


def test_unknown_options_are_logged_and_ignored(config, http_log):
    run(config, get("/echo", {"heders": {"a": "b"}}))
    assert any("Unknown request option 'heders'" in r.getMessage() for r in http_log.records)


def test_query_lists_repeat_and_url_query_wins(api, config):
    state = run(config, get("/echo?x=1&z=a b", {"query": {"x": 9, "y": [1, 2], "ok": True, "none": None}}))
    assert api.last.query_string == "x=1&y=1&y=2&ok=true&none=&z=a%20b"
    assert api.last.query == {"x": "1", "y": ["1", "2"], "ok": "true", "none": "", "z": "a b"}
    response = state["response"]
    assert response["url"] == f"{api.url}/echo?x=1&z=a%20b"
    assert response["query"] == {"x": "1", "y": [1, 2], "ok": True, "none": None, "z": "a b"}


def test_query_option_values_keep_their_types_in_response(config, api):
    state = run(config, get("/echo", {"query": {"page": 2}}))
    assert state["response"]["query"] == {"page": 2}
    assert state["response"]["url"] == f"{api.url}/echo"


def test_headers_are_sent_and_values_stringified(api, config):
    run(config, get("/echo", {"headers": {"X-Count": 3, "X-Name": "a", "X-None": None}}))
    assert api.last.headers["x-count"] == "3" and api.last.headers["x-name"] == "a"
    assert "x-none" not in api.last.headers


def test_every_argument_may_be_lazy(api, config):
    state = {"configuration": config, "data": {"id": 7, "name": "Ann", "token": "t"}}
    op = post(lambda s: f"/echo/{s['data']['id']}",
              {"name": lambda s: s["data"]["name"], "tags": [lambda s: "x"]},
              {"headers": {"X-Token": lambda s: s["data"]["token"]},
               "query": lambda s: {"id": s["data"]["id"]}})
    execute(op)(state)
    assert api.last.path == "/echo/7" and api.last.json == {"name": "Ann", "tags": ["x"]}
    assert api.last.headers["x-token"] == "t" and api.last.query == {"id": "7"}
    execute(get("/echo", lambda s: {"query": {"q": s["data"]["name"]}}))(state)
    assert api.last.query == {"q": "Ann"}


def test_error_map_values_may_be_lazy(config):
    state = {"configuration": config, "data": {"tolerate": 404}}
    options = {"errors": lambda s: {s["data"]["tolerate"]: False}}
    assert execute(get("/nope", options))(state)["response"]["statusCode"] == 404


def test_verbs_work_outside_execute(api, config):
    state = get("/echo")({"configuration": config, "data": 1, "references": []})
    assert state["data"]["path"] == "/echo" and state["references"] == [1]


def test_operations_do_not_mutate_their_input(config):
    headers = {"X-A": "1"}
    initial = {"configuration": {**config, "username": "u", "password": "p"}, "data": {"x": 1},
               "references": []}
    snapshot = json.dumps(initial)
    post("/echo", {"a": 1}, {"headers": headers, "content_type": "form"})(initial)
    assert json.dumps(initial) == snapshot and headers == {"X-A": "1"}
