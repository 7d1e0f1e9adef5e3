"""Authentication (ApiKey, Basic, Digest, 401, 403) and the switchable faults (429, 500, latency, drops)."""

from __future__ import annotations

import time

import pytest
import requests
from requests.auth import HTTPDigestAuth

CASES = "/a/demo/api/v0.5/case/"


@pytest.mark.parametrize("header", ["ApiKey demo@example.com:demo-api-key", "apikey demo@example.com:demo-api-key",
                                    "APIKEY demo@example.com:demo-api-key"])
def test_api_key_scheme_is_case_insensitive(hq, header):
    assert requests.get(hq.url + CASES, headers={"Authorization": header}).status_code == 200


def test_basic_and_digest_auth(hq):
    assert requests.get(hq.url + CASES, auth=("demo@example.com", "demo")).status_code == 200
    assert requests.get(hq.url + CASES, auth=HTTPDigestAuth("demo@example.com", "demo")).status_code == 200
    assert requests.get(hq.url + CASES, auth=HTTPDigestAuth("demo@example.com", "wrong")).status_code == 401


@pytest.mark.parametrize("headers", [{}, {"Authorization": "ApiKey demo@example.com:wrong"},
                                     {"Authorization": "Basic ZGVtb0BleGFtcGxlLmNvbTp3cm9uZw=="},
                                     {"Authorization": "Bearer whatever"}])
def test_missing_or_bad_credentials_are_401_with_an_empty_body(hq, headers):
    response = requests.get(hq.url + CASES, headers=headers)
    assert response.status_code == 401 and response.content == b""


def test_a_user_without_access_to_the_domain_gets_403(fresh_hq):
    fresh_hq.add_user("outsider@example.com", api_key="k", domains=["elsewhere"])
    headers = {"Authorization": "ApiKey outsider@example.com:k"}
    assert requests.get(fresh_hq.url + CASES, headers=headers).status_code == 403
    v2 = requests.get(fresh_hq.url + "/a/demo/api/case/v2/", headers=headers)
    assert v2.status_code == 403 and "error" in v2.json()
    demo = {"Authorization": "ApiKey demo@example.com:demo-api-key"}
    assert requests.get(fresh_hq.url + "/a/elsewhere/api/v0.5/case/", headers=demo).status_code == 403


def test_admin_api_needs_credentials(hq, api):
    assert requests.get(hq.url + "/admin/").status_code == 401
    assert api.get("/admin/").json()["counts"]["cases"] == len(hq.store.cases)


def test_rate_limit_fault_answers_429_with_retry_after(fresh_hq, fresh_api):
    fresh_api.post("/admin/faults", json={"rate_limit": 2, "retry_after": 3})
    statuses = [fresh_api.get(CASES) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 429, 429]
    assert statuses[2].headers["Retry-After"] == "3" and statuses[2].content == b""
    assert fresh_api.get("/admin/faults").status_code == 200  # the admin API is never faulted
    fresh_api.delete("/admin/faults")
    assert fresh_api.get(CASES).status_code == 200


def test_next_n_faults_are_deterministic(fresh_hq, fresh_api):
    fresh_hq.set_faults(throttle_next=1, fail_next=2)
    assert [fresh_api.get(CASES).status_code for _ in range(4)] == [429, 500, 500, 200]


def test_error_rate_latency_and_dropped_connections(fresh_hq, fresh_api):
    fresh_hq.set_faults(error_rate=1.0)
    assert fresh_api.get(CASES).status_code == 500
    fresh_hq.set_faults(error_rate=0.0, latency=0.2)
    started = time.monotonic()
    assert fresh_api.get(CASES).status_code == 200 and time.monotonic() - started >= 0.2
    fresh_hq.set_faults(latency=0.0, drop_next=1)
    with pytest.raises(requests.ConnectionError):
        fresh_api.get(CASES)
    assert fresh_api.get(CASES).status_code == 200
    assert fresh_api.post("/admin/faults", json={"meteor": 1}).status_code == 400
