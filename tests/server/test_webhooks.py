"""Each answer of a real ``pyfn serve``: bad input refused without a run, good input accepted, sync replies."""

from __future__ import annotations

import base64

import pytest
import requests

from .conftest import API_KEY, FORWARDING_PASSWORD, open_db, wait_until

BASIC = "Basic " + base64.b64encode(f"commcare:{FORWARDING_PASSWORD}".encode()).decode()
KEY = {"x-api-key": API_KEY}


SERVER_ARGS = ("--workers", "1", "--max-body-mb", "1")  # one server for the module, with a 1 MB body limit


def total_runs(store) -> int:
    return sum(store.counts().values())


@pytest.fixture
def no_new_run(store):
    """Asserts at the end of the test that it created no work order or run."""
    before = total_runs(store)
    yield
    assert total_runs(store) == before


def test_unknown_path_is_404(server, no_new_run):
    answer = server.post("nowhere", {"a": 1})
    assert answer.status_code == 404 and answer.json() == {"error": "Webhook not found"}
    assert requests.get(f"{server.url}/other", timeout=5).status_code == 404


def test_disabled_trigger_is_403(server, no_new_run):
    answer = server.post("closed", {"a": 1})
    assert answer.status_code == 403
    assert answer.json() == {"message": "Unable to process request, trigger is disabled."}


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Basic " + base64.b64encode(b"commcare:wrong").decode()},
    {"Authorization": "Basic " + base64.b64encode(f"intruder:{FORWARDING_PASSWORD}".encode()).decode()},
    {"Authorization": "Basic !!not-base64!!"},
    {"Authorization": f"Bearer {FORWARDING_PASSWORD}"},
    {"x-api-key": FORWARDING_PASSWORD},
], ids=["missing", "wrong-password", "wrong-user", "malformed", "bearer", "api-key-instead"])
def test_basic_auth_refuses_wrong_credentials_with_401(server, no_new_run, headers):
    answer = server.post("commcare-registrations", {"id": "f-1"}, headers=headers)
    assert answer.status_code == 401 and answer.json() == {"error": "Unauthorized"}
    assert answer.headers["www-authenticate"] == 'Basic realm="pyfn"'


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "nope"}, {"x-api-key": API_KEY[:-1]}, {"Authorization": BASIC}])
def test_api_key_auth_refuses_wrong_keys_with_401(server, no_new_run, headers):
    answer = server.post("echo", {"x": 1}, headers=headers)
    assert answer.status_code == 401 and answer.json() == {"error": "Unauthorized"}


def test_body_over_the_limit_is_413_by_content_length_or_while_streaming(server, no_new_run):
    big = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
    declared = requests.post(f"{server.url}/i/open", data=big, timeout=10,
                             headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"] == "Request entity too large"
    chunked = requests.post(f"{server.url}/i/open", data=iter([big[:600_000], big[600_000:]]), timeout=10,
                            headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413


def test_invalid_json_is_400_with_the_parse_error(server, no_new_run):
    answer = requests.post(f"{server.url}/i/open", data=b'{"id": 1,', timeout=5,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("Invalid JSON body: Expecting property name")


def test_binary_bodies_and_other_methods_are_refused(server, no_new_run):
    binary = requests.post(f"{server.url}/i/open", data=b"\x00\x01", timeout=5,
                           headers={"Content-Type": "application/octet-stream"})
    assert binary.status_code == 415
    assert requests.get(f"{server.url}/i/open", timeout=5).status_code == 405


def test_accepted_delivery_gets_ids_and_a_run_with_lightnings_input_state(server, store):
    answer = requests.post(f"{server.url}/i/commcare-registrations?app_id=demo-app&tag=a&tag=b",
                           json={"id": "form-input-1", "form": {}}, timeout=5,
                           headers={"Authorization": BASIC, "Cookie": "session=1", "X-Trace": "t-1"})
    assert answer.status_code == 201
    ids = answer.json()
    assert set(ids) == {"work_order_id", "run_id"}
    assert answer.headers["x-meta-run-id"] == ids["run_id"]
    state = store.get_run(ids["run_id"]).input
    assert state["data"] == {"id": "form-input-1", "form": {}}
    request = state["request"]
    assert request["method"] == "POST" and request["path"] == ["i", "commcare-registrations"]
    assert request["query_params"] == {"app_id": "demo-app", "tag": ["a", "b"]}
    assert request["headers"]["x-trace"] == "t-1" and request["headers"]["content-type"] == "application/json"
    assert not {"authorization", "cookie", "x-api-key"} & set(request["headers"])
    assert FORWARDING_PASSWORD not in str(state)


def test_xml_and_form_bodies_are_accepted(server, store):
    xml = '<?xml version="1.0"?><data xmlns="http://openrosa.org/formdesigner/x"><name>Zoë</name></data>'
    answer = requests.post(f"{server.url}/i/open", data=xml.encode(), timeout=5,
                           headers={"Content-Type": "text/xml"})
    assert answer.status_code == 201
    assert store.get_run(answer.json()["run_id"]).input["data"] == xml
    form = requests.post(f"{server.url}/i/open", data={"a": "1", "b": ["2", "3"]}, timeout=5)
    assert store.get_run(form.json()["run_id"]).input["data"] == {"a": "1", "b": ["2", "3"]}
    empty = requests.post(f"{server.url}/i/open", timeout=5)
    assert store.get_run(empty.json()["run_id"]).input["data"] == {}


def test_dedupe_answers_200_with_the_original_ids_and_starts_nothing(server, store):
    body = {"id": "form-dedupe-1", "form": {"hh_name": "Otieno"}}
    first = server.post("commcare-registrations", body, headers={"Authorization": BASIC})
    before = total_runs(store)
    again = server.post("commcare-registrations", body, headers={"Authorization": BASIC})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    other = server.post("commcare-registrations", {**body, "id": "form-dedupe-2"}, headers={"Authorization": BASIC})
    assert other.status_code == 201 and total_runs(store) == before + 1


def test_sync_reply_waits_for_the_run_and_answers_data_and_meta(server):
    answer = server.post("echo", {"hello": "world"}, headers=KEY)
    assert answer.status_code == 201
    body = answer.json()
    assert body["data"]["data"] == {"hello": "world"} and body["data"]["seen"]["kind"] == "dict"
    assert "configuration" not in body["data"]
    meta = body["meta"]
    assert meta["state"] == "success" and meta["error_type"] is None
    assert set(meta) == {"work_order_id", "run_id", "state", "error_type", "inserted_at", "started_at",
                         "claimed_at", "finished_at"}
    assert answer.headers["x-meta-run-id"] == meta["run_id"]
    assert answer.headers["x-meta-work-order-id"] == meta["work_order_id"]


def test_sync_reply_uses_the_jobs_webhook_response(server):
    custom = server.post("echo", {"respond": {"status": 422, "body": {"accepted": False, "why": "no id"}}},
                         headers=KEY)
    assert custom.status_code == 422 and custom.json() == {"accepted": False, "why": "no id"}
    assert custom.headers["x-meta-run-id"]
    status_only = server.post("echo", {"respond": {"status": 200}}, headers=KEY)
    assert status_only.status_code == 200 and status_only.json()["meta"]["state"] == "success"


def test_sync_reply_answers_202_when_the_run_outlives_the_wait(server_factory, tmp_path):
    server = server_factory("--workers", "1", "--sync-timeout-s", "1").start()
    release = tmp_path / "release"
    answer = server.post("slow-sync", {"until_file": str(release)})  # the run waits until it is released
    assert answer.status_code == 202
    meta = answer.json()["meta"]
    assert meta["state"] in ("available", "claimed", "started")
    release.touch()
    store = open_db(server.db)
    try:
        finished = store.wait_for(meta["run_id"], timeout=30)
    finally:
        store.close()
    assert finished.state == "success"


def test_configuration_is_masked_in_the_stored_logs(server, store):
    answer = server.post("echo", {"x": 1}, headers=KEY)
    detail = store.get_run(answer.json()["meta"]["run_id"])
    lines = [line for _, line in detail.logs]
    assert "[JOB] ℹ configuration token is ****" in lines
    assert "tok-secret-1234" not in str(detail)


def test_each_delivery_and_run_end_is_logged(server, store):
    answer = server.post("open", {"x": 1})
    run_id = answer.json()["run_id"]
    assert server.post("nowhere").status_code == 404
    wait_until(lambda: f"run {run_id} success in" in server.output())
    wait_until(lambda: "[SRV] ⚠ POST /i/nowhere 404 in" in server.output())
    wait_until(lambda: "[SRV] ✔ POST /i/open 201 in" in server.output())


def test_step_error_records_are_stored_with_configuration_masked(server, store):
    form = {"id": "mask-1", "received_on": "2026-11-25T08:00:00Z", "metadata": {"username": "chw1"},
            "form": {"hh_name": "Okafor", "village": "Kondele"}}
    answer = server.post("commcare-registrations", form, headers={"Authorization": BASIC})
    assert answer.status_code == 201
    run_id = answer.json()["run_id"]
    wait_until(lambda: store.get_run(run_id).run.state in ("failed", "crashed"), timeout=20)
    error = store.get_run(run_id).steps[0].error
    assert error["name"] == "AdaptorError"
    assert "****" in error["message"] and "127.0.0.1:9" not in str(error)
