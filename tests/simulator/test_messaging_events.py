"""The messaging-event API as HQ's (corehq/apps/api/resources/messaging_event/): cursor pages, filters, checks."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

EVENTS = "/a/demo/api/v0.5/messaging-event/"


def _all(api, **params) -> list[dict]:
    found, page = [], api.get(EVENTS, params=params).json()
    while page["objects"]:
        found += page["objects"]
        page = api.get(urlparse(page["meta"]["next"]).path + "?" + urlparse(page["meta"]["next"]).query).json()
    assert page["meta"]["next"] is None
    return found


def test_every_event_once_across_cursor_pages_in_date_order(api, hq):
    events = _all(api, limit=7)
    assert len(events) == len(hq.messaging.events) > 7
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)  # seeded in date order
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    first = events[0]
    assert set(first) == {"id", "content_type", "date", "date_last_activity", "case_id", "domain", "error", "form",
                          "messages", "recipient", "source", "status"}
    case = api.get(f"/a/demo/api/case/v2/{first['case_id']}/").json()
    assert first["recipient"] == {"recipient_id": case["case_id"], "type": "case", "name": case["case_name"]}
    assert first["messages"][0]["phone_number"] == case["properties"]["phone"]
    assert api.get(f"{EVENTS}{first['id']}/").json() == first


def test_the_cursor_carries_the_params_the_last_date_and_id(api):
    page = api.get(EVENTS, params={"limit": 3, "content_type": "sms"}).json()
    cursor = parse_qs(urlparse(page["meta"]["next"]).query)["cursor"][0]
    inside = parse_qs(base64.b64decode(cursor).decode())
    last = page["objects"][-1]
    assert inside == {"limit": ["3"], "content_type": ["sms"], "date.gte": [last["date"]],
                      "last_object_id": [str(last["id"])]}


def test_commcare_exports_way_date_last_activity_from_a_point(api, hq):
    events = _all(api, limit=1000)
    middle = events[len(events) // 2]["date_last_activity"]
    later = _all(api, order_by="date_last_activity", **{"date_last_activity.gte": middle, "limit": 5})
    assert {e["id"] for e in later} == {e["id"] for e in events if e["date_last_activity"] >= middle}
    newest_first = api.get(EVENTS, params={"order_by": "-date", "limit": 2}).json()["objects"]
    assert newest_first[0]["date"] >= newest_first[1]["date"] == sorted(e["date"] for e in events)[-2]


def test_filters_and_hqs_refusals(api, hq):
    some = hq.messaging.events[0]
    by_case = api.get(EVENTS, params={"case_id": some["case_id"], "limit": 100}).json()["objects"]
    assert by_case and all(e["case_id"] == some["case_id"] for e in by_case)
    assert api.get(EVENTS, params={"content_type": "email"}).json()["objects"] == []
    phone = some["messages"][0]["phone_number"]
    assert all(phone in e["messages"][0]["phone_number"]
               for e in api.get(EVENTS, params={"phone_number": phone[-6:]}).json()["objects"])
    assert api.get(EVENTS, params={"order_by": "colour"}).json() == {"error": "No matching 'colour' field for ordering"}
    assert api.get(EVENTS, params={"limit": "0"}).status_code == 400
    assert api.get(EVENTS, params={"limit": "5000"}).json()["meta"]["limit"] == 1000
    assert api.get(f"{EVENTS}999999/").status_code == 404
