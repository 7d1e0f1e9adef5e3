"""Redirects, timeouts, connection failures, and one keep-alive session per step."""

from __future__ import annotations

import pytest

from adaptors.http import execute, get, post
from adaptors.http import session as session_module
from adaptors.http.errors import ConnectError, HTTPAdaptorError, RequestTimeout
from adaptors.http.session import _CURRENT


def run(config, *operations):
    return execute(*operations)({"configuration": config})


def test_redirects_are_followed_and_response_url_is_the_requested_one(api, config):
    state = run(config, get("/redirect/3"))
    assert state["data"]["path"] == "/redirect/0"
    assert state["response"]["url"] == f"{api.url}/redirect/3"
    assert [r.path for r in api.requests] == ["/redirect/3", "/redirect/2", "/redirect/1", "/redirect/0"]


def test_five_redirects_by_default_then_the_3xx_is_returned(api, config):
    assert run(config, get("/redirect/5"))["response"]["statusCode"] == 200
    state = run(config, get("/redirect/6"))
    assert state["response"]["statusCode"] == 302
    assert state["response"]["statusMessage"] == "Moved Temporarily"
    assert state["data"] == {"redirect": 1}


@pytest.mark.parametrize("options", [{"max_redirects": 0}, {"maxRedirections": 0},
                                     {"followAllRedirects": False}])
def test_redirects_can_be_turned_off(api, config, options):
    state = run(config, get("/redirect/1", options))
    assert state["response"]["statusCode"] == 302
    assert state["response"]["headers"]["location"] == "/redirect/0"
    assert len(api.requests) == 1


def test_max_redirects_limit(api, config):
    state = run(config, get("/redirect/3", {"max_redirects": 2}))
    assert state["response"]["statusCode"] == 302 and len(api.requests) == 3


def test_303_turns_a_post_into_a_get_and_307_keeps_it(api, config):
    state = run(config, post("/redirect/1?status=303", {"a": 1}))
    assert (state["data"]["method"], state["data"]["json"]) == ("GET", None)
    state = run(config, post("/redirect/1?status=307", {"a": 1}))
    assert (state["data"]["method"], state["data"]["json"]) == ("POST", {"a": 1})


def test_timeout_raises_a_clear_error(api, config):
    with pytest.raises(RequestTimeout) as caught:  # the answer comes after 2 s: only the timeout raises
        run(config, get("/slow/2000", {"timeout": 0.2}))
    error = caught.value
    assert str(error) == f"GET to {api.url}/slow/2000 timed out after 0.2s"
    assert error.code == "TIMEOUT" and error.details["timeout"] == 0.2 and error.fix


def test_a_slow_answer_within_the_timeout_is_fine(config):
    assert run(config, get("/slow/50", {"timeout": 5}))["data"] == {"slept_ms": 50}


def test_millisecond_looking_timeout_is_warned_about(config, http_log):
    run(config, get("/echo", {"timeout": 5000}))
    assert any("in seconds" in r.getMessage() for r in http_log.records)


def test_connection_refused(closed_port):
    url = f"http://127.0.0.1:{closed_port}/x"
    with pytest.raises(ConnectError) as caught:
        execute(get(url))({})
    error = caught.value
    assert str(error).startswith(f"GET to {url} failed: could not connect (")
    assert "refused" in str(error).lower() and error.code == "CONNECTION_ERROR"


def test_one_keep_alive_connection_per_step(api, config):
    run(config, *[get("/echo") for _ in range(50)], post("/echo", {"a": 1}))
    assert len(api.requests) == 51
    assert len({request.client for request in api.requests}) == 1


def test_each_step_has_its_own_session(api, config):
    run(config, get("/echo"))
    run(config, get("/echo"))
    assert len({request.client for request in api.requests}) == 2


def test_session_is_in_the_context_during_execute_only(config):
    seen = []
    run(config, lambda state: seen.append(_CURRENT.get()) or state)
    assert seen[0] is not None and _CURRENT.get() is None


def test_session_is_closed_even_when_an_operation_raises(config, monkeypatch):
    closed = []
    original = session_module.StepSession.close
    monkeypatch.setattr(session_module.StepSession, "close",
                        lambda self: closed.append(self) or original(self))

    def boom(state):
        raise ValueError("boom")

    with pytest.raises(ValueError):
        run(config, get("/echo"), boom)
    assert len(closed) == 1 and _CURRENT.get() is None


def test_environment_proxies_are_ignored(api, config, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    assert run(config, get("/echo"))["response"]["statusCode"] == 200


def test_tls_option_with_a_missing_file(config):
    with pytest.raises(HTTPAdaptorError, match="tls.ca: no such file") as caught:
        run(config, get("/echo", {"tls": {"ca": "/nonexistent/ca.pem"}}))
    assert caught.value.code == "TLS_CONFIG"
