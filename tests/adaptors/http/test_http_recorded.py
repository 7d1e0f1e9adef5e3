"""http operations give OpenFn's final states: queries, headers, bodies, forms, errors, redirects.

Expected states: ``tests/openfn_recorded/http_requests.json``, recorded with @openfn/runtime
1.9.5 and language-http 7.2.10 against ``tests/openfn_recorded/http_echo_server.py`` (the same
server these tests start); durations, dates and the server header removed, the base URL
written ``BASE_URL``. The job of each run is recorded next to its state.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from adaptors.common import fn
from adaptors.http import delete, execute, get, patch, post, put, request
from adaptors.http.errors import HTTPError

FOLDER = Path(__file__).resolve().parents[2] / "openfn_recorded"
RECORDED = json.loads((FOLDER / "http_requests.json").read_text())
_SPEC = importlib.util.spec_from_file_location("http_echo_server", FOLDER / "http_echo_server.py")
echo_server = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(echo_server)

JOBS = {
    "query": lambda: [get("/echo", {"query": {"a": 1, "b": [1, 2], "c": None, "d": True}})],
    "urlquery": lambda: [get("/echo?z=9&a=0", {"query": {"a": 1}})],
    "headers": lambda: [get("/echo", {"headers": {"X-Custom": 5}})],
    "postjson": lambda: [post("/echo", {"n": 1, "s": "x"})],
    "postform": lambda: [post("/echo", {"a": 1, "b": "x"}, {"form": {"a": 1, "b": "x"}})],
    "poststring": lambda: [post("/echo", "raw text", {"headers": {"content-type": "text/plain"}})],
    "urlencoded": lambda: [post("/echo", {"a": 1, "b": "x y"}, {"content_type": "form"})],
    "missingnoerr": lambda: [get("/missing", {"errors": False})],
    "text": lambda: [get("/text")],
    "redirect": lambda: [get("/redirect")],
    "redirectfollow": lambda: [get("/redirect", {"max_redirects": 2})],
    "request": lambda: [request("OPTIONS", "/echo")],
    "auth": lambda: [get("/echo")],
    "del": lambda: [delete("/echo/7", {"body": {"why": 1}})],
    "twosteps": lambda: [get("/echo/1"), post("/echo/2", lambda s: {"prev": s["data"]["path"]})],
    "errmap": lambda: [get("/missing", {"errors": {404: False}})],
    "parsetext": lambda: [get("/echo", {"parse_as": "text"})],
    "prefixed": lambda: [get("/echo/x"), fn(lambda s: {**s, "p": s["data"]["path"]})],
    "putjson": lambda: [put("/echo/1", {"a": [1, {"b": None}]})],
    "patchjson": lambda: [patch("/echo/1", {"a": 1}, {"query": {"q": "x y"}})],
    "lazy": lambda: [get(lambda s: "/echo/" + str(s["data"]["start"]), {"query": lambda s: {"n": s["data"]["start"]}})],
    "authheader": lambda: [get("/echo", {"headers": {"Authorization": "Bearer zzz"}})],
}
# After a 302, requests sends the follow-up GET without the Content-Type header (docs/openfn-users.md).
REDIRECTED = {"redirect", "redirectfollow"}


@pytest.fixture(scope="module")
def base_url():
    server = echo_server.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _comparable(state, base_url):
    text = json.dumps({k: v for k, v in state.items() if k != "configuration"}).replace(base_url, "BASE_URL")
    state = json.loads(text)
    response = state.get("response", {})
    response.pop("duration", None)
    for header in ("date", "server", "connection", "keep-alive"):
        response.get("headers", {}).pop(header, None)
    return state


@pytest.mark.parametrize("name", sorted(JOBS))
def test_final_state_is_openfns(base_url, name):
    initial = {**RECORDED["initial_state"], "configuration": {**RECORDED["initial_state"]["configuration"],
                                                              "baseUrl": base_url}}
    state = _comparable(execute(*JOBS[name]())(initial), base_url)
    expected = json.loads(json.dumps(RECORDED["runs"][name]["final_state"]))
    if name in REDIRECTED:
        assert (expected["data"].pop("contentType"), state["data"].pop("contentType")) == ("application/json", "")
        for recorded in (expected, state):
            recorded["response"]["headers"].pop("content-length")
    assert state == expected


@pytest.mark.parametrize("name, options", [("missing", {}), ("errmsg", {"errors": {404: "custom no"}})])
def test_an_error_status_is_recorded_with_openfns_details(base_url, name, options):
    expected = RECORDED["runs"][name]["final_state"]["errors"]["job-1"]
    with pytest.raises(HTTPError) as caught:
        execute(get("/missing", options))({"configuration": {"baseUrl": base_url}})
    details = json.loads(json.dumps(caught.value.details).replace(base_url, "BASE_URL"))
    for header in ("date", "server", "connection", "keep-alive"):
        details["headers"].pop(header, None)
    assert isinstance(details.pop("duration"), int)  # OpenFn records one too; the recording drops timings
    assert str(caught.value) == expected["message"].replace("BASE_URL", base_url)
    assert details == expected["details"]
