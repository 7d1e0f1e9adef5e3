"""The webhook path (runtime/server/webhooks.py, payload.py and the delivery in app.py) answering real HTTP
requests on 127.0.0.1 in the test's own process, over a real SQLite store file: who may deliver, what is
stored as the run's input state, and which deliveries are the same one (``dedupe``)."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import shutil
import sqlite3
import threading

import pytest
import anyio
import requests

from runtime.server.app import AppSettings
from runtime.server.payload import BadBody, BodyTooLarge, read_body
from runtime.testing.waiting import wait_until
from runtime.worker.pool import Replies

from .conftest import API_KEY, PROJECT
from .inprocess import TEST_ENVIRONMENT, serve_in_process

HOOK = "commcare-registrations"  # basic auth, dedupe "$.id"
FORWARDING_PASSWORD = "fw:pass-7f3e9a"  # Basic auth: a password may hold ":" (the user name may not)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name, value in {**TEST_ENVIRONMENT, "PYFN_TEST_FORWARDING_PASSWORD": FORWARDING_PASSWORD}.items():
        monkeypatch.setenv(name, value)
    yield from serve_in_process(tmp_path / "pyfn.db", AppSettings(max_body_bytes=64, sync_timeout_s=0.1, body_timeout_s=5))


def runs(app) -> int:
    return sum(app.store.counts().values())


@pytest.mark.parametrize("authorization", [
    None, basic("commcare", "wrong"), basic("intruder", FORWARDING_PASSWORD), basic("commcare", ""),
    basic("", FORWARDING_PASSWORD), "Basic !!not-base64!!", "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    "Bearer " + FORWARDING_PASSWORD, basic("commcare", FORWARDING_PASSWORD).replace("Basic", "Digest"),
    basic("commcare", FORWARDING_PASSWORD).replace("Basic ", "Basic *"),  # base64 with a stray character
])
def test_basic_auth_lets_in_only_the_right_user_and_password(app, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    refused = app.post(HOOK, {"id": "f-1"}, headers=headers)
    assert (refused.status_code, refused.json()) == (401, {"error": "Unauthorized"})
    assert refused.headers["www-authenticate"] == 'Basic realm="pyfn"'
    assert runs(app) == 0 and app.wakes == []
    for scheme in ("Basic", "basic", "BASIC", "Basic "):  # any case, one space or more before the credentials
        right = basic("commcare", FORWARDING_PASSWORD).replace("Basic", scheme)
        assert app.post(HOOK, {"id": f"ok-{scheme}"}, headers={"Authorization": right}).status_code == 201
    assert runs(app) == 4 and len(app.wakes) == 4


def test_api_key_auth_and_no_challenge_for_it(app):
    for headers in ({}, {"x-api-key": API_KEY[:-1]}, {"x-api-key": API_KEY + "x"},
                    {"Authorization": basic("commcare", FORWARDING_PASSWORD)}):
        refused = app.post("echo", {"n": 1}, headers=headers, timeout=10)
        assert refused.status_code == 401 and "www-authenticate" not in refused.headers
    assert runs(app) == 0
    right = app.post("echo", {"n": 1}, headers={"X-API-Key": API_KEY})  # reply: sync, and no worker runs it
    assert right.status_code == 202 and right.json()["meta"]["run_id"] == right.headers["x-meta-run-id"]
    waiting = app.store.summary(right.headers["x-meta-run-id"])
    assert right.json() == {"data": None, "meta": waiting.meta(),
                            "message": "The run did not finish within 0.1s; it goes on"}
    assert right.headers["x-meta-work-order-id"] == waiting.work_order_id and waiting.state == "available"
    assert app.store.get_run(right.headers["x-meta-run-id"]).input["data"] == {"n": 1}
    accepted = requests.post(f"{app.url}/i/open", json={"n": 1}, timeout=10)  # no auth at all
    assert accepted.status_code == 201 and "www-authenticate" not in accepted.headers


def test_the_input_state_keeps_the_request_but_never_its_credentials(app):
    connection = http.client.HTTPConnection(app.url.removeprefix("http://"), timeout=10)
    connection.putrequest("POST", f"/i/{HOOK}/?app_id=a1&tag=x&tag=y&tag=z&empty=")
    for name, value in (("Authorization", basic("commcare", FORWARDING_PASSWORD)), ("X-Api-Key", "k"),
                        ("Cookie", "s=1"), ("Proxy-Authorization", "p"), ("X-Trace", "t1"), ("X-Trace", "t2"),
                        ("Content-Type", "application/json"), ("Content-Length", "13")):
        connection.putheader(name, value)
    connection.endheaders(b'{"id": "f-2"}')
    answer = connection.getresponse()
    ids = json.loads(answer.read())
    connection.close()
    assert answer.status == 201, ids
    assert answer.getheader("x-meta-run-id") == ids["run_id"]
    assert answer.getheader("x-meta-work-order-id") == ids["work_order_id"]
    state = app.store.get_run(ids["run_id"]).input
    assert state["data"] == {"id": "f-2"}
    request = state["request"]
    assert (request["method"], request["path"]) == ("POST", ["i", HOOK])
    assert request["query_params"] == {"app_id": "a1", "tag": ["x", "y", "z"], "empty": ""}
    assert request["headers"]["x-trace"] == "t1, t2"
    assert not {"authorization", "x-api-key", "cookie", "proxy-authorization"} & set(request["headers"])


def test_a_dedupe_key_seen_before_is_the_same_delivery_and_1_is_not_quoted_1(app):
    auth = {"Authorization": basic("commcare", FORWARDING_PASSWORD)}
    first = app.post(HOOK, {"id": "form-9"}, headers=auth)
    again = app.post(HOOK, {"id": "form-9", "resent": True}, headers=auth)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert again.headers["x-meta-run-id"] == first.json()["run_id"]
    number, text, typed = (app.post(HOOK, {"id": value}, headers=auth) for value in (1, "1", "json:1"))
    assert [a.status_code for a in (number, text, typed)] == [201, 201, 201]
    assert app.post(HOOK, {"id": "json:1"}, headers=auth).status_code == 200
    listed = app.post(HOOK, [{"id": "in-a-list"}], headers=auth)  # a list body: "$.id" finds nothing
    unkeyed = app.post(HOOK, {"other": 1}, headers=auth)
    assert (listed.status_code, unkeyed.status_code) == (201, 201)
    assert app.post(HOOK, {"other": 1}, headers=auth).status_code == 201, "no key: never a duplicate"
    assert runs(app) == 7 and len(app.wakes) == 7


@pytest.mark.parametrize("content_type, body, data", [
    ("application/json", b'{"a": 1}', {"a": 1}),
    ("application/json; charset=utf-8", b'[1, 2]', [1, 2]),
    ("Application/JSON", b'{"a": 1}', {"a": 1}),
    ("text/json", b'{"a": 2}', {"a": 2}),
    ("application/vnd.api+json", b'{"a": 3}', {"a": 3}),
    ("application/xml", b"<a>1</a>", "<a>1</a>"),
    ("application/atom+xml", b"<f/>", "<f/>"),
    ("text/plain; charset=latin-1", "Zoë".encode("latin-1"), "Zoë"),
    ('text/plain; Charset="latin-1"', "Zoë".encode("latin-1"), "Zoë"),
    ("text/plain; charset=", "Zoë".encode(), "Zoë"),
    ("application/x-www-form-urlencoded", b"a=1&b=2&b=3&c=", {"a": "1", "b": ["2", "3"], "c": ""}),
    (None, b"plain words", "plain words"),
    ("application/json", b"  \n ", {}),
    # a JSON body's own text is stored as the data: spaces, escapes and repeated keys read back alike
    ("application/json", b' {\n "a" : [1,\t2.50] }\n', {"a": [1, 2.5]}),
    ("application/json", b'{"a": "\\ud800 \\u00eb", "a": "Zo\xc3\xab"}', {"a": "Zo\u00eb"}),
    ("application/json", b'["\\ud800", "\\\\", "\\""]', ["\ud800", "\\", '"']),
    # JSON in UTF-16 or after a BOM is encoded again
    ("application/json", '{"a": "Zoë"}'.encode("utf-16"), {"a": "Zoë"}),
    ("application/json", '{"a": 5}'.encode("utf-16-le"), {"a": 5}),
    ("application/json", b'\xef\xbb\xbf{"a": 4}', {"a": 4}),
])
def test_each_body_becomes_the_data_its_content_type_says(app, content_type, body, data):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = requests.post(f"{app.url}/i/open", data=body, headers=headers, timeout=10)
    assert answer.status_code == 201, answer.text
    assert app.store.get_run(answer.json()["run_id"]).input["data"] == data


@pytest.mark.parametrize("content_type, body, status, error", [
    ("application/json", b'{"a": ', 400, "Invalid JSON body: Expecting value: line 1 column 7 (char 6)"),
    ("application/octet-stream", b"\x00\x01", 415,
     "Unsupported content type 'application/octet-stream': send JSON, XML, text or a form"),
    ("text/plain; charset=no-such-charset", b"abc", 400, "The body is not valid no-such-charset text: "
                                                         "unknown encoding: no-such-charset"),
    ('text/plain; charset="x=y"', b"abc", 400, "The body is not valid x=y text: unknown encoding: x=y"),
    ("text/plain", b"\xff\xfe", 400, "The body is not valid utf-8 text: 'utf-8' codec can't decode byte 0xff "
                                     "in position 0: invalid start byte"),
])
def test_a_body_that_cannot_be_read_is_refused_and_starts_nothing(app, content_type, body, status, error):
    answer = requests.post(f"{app.url}/i/open", data=body, headers={"Content-Type": content_type}, timeout=10)
    assert (answer.status_code, answer.json()) == (status, {"error": error})
    assert runs(app) == 0 and app.wakes == []


def test_a_body_over_the_limit_is_413_declared_or_streamed_and_at_the_limit_is_stored(app):
    at_limit = b'"' + b"a" * 62 + b'"'
    assert len(at_limit) == 64
    stored = requests.post(f"{app.url}/i/open", data=at_limit, headers={"Content-Type": "application/json"},
                           timeout=10)
    assert stored.status_code == 201
    over = at_limit + b" "
    declared = requests.post(f"{app.url}/i/open", data=over, timeout=10)
    assert declared.status_code == 413
    assert declared.json() == {"error": "Request entity too large",
                               "detail": "the body is over the limit of 64 bytes"}
    streamed = requests.post(f"{app.url}/i/open", data=iter([over[:40], over[40:]]), timeout=10)
    assert streamed.status_code == 413 and runs(app) == 1


def test_a_structured_dedupe_key_keeps_its_stored_text_across_releases(app):
    """A store file is upgraded in place: a key an earlier pyfn stored must still match (one text per value)."""
    earlier = app.store.accept("commcare-registrations", HOOK, {"data": {}}, 'json:{"a":[1,2],"b":"Zoë"}')
    auth = {"Authorization": basic("commcare", FORWARDING_PASSWORD)}
    again = app.post(HOOK, {"id": {"b": "Zoë", "a": [1, 2]}}, headers=auth)
    assert (again.status_code, again.json()["run_id"]) == (200, earlier.run_id)


def test_a_content_length_that_is_not_a_number_is_refused_before_reading():
    async def never():
        raise AssertionError("the body was read")
        yield b""

    with pytest.raises(BadBody, match=r"^Invalid Content-Length: '12a'$") as refused:
        asyncio.run(read_body("12a", never(), limit=64))
    assert refused.value.status == 400


def test_a_body_is_measured_over_all_its_chunks_and_one_that_stops_coming_is_dropped():
    async def chunks(*parts, then_wait=False):
        for part in parts:
            yield part
        if then_wait:
            await anyio.sleep_forever()

    assert asyncio.run(read_body(None, chunks(b"a" * 40, b"b" * 24), limit=64)) == b"a" * 40 + b"b" * 24
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_body(None, chunks(b"a" * 40, b"b" * 25), limit=64))
    with pytest.raises(BadBody, match=r"^Request body not received within 0.2s \(6 bytes came\): "
                                      r"upload dropped$") as dropped:
        asyncio.run(read_body(None, chunks(b"abc", b"def", then_wait=True), limit=64, timeout_s=0.2))
    assert dropped.value.status == 408



@pytest.fixture
def waiting_app(tmp_path, monkeypatch):
    """The app with a sync timeout long enough for the test to end the run itself, as a worker would."""
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    yield from serve_in_process(tmp_path / "pyfn.db", AppSettings(sync_timeout_s=20))


def sync_reply_after(app, final_state, webhook_response=None, *, end=None, outcome=None) -> requests.Response:
    """POST to the sync webhook ``echo`` while this test claims the queued run and ends it successfully
    (``end(run_id, *outcome)`` ends it instead, when given)."""
    def end_the_run():
        app.store.register_worker("test-worker")
        claimed = wait_until(lambda: app.store.claim("test-worker"), timeout=10, message="no run was queued")
        app.store.started(claimed.id)
        if end:
            end(claimed.id, *outcome)
        else:
            app.store.finish(claimed.id, "success", final_state=final_state, webhook_response=webhook_response)

    worker = threading.Thread(target=end_the_run)
    worker.start()
    try:
        return app.post("echo", {"n": 1}, headers={"X-API-Key": API_KEY}, timeout=30)
    finally:
        worker.join(timeout=30)


def test_a_sync_reply_is_the_final_state_and_the_runs_meta(waiting_app):
    answer = sync_reply_after(waiting_app, {"data": {"echoed": 1}})
    assert answer.status_code == 201, answer.text
    run_id = answer.headers["x-meta-run-id"]
    summary = waiting_app.store.summary(run_id)
    assert answer.json() == {"data": {"data": {"echoed": 1}}, "meta": summary.meta()}
    assert summary.meta()["state"] == "success" and answer.json()["meta"]["run_id"] == run_id
    assert answer.headers["x-meta-work-order-id"] == summary.work_order_id


@pytest.mark.parametrize("webhook_response, status, body", [
    ({"status": 422, "body": {"error": "bad form"}}, 422, {"error": "bad form"}),
    ({"status": "200", "body": "fine"}, 200, "fine"),
    ({"status": 599, "body": None}, 599, None),
    ({"body": [1, 2]}, 201, [1, 2]),  # no status: 201
    ({"status": 199, "body": 1}, 201, 1), ({"status": 600, "body": 1}, 201, 1),  # not a status: 201
    ({"status": "teapot", "body": 1}, 201, 1), ({"status": None, "body": 1}, 201, 1),
])
def test_a_sync_reply_answers_the_jobs_webhook_response(waiting_app, webhook_response, status, body):
    answer = sync_reply_after(waiting_app, {"data": {}}, webhook_response)
    assert (answer.status_code, answer.json()) == (status, body)
    assert answer.headers["x-meta-run-id"] == waiting_app.store.list_runs()[0].id


def test_a_webhook_response_without_a_body_answers_its_status_and_the_envelope(waiting_app):
    answer = sync_reply_after(waiting_app, {"data": {"x": 1}}, {"status": 202})
    assert answer.status_code == 202
    assert answer.json()["data"] == {"data": {"x": 1}} and answer.json()["meta"]["state"] == "success"


def test_a_delivery_the_store_cannot_commit_is_503_starts_nothing_and_its_retry_is_stored(app, tmp_path):
    refusing = sqlite3.connect(tmp_path / "pyfn.db", isolation_level=None)
    refusing.execute("CREATE TRIGGER refuse BEFORE INSERT ON work_orders BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    refused = app.post("open", {"n": 1})
    assert (refused.status_code, refused.json()) == (503, {"error": "The delivery could not be stored; retry later"})
    assert "x-meta-run-id" not in refused.headers and app.wakes == [] and runs(app) == 0
    assert "could not store a delivery to /i/open: IntegrityError: disk full" in app.log.getvalue()
    assert "POST /i/open 503 in " in app.log.getvalue()
    refusing.execute("DROP TRIGGER refuse")
    refusing.close()
    retried = app.post("open", {"n": 1})
    assert retried.status_code == 201 and len(app.wakes) == 1
    assert app.store.get_run(retried.json()["run_id"]).input["data"] == {"n": 1}


def test_an_unknown_or_disabled_webhook_is_refused_and_starts_nothing(app):
    unknown = app.post("no-such-hook", {"n": 1})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Webhook not found"})
    disabled = app.post("closed", {"n": 1})
    assert (disabled.status_code, disabled.json()) == (403, {"message": "Unable to process request, "
                                                                       "trigger is disabled."})
    assert runs(app) == 0 and app.wakes == []
    assert "POST /i/no-such-hook 404 in " in app.log.getvalue()


@pytest.fixture
def zero_persistence_app(tmp_path, monkeypatch):
    """The app handing sync replies the outcome of runs whose final state is not stored."""
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    replies = Replies()
    for server in serve_in_process(tmp_path / "pyfn.db", AppSettings(sync_timeout_s=20), replies=replies):
        server.replies = replies
        yield server


def test_a_zero_persistence_sync_reply_answers_the_outcome_that_was_never_stored(zero_persistence_app):
    app = zero_persistence_app

    def end_unstored(run_id, final_state, webhook_response):
        app.replies.put(run_id, final_state, webhook_response)
        app.store.finish(run_id, "success", wipe=True)

    answer = sync_reply_after(app, None, end=end_unstored, outcome=('{"data": {"kept": 1}}', None))
    assert answer.status_code == 201, answer.text
    run_id = answer.headers["x-meta-run-id"]
    assert answer.json() == {"data": {"data": {"kept": 1}}, "meta": app.store.summary(run_id).meta()}
    assert app.store.get_run(run_id).final_state is None
    custom = sync_reply_after(app, None, end=end_unstored, outcome=(None, {"status": 422, "body": "no"}))
    assert (custom.status_code, custom.json()) == (422, "no")
    unsent = sync_reply_after(app, None, end=end_unstored, outcome=(None, None))
    assert (unsent.status_code, unsent.json()["data"]) == (201, None)
    assert app.replies.take(run_id) is None and app.replies.take(unsent.headers["x-meta-run-id"]) is None


def test_a_sync_reply_that_gave_up_keeps_no_outcome_for_its_run(tmp_path, monkeypatch):
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    replies = Replies()
    for app in serve_in_process(tmp_path / "pyfn.db", AppSettings(sync_timeout_s=0.1), replies=replies):
        gave_up = app.post("echo", {"n": 1}, headers={"X-API-Key": API_KEY})
        assert gave_up.status_code == 202
        replies.put(gave_up.headers["x-meta-run-id"], '{"data": {}}', None)  # the run ends after the answer
        assert replies.take(gave_up.headers["x-meta-run-id"]) is None, "nobody waits for it any more"


def partial_upload(app, declared: int, sent: bytes) -> tuple[int, dict]:
    """POST to ``open`` declaring ``declared`` bytes, send only ``sent``, and read the answer."""
    connection = http.client.HTTPConnection(app.url.removeprefix("http://"), timeout=10)
    connection.putrequest("POST", "/i/open")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(declared))
    connection.endheaders(sent)
    answer = connection.getresponse()
    try:
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_a_declared_length_over_the_limit_is_413_before_the_body_comes(app):
    assert partial_upload(app, 100_000, b'{"a": ') == (413, {"error": "Request entity too large",
                                                             "detail": "the body is over the limit of 64 bytes"})
    assert runs(app) == 0


def test_an_upload_that_stops_is_408_after_the_servers_body_timeout(tmp_path, monkeypatch):
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for app in serve_in_process(tmp_path / "pyfn.db", AppSettings(body_timeout_s=0.3)):
        assert partial_upload(app, 20, b'{"a": ') == (408, {"error": "Request body not received within 0.3s "
                                                                     "(6 bytes came): upload dropped"})
        assert runs(app) == 0 and app.wakes == []


def test_a_run_records_the_webhook_that_started_it(app):
    accepted = app.post(HOOK, {"id": "t-1"}, headers={"Authorization": basic("commcare", FORWARDING_PASSWORD)})
    run = app.store.summary(accepted.json()["run_id"])
    assert (run.workflow, run.trigger) == ("commcare-registrations", HOOK)


def test_a_webhook_path_is_matched_whole_whatever_its_letters(tmp_path, monkeypatch):
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "workflows" / "xray.yaml").write_text(
        'name: xray\ntriggers:\n  - path: Xray/X\nsteps:\n  - expression: "fn(lambda state: state)"\n')
    for app in serve_in_process(tmp_path / "pyfn.db", project=project):
        assert app.post("Xray/X/", {"n": 1}).status_code == 201
        assert app.post("ray", {"n": 1}).status_code == 404
        assert app.store.list_runs()[0].workflow == "xray"
