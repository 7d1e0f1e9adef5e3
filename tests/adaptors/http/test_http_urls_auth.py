"""baseUrl joining, origin rules, OpenFn's URL errors, and when credentials are applied."""

from __future__ import annotations

import base64
import logging

import pytest

from adaptors.http import execute, get, post
from adaptors.http.errors import URLError
from adaptors.http.urls import encode_query, origin, resolve_url


@pytest.mark.parametrize("base, path, expected", [
    ("https://x.org/api/v1", "/patients", "https://x.org/api/v1/patients"),
    ("https://x.org/api/v1/", "patients/", "https://x.org/api/v1/patients/"),
    ("https://x.org/api//v1/", "//patients//1", "https://x.org/api/v1/patients/1"),
    ("https://x.org", "", "https://x.org/"),
    ("https://x.org/a/b", "../c", "https://x.org/a/c"),
    ("https://X.org:8443/a", "/p?q=1&r=a b", "https://x.org:8443/a/p?q=1&r=a%20b"),
])
def test_relative_paths_join_the_base_path(base, path, expected):
    assert resolve_url(path, base)[0] == expected


def test_url_query_is_parsed_like_node_querystring():
    assert resolve_url("/x?a=1&a=2&b=&c=a+b", "http://h")[1] == {"a": ["1", "2"], "b": "", "c": "a b"}


def test_each_call_gets_its_own_parsed_query():
    first = resolve_url("/x?a=1", "http://h")[1]
    first["a"] = "changed"
    assert resolve_url("/x?a=1", "http://h")[1] == {"a": "1"}


def test_sent_request_target_of_unusual_urls(api):
    """No path sends ``/``; the fragment is never sent; credentials in the URL are not the host."""
    api.route("GET", "/", {"ok": True})
    api.route("GET", "/p", {"ok": True})
    host = api.url.split("://", 1)[1]
    for url, path, query in [(f"{api.url}?a=1#frag", "/", "a=1"), (f"{api.url}/p?#x", "/p", ""),
                             (f"http://u:p@{host}/p?b=2", "/p", "b=2")]:
        execute(get(url))({})
        assert (api.last.path, api.last.query_string) == (path, query)


def test_encode_query():
    assert encode_query({"a": [1, 2], "b": "x y", "c": None, "d": False, "e": 1.0,
                         "f": {"k": 1}}) == "a=1&a=2&b=x%20y&c=&d=false&e=1&f=%7B%22k%22%3A1%7D"


def test_origins_compare_with_default_ports():
    assert origin("https://X.org/a") == origin("https://x.org:443/b")
    assert origin("http://x.org") != origin("https://x.org")


def test_base_path_is_kept_on_a_live_request(api):
    api.route("GET", "/api/v1/patients", {"ok": True})
    state = execute(get("/patients"))({"configuration": {"baseUrl": f"{api.url}/api/v1"}})
    assert state["data"] == {"ok": True}
    assert state["response"]["url"] == f"{api.url}/api/v1/patients"


def test_relative_url_without_base_url_is_openfns_error():
    with pytest.raises(URLError) as caught:
        execute(get("/patients"))({"configuration": {}})
    error = caught.value
    assert str(error) == "UNEXPECTED_RELATIVE_URL" and error.code == "UNEXPECTED_RELATIVE_URL"
    assert error.details["description"] == "You passed a relative URL but didn't set baseUrl"
    assert error.details["url"] == "/patients"
    assert error.fix.startswith("Set the baseUrl on state.configuration")


def test_no_url_at_all():
    with pytest.raises(URLError, match="^NO_URL$") as caught:
        execute(get(None))({})
    assert caught.value.details["description"] == "No URL provided"


def test_other_origin_than_base_url_is_refused(api):
    with pytest.raises(URLError) as caught:
        execute(get("https://elsewhere.example/x"))({"configuration": {"baseUrl": api.url}})
    error = caught.value
    assert str(error) == "Target origin does not match baseUrl origin"
    assert error.code == "BASE_URL_MISMATCH"
    assert error.details["target"] == "https://elsewhere.example/x"
    assert error.details["baseUrl"] == api.url
    assert api.requests == []


def test_absolute_url_with_a_query_containing_a_url_is_not_an_origin_check(api):
    state = execute(get("/echo?next=http://elsewhere/x"))({"configuration": {"baseUrl": api.url}})
    assert state["data"]["query"] == {"next": "http://elsewhere/x"}


def test_invalid_base_url(api):
    with pytest.raises(URLError, match="Invalid baseUrl"):
        execute(get("/x"))({"configuration": {"baseUrl": "example.org/api"}})


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_auth_with_base_url(api):
    execute(get("/echo"))({"configuration": {"baseUrl": api.url, "username": "u", "password": "p"}})
    assert api.last.headers["authorization"] == basic("u", "p") == "Basic dTpw"


def test_bearer_wins_over_basic(api):
    cfg = {"baseUrl": api.url, "username": "u", "password": "p", "access_token": "tok"}
    execute(get("/echo"))({"configuration": cfg})
    assert api.last.headers["authorization"] == "Bearer tok"


def test_same_origin_absolute_url_gets_auth(api):
    cfg = {"baseUrl": f"{api.url}/api", "access_token": "tok"}
    execute(get(f"{api.url}/echo"))({"configuration": cfg})
    assert api.last.headers["authorization"] == "Bearer tok"


def test_no_auth_without_base_url(api):
    cfg = {"username": "u", "password": "p", "access_token": "tok"}
    execute(get(f"{api.url}/echo"))({"configuration": cfg})
    assert "authorization" not in api.last.headers


def test_no_basic_auth_with_only_a_username(api):
    execute(get("/echo"))({"configuration": {"baseUrl": api.url, "username": "u"}})
    assert "authorization" not in api.last.headers


@pytest.mark.parametrize("name", ["Authorization", "authorization"])
def test_explicit_authorization_header_is_never_overwritten(api, name):
    cfg = {"baseUrl": api.url, "access_token": "tok"}
    execute(post("/echo", {}, {"headers": {name: "ApiKey k"}}))({"configuration": cfg})
    assert api.last.headers["authorization"] == "ApiKey k"


def test_credentials_are_never_logged(api, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = {"baseUrl": api.url, "username": "user-x", "password": "pw-secret", "access_token": "tok-secret"}
    execute(get("/echo"), get("/nope", {"errors": {404: False}}))({"configuration": cfg})
    with pytest.raises(Exception):
        execute(get("/status/500"))({"configuration": cfg})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET" in text
    for secret in ("pw-secret", "tok-secret", basic("user-x", "pw-secret")):
        assert secret not in text
