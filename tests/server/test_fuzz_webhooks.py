"""Property-based fuzzing (hypothesis) of webhook deliveries to a real ``pyfn serve``: whatever the body,
content type or query, the answer is never a 5xx, and every delivery answered 2xx is in the store with
the body it carried."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from .conftest import Server, open_db

TOKEN = "fuzz-token-1"
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=400),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(1, 6000).map(lambda depth: ("[" * depth + "]" * depth).encode()),
    st.sampled_from([b"NaN", b'{"a": Infinity}', b"[-Infinity]", b'{"a": 1e999}', b'"\\ud800"', b"{}" * 3,
                     b'{"id": 1}', b'{"id": "1"}', b"\xff\xfe", b"<form/>", b"a=1&a=2&b"]))
content_types = st.sampled_from([None, "application/json", "application/json; charset=latin-1", "text/xml",
                                 "application/x-www-form-urlencoded", "text/plain; charset=nope",
                                 "application/octet-stream", "application/vnd.api+json", "multipart/form-data"])
queries = st.dictionaries(st.text(min_size=1, max_size=6), st.text(max_size=10), max_size=3)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("fuzz"), "--workers", "0")
    server.env["PYFN_API_TOKEN"] = TOKEN
    server.start()
    yield server
    server.stop(timeout=10)


@SETTINGS
@given(body=bodies, content_type=content_types, query=queries, method=st.sampled_from(["POST", "PUT", "PATCH"]))
def test_no_delivery_gets_a_5xx_and_every_2xx_is_stored(server, body, content_type, query, method):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = requests.request(method, f"{server.url}/i/open", data=body, headers=headers, params=query, timeout=30)
    assert answer.status_code < 500, (answer.status_code, answer.text)
    if answer.status_code >= 300:
        assert "error" in answer.json()
        return
    store = open_db(server.db)
    try:
        run = store.get_run(answer.json()["run_id"])
    finally:
        store.close()
    assert run is not None and run.input["request"]["method"] == method
    shown = requests.get(f"{server.url}/api/runs/{run.run.id}", timeout=30,
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert shown.status_code == 200 and shown.json()["input"] == run.input
