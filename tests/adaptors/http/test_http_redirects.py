"""Redirect rules of the transport (method, body, Authorization), file lengths, cookies and default headers."""

from __future__ import annotations

import io

from adaptors.http import execute, get, post, put
from runtime.testing.destination import Response

AUTH = {"username": "u", "password": "p"}


def run(config, *operations):
    return execute(*operations)({"configuration": config})


def test_authorization_is_dropped_on_a_redirect_to_another_host(api):
    api.route("GET", "/away", Response(302, "", {"Location": f"http://localhost:{api.port}/echo"}))
    state = run({"baseUrl": api.url, **AUTH}, get("/away"))
    assert state["data"]["path"] == "/echo"
    first, second = api.requests
    assert first.headers["authorization"].startswith("Basic ")
    assert "authorization" not in second.headers


def test_authorization_is_kept_on_a_redirect_on_the_same_origin(api):
    run({"baseUrl": api.url, **AUTH}, get("/redirect/1"))
    assert [r.headers.get("authorization", "")[:6] for r in api.requests] == ["Basic ", "Basic "]


def test_a_302_after_a_post_is_a_get_without_body_or_content_type(api, config):
    state = run(config, post("/redirect/1?status=302", {"a": 1}))
    assert (state["data"]["method"], state["data"]["json"]) == ("GET", None)
    assert "content-type" not in api.requests[-1].headers


def test_a_301_keeps_a_put_but_drops_its_body_and_a_308_keeps_both(api, config):
    state = run(config, put("/redirect/1?status=301", {"a": 1}))
    assert (state["data"]["method"], state["data"]["json"]) == ("PUT", None)
    state = run(config, put("/redirect/1?status=308", {"a": 1}))
    assert (state["data"]["method"], state["data"]["json"]) == ("PUT", {"a": 1})


def test_a_file_body_is_sent_again_whole_after_a_307(api, config):
    handle = io.BytesIO(b"skip:the file body")
    handle.read(5)
    state = run(config, post("/redirect/1?status=307", handle, {"content_type": "text/plain"}))
    assert state["data"]["body"] == "the file body"
    assert [r.headers.get("content-length") for r in api.requests] == ["13", "13"]


def test_a_file_body_has_a_content_length(api, config, tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(b"x" * 1000)
    with path.open("rb") as handle:
        run(config, put("/echo", handle))
    assert api.last.headers["content-length"] == "1000" and "transfer-encoding" not in api.last.headers


def test_cookies_set_by_an_answer_are_not_sent_back(api, config):
    api.route("GET", "/login", Response(200, {"ok": True}, {"Set-Cookie": "sid=abc; Path=/"}))
    run(config, get("/login"), get("/echo"))
    assert "cookie" not in api.last.headers


def test_default_headers_can_be_replaced_whatever_their_case(api, config):
    run(config, get("/echo"))
    assert api.last.headers["accept-encoding"] == "gzip, deflate" and api.last.headers["accept"] == "*/*"
    run(config, get("/echo", {"headers": {"accept": "text/csv", "USER-AGENT": "crm-sync"}}))
    assert (api.last.headers["accept"], api.last.headers["user-agent"]) == ("text/csv", "crm-sync")
