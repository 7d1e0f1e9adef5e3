"""Bad input never breaks ``pyfn serve``: slow and idle clients, hostile bodies and queries get a 4xx, nothing accepted is lost."""

from __future__ import annotations

import base64
import resource
import socket

import pytest
import requests

from .conftest import FORWARDING_PASSWORD, wait_until

BASIC = {"Authorization": "Basic " + base64.b64encode(f"commcare:{FORWARDING_PASSWORD}".encode()).decode()}
TOKEN = "bad-input-token-1"
IDLE = 1100


# a server that accepts and runs nothing (--workers 0), with short client deadlines
SERVER_ARGS = ("--workers", "0", "--head-timeout-s", "2", "--body-timeout-s", "1")
SERVER_ENV = {"PYFN_API_TOKEN": TOKEN}


def _form(form_id) -> dict:
    return {"id": form_id, "received_on": "2026-11-25T08:00:00Z", "metadata": {"username": "chw1"},
            "form": {"hh_name": "Okafor"}}


def test_idle_half_header_connections_do_not_stop_valid_deliveries(server, store):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < IDLE + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(IDLE + 200, hard), hard))
    idle = []
    try:
        for _ in range(IDLE):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"POST /i/open HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")  # and waits
            idle.append(sock)
        answers = [server.post("open", {"n": n}, timeout=30) for n in range(5)]
        assert [answer.status_code for answer in answers] == [201] * 5
        for answer in answers:
            assert store.get_run(answer.json()["run_id"]).input["data"]["n"] in range(5)
        for sock in idle:  # each idle connection is closed by the server once its head deadline passes
            sock.settimeout(30)
            assert sock.recv(100) == b""
    finally:
        for sock in idle:
            sock.close()
    wait_until(lambda: "connection(s) that sent no complete request within 2s" in server.output())


def test_a_body_that_does_not_arrive_is_dropped_with_408(server, store):
    before = sum(store.counts().values())
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /i/open HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"a\": ")
        sock.settimeout(30)
        answer = b""
        while b"upload dropped" not in answer:  # the head and the body may come in separate reads
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"upload dropped" in answer
    assert sum(store.counts().values()) == before
    wait_until(lambda: "POST /i/open 408 in" in server.output())


@pytest.mark.parametrize("body, expected", [
    ('{"a": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper than 200 levels"),
    ('{"a": NaN}', "NaN is not valid JSON"),
    ('{"a": [Infinity]}', "Infinity is not valid JSON"),
    ('{"a": -Infinity}', "-Infinity is not valid JSON"),
])
def test_json_the_store_could_not_hold_is_400_and_starts_nothing(server, store, body, expected):
    before = sum(store.counts().values())
    answer = requests.post(f"{server.url}/i/open", data=body, headers={"Content-Type": "application/json"},
                           timeout=10)
    assert answer.status_code == 400 and expected in answer.json()["error"], answer.text
    assert sum(store.counts().values()) == before


def test_deep_but_allowed_json_is_stored_and_readable(server):
    body = '{"a": ' + "[" * 150 + "]" * 150 + "}"
    answer = requests.post(f"{server.url}/i/open", data=body, headers={"Content-Type": "application/json"},
                           timeout=10)
    assert answer.status_code == 201, answer.text
    shown = requests.get(f"{server.url}/api/runs/{answer.json()['run_id']}",
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    expected: list = []
    for _ in range(149):
        expected = [expected]
    assert shown.status_code == 200 and shown.json()["input"]["data"]["a"] == expected


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=-1", "limit=99999999999999999999999",
                                   "offset=-1", "offset=99999999999999999999", "limit=x"])
def test_a_list_query_out_of_range_is_400(server, query):
    answer = requests.get(f"{server.url}/api/runs?{query}", headers={"Authorization": f"Bearer {TOKEN}"},
                          timeout=10)
    assert answer.status_code == 400, answer.text
    assert "limit" in answer.json()["error"]


def test_percent_and_underscore_in_a_run_id_prefix_are_literal(server, store):
    accepted = server.post("open", {"prefix": True})
    assert accepted.status_code == 201
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for ident in ("%", "_", "%%", "_" * 8, accepted.json()["run_id"][:4] + "%"):
        answer = requests.get(f"{server.url}/api/runs/{requests.utils.quote(ident)}", headers=auth, timeout=10)
        assert answer.status_code == 404, (ident, answer.text)
        assert store.get_run(ident) is None
    prefix = accepted.json()["run_id"][:12]
    assert requests.get(f"{server.url}/api/runs/{prefix}", headers=auth, timeout=10).status_code == 200


def test_dedupe_keys_1_and_quoted_1_are_different_deliveries(server):
    first = server.post("commcare-registrations", _form(1), headers=BASIC)
    quoted = server.post("commcare-registrations", _form("1"), headers=BASIC)
    again = server.post("commcare-registrations", _form(1), headers=BASIC)
    quoted_again = server.post("commcare-registrations", _form("1"), headers=BASIC)
    assert (first.status_code, quoted.status_code) == (201, 201)
    assert first.json()["run_id"] != quoted.json()["run_id"]
    assert again.status_code == 200 and again.json()["run_id"] == first.json()["run_id"]
    assert quoted_again.status_code == 200 and quoted_again.json()["run_id"] == quoted.json()["run_id"]
