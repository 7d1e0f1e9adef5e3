"""Data forwarding to a loopback receiver: payloads, headers, auth, filters, retries, give-up and resend."""

from __future__ import annotations

import base64
import uuid

from hq_simulator.forwarding import retry_wait
from hq_simulator.seed import VISIT_XMLNS
from runtime.testing.waiting import wait_until

OWNER = "d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0"


def new_case(api, name: str = "Zoë", case_type: str = "patient") -> dict:
    return api.post("/a/demo/api/case/v2/", json={"case_type": case_type, "case_name": name,
                                                  "owner_id": OWNER}).json()


def test_form_forwarder_posts_hq_form_json_with_headers_and_app_id(fresh_hq, fresh_api, receiver):
    fresh_hq.add_forwarder("form", receiver.url + "/hooks/forms", auth_type="basic", username="openfn",
                           password="secret")
    xml = (f'<data xmlns="{VISIT_XMLNS}"><visit_date>2024-05-02</visit_date><n1:meta xmlns:n1='
           f'"http://openrosa.org/jr/xforms"><n1:instanceID>{uuid.uuid4()}</n1:instanceID>'
           f"<n1:userID>u1</n1:userID></n1:meta></data>")
    assert fresh_api.post("/a/demo/receiver/demo-app/", data=xml.encode()).status_code == 201
    record = fresh_hq.wait_for_records(1, "SUCCESS")[0]
    request = receiver.requests[0]
    assert request["path"] == "/hooks/forms?app_id=demo-app"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"openfn:secret").decode()
    body = receiver.json_bodies()[0]
    assert request["headers"]["received-on"] == body["received_on"]
    assert body["form"]["@xmlns"] == VISIT_XMLNS and body["resource_uri"] == "" and body["id"] == record["payload_id"]
    assert record["attempts"][0]["state"] == "SUCCESS" and record["attempts"][0]["status_code"] == 200


def test_form_forwarder_filters_xmlns_and_users(fresh_hq, fresh_api, receiver):
    fresh_hq.add_forwarder("form", receiver.url, xmlns_whitelist=[VISIT_XMLNS], include_app_id_param=False)
    fresh_hq.add_forwarder("form", receiver.url + "/all", user_blocklist=["d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0"])
    new_case(fresh_api)  # a case_api form by the (blocked) demo user: neither forwards it
    assert fresh_hq.forwarding_records() == [], "a record is registered with the form, or never"


def test_case_forwarder_sends_full_state_per_change_for_wanted_types(fresh_hq, fresh_api, receiver):
    fresh_hq.add_forwarder("case", receiver.url, auth_type="api_key", api_key="k-1", case_types=["patient"])
    case_id = new_case(fresh_api)["case"]["case_id"]
    new_case(fresh_api, "Ignored", "household")
    fresh_api.put(f"/a/demo/api/case/v2/{case_id}/", json={"properties": {"status": "active"}})
    fresh_hq.wait_for_records(2, "SUCCESS")
    first, second = receiver.json_bodies()
    assert first["case_id"] == second["case_id"] == case_id
    assert "status" not in first["properties"] and second["properties"]["status"] == "active"
    assert second["properties"]["case_name"] == "Zoë" and "reverse_indices" not in second
    assert receiver.requests[1]["headers"]["server-modified-on"] == second["server_date_modified"]
    assert receiver.requests[1]["headers"]["X-API-Key"] == "k-1"


def test_retries_on_5xx_and_retryable_4xx_then_succeeds(fresh_hq, fresh_api, receiver):
    receiver.script = [503, 429, 409]
    fresh_hq.add_forwarder("case", receiver.url, auth_type="bearer", token="tok")
    new_case(fresh_api)
    record = fresh_hq.wait_for_records(1, "SUCCESS")[0]
    assert [a["state"] for a in record["attempts"]] == ["FAIL", "FAIL", "FAIL", "SUCCESS"]
    assert [a["status_code"] for a in record["attempts"]] == [503, 429, 409, 200]
    assert "503: Service Unavailable" in record["attempts"][0]["message"]
    assert receiver.requests[0]["headers"]["Authorization"] == "Bearer tok"
    assert len({r["body"] for r in receiver.requests}) == 1


def test_timeouts_are_retried(fresh_hq, fresh_api, receiver):
    receiver.script = [("sleep", 0.8)]
    fresh_hq.forwarding.timeout = 0.3  # the first answer comes after 0.8 s
    fresh_hq.add_forwarder("case", receiver.url)
    new_case(fresh_api)
    record = fresh_hq.wait_for_records(1, "SUCCESS")[0]
    assert record["attempts"][0]["state"] == "FAIL" and "Timeout" in record["attempts"][0]["message"]


def test_other_4xx_is_invalid_payload_and_never_retried(fresh_hq, fresh_api, receiver):
    receiver.script = [422]
    fresh_hq.add_forwarder("case", receiver.url)
    new_case(fresh_api)
    record = fresh_hq.wait_for_records(1, "INVALID_PAYLOAD")[0]
    assert record["next_check"] is None, "no retry is scheduled"
    assert len(record["attempts"]) == 1 and record["attempts"][0]["status_code"] == 422


def test_gives_up_after_six_attempts_and_requeue_gives_more(fresh_hq, fresh_api, receiver):
    receiver.default = 500
    fresh_hq.add_forwarder("case", receiver.url)
    new_case(fresh_api)
    record = fresh_hq.wait_for_records(1, "CANCELLED")[0]
    assert len(record["attempts"]) == 6 and len(receiver.requests) == 6
    receiver.default = 200
    fresh_api.post(f"/admin/forwarding/records/{record['id']}/requeue")
    assert fresh_hq.wait_for_records(1, "SUCCESS")[0]["max_possible_tries"] == 12


def test_connection_errors_are_retried_until_cancelled(fresh_hq, fresh_api):
    fresh_hq.add_forwarder("case", "http://127.0.0.1:9/nothing-listens")
    new_case(fresh_api)
    record = fresh_hq.wait_for_records(1, "CANCELLED")[0]
    assert all("ConnectionError" in a["message"] for a in record["attempts"])


def test_retry_schedule_is_hq_s_on_a_compressed_clock(fresh_hq):
    assert [retry_wait(n) for n in range(1, 7)] == [3600, 10800, 32400, 97200, 291600, 604800]
    assert fresh_hq.forwarding.speedup == 3.6e6  # an hour takes a millisecond in these tests


def test_resend_delivers_the_same_payload_again(fresh_hq, fresh_api, receiver):
    forwarder = fresh_api.post("/admin/forwarders", json={"kind": "case", "url": receiver.url}).json()
    new_case(fresh_api)
    record = fresh_hq.wait_for_records(1, "SUCCESS")[0]
    resent = fresh_api.post(f"/admin/forwarding/records/{record['id']}/resend").json()
    assert resent["state"] == "SUCCESS" and len(resent["attempts"]) == 2
    assert len(receiver.requests) == 2 and receiver.requests[0]["body"] == receiver.requests[1]["body"]
    listed = fresh_api.get("/admin/forwarding/records", params={"forwarder_id": forwarder["id"]}).json()["records"]
    assert [r["id"] for r in listed] == [record["id"]]
    assert fresh_api.get(f"/admin/forwarding/records/{record['id']}").json()["attempts"][1]["attempt"] == 2


def test_admin_api_manages_connections_and_forwarders(fresh_hq, fresh_api, receiver):
    connection = fresh_api.post("/admin/connections", json={"url": receiver.url, "auth_type": "basic",
                                                            "username": "u", "password": "p"}).json()
    forwarder = fresh_api.post("/admin/forwarders", json={"kind": "form", "connection_id": connection["id"],
                                                          "format": "xml"}).json()
    assert fresh_api.get("/admin/forwarders").json()["forwarders"][0]["id"] == forwarder["id"]
    assert fresh_api.post(f"/admin/forwarders/{forwarder['id']}/pause").json()["paused"] is True
    new_case(fresh_api)
    assert fresh_hq.forwarding_records() == [], "a paused forwarder registers nothing"
    fresh_api.post(f"/admin/forwarders/{forwarder['id']}/resume")
    new_case(fresh_api)
    wait_until(lambda: len(receiver.requests) == 1)
    assert receiver.requests[0]["headers"]["Content-Type"] == "text/xml"
    assert receiver.requests[0]["body"].startswith(b'<?xml version="1.0" ?><data xmlns="http://commcarehq.org/case_api"')
    assert fresh_api.delete(f"/admin/forwarders/{forwarder['id']}").status_code == 204
    assert fresh_api.post("/admin/forwarders", json={"kind": "sms", "url": receiver.url}).status_code == 400
