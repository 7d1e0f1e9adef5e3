"""The DestinationAPI test server itself (runtime/testing/destination.py)."""

from __future__ import annotations

import gzip

import requests

from runtime.testing.destination import DestinationAPI, Response


def test_records_requests_and_answers_user_routes(api):
    api.route("POST", "/patients", lambda request: Response(201, {"got": request.json}))
    api.route("*", "/any", "plain text")
    response = requests.post(f"{api.url}/patients?a=1&a=2", json={"name": "Ann"})
    assert (response.status_code, response.json()) == (201, {"got": {"name": "Ann"}})
    assert requests.delete(f"{api.url}/any").text == "plain text"
    first = api.requests[0]
    assert (first.method, first.path, first.query, first.query_string) == (
        "POST", "/patients", {"a": ["1", "2"]}, "a=1&a=2")
    assert first.headers["content-type"] == "application/json" and first.text == '{"name": "Ann"}'
    assert api.last.method == "DELETE"


def test_unknown_path_is_a_json_404(api):
    response = requests.get(f"{api.url}/nope")
    assert (response.status_code, response.json()) == (404, {"error": "not found", "path": "/nope"})


def test_a_failing_route_answers_500(api):
    api.route("GET", "/broken", lambda request: 1 / 0)
    response = requests.get(f"{api.url}/broken")
    assert response.status_code == 500 and "ZeroDivisionError" in response.json()["detail"]


def test_chunked_request_bodies_are_read(api):
    requests.put(f"{api.url}/echo", data=iter([b"a", b"bc"]))
    assert api.last.body == b"abc"


def test_reset_forgets_requests_counters_and_optionally_routes(api):
    api.route("GET", "/r", "x")
    requests.get(f"{api.url}/retry-after/1?seconds=0")
    api.reset()
    assert api.requests == []
    assert requests.get(f"{api.url}/retry-after/1?seconds=0").status_code == 429
    assert requests.get(f"{api.url}/r").text == "x"
    api.reset(routes=True)
    assert requests.get(f"{api.url}/r").status_code == 404


def test_gzip_route_is_really_compressed(api):
    raw = requests.get(f"{api.url}/gzip", stream=True).raw.read(decode_content=False)
    assert gzip.decompress(raw).startswith(b'{"gzipped": true')


def test_head_and_no_body_statuses(api):
    response = requests.head(f"{api.url}/echo")
    assert response.status_code == 200 and response.content == b""
    assert requests.get(f"{api.url}/status/204").content == b""


def test_start_stop_and_free_port():
    api = DestinationAPI().start()
    try:
        assert api.port > 0 and api.url == f"http://127.0.0.1:{api.port}"
        assert requests.get(f"{api.url}/echo").ok
    finally:
        api.stop()
    api.stop()  # idempotent
