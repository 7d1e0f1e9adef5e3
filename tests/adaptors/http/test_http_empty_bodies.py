"""A response without a body leaves no ``data`` key, for every verb, as OpenFn's final state shows.

Expected states: ``tests/openfn_recorded/http_empty_bodies.json``, recorded with @openfn/runtime
1.9.5 and language-http 7.2.10 against ``tests/openfn_recorded/empty_bodies_server.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adaptors.http import delete, execute, get, patch, post, put
from runtime.testing.destination import Response

RECORDED = json.loads((Path(__file__).resolve().parents[2] / "openfn_recorded" / "http_empty_bodies.json").read_text())
OPERATIONS = {
    "get": lambda: get("/nc"), "post": lambda: post("/nc", {"a": 1}), "put": lambda: put("/nc", {"a": 1}),
    "patch": lambda: patch("/nc", {"a": 1}), "del": lambda: delete("/nc"),
    "empty-json": lambda: get("/empty-json"), "untyped-text": lambda: get("/untyped", {"parse_as": "text"}),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_an_empty_body_writes_no_data_key(api, config, name):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        api.route(method, "/nc", Response(204, b"", {"Content-Type": None}))
    api.route("GET", "/empty-json", Response(200, b"", {"Content-Type": "application/json"}))
    api.route("GET", "/untyped", Response(200, b"plain", {"Content-Type": None}))
    state = execute(OPERATIONS[name]())({**RECORDED["initial_state"], "configuration": config})
    expected = RECORDED["runs"][name]["final_state"]
    assert sorted(k for k in state if k != "configuration") == sorted(expected)
    assert state["references"] == expected["references"]
    assert (state["response"]["method"], state["response"]["statusCode"]) == (
        expected["response"]["method"], expected["response"]["statusCode"])


def test_a_json_null_body_is_still_data_null(api, config):
    api.route("GET", "/null", Response(200, b"null", {"Content-Type": "application/json"}))
    state = execute(get("/null"))({"configuration": config})
    assert "data" in state and state["data"] is None
