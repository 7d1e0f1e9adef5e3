"""The v0.5 case API and the Case API v2 reads over HTTP."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import pytest

CASES = "/a/demo/api/v0.5/case/"
V2 = "/a/demo/api/case/v2/"


def test_v05_case_object_shape(api, hq):
    patient = api.get(CASES, params={"type": "patient", "limit": 1}).json()["objects"][0]
    for key in ("id", "case_id", "domain", "user_id", "closed", "date_closed", "date_modified",
                "server_date_modified", "server_date_opened", "opened_by", "closed_by", "version", "xform_ids",
                "properties", "indices", "attachments", "indexed_on", "reverse_indices", "resource_uri"):
        assert key in patient
    props = patient["properties"]
    assert {"case_name", "case_type", "owner_id", "external_id", "date_opened"} <= set(props)
    assert props["case_type"] == "patient"
    parent = patient["indices"]["parent"]
    assert parent["case_type"] == "household" and parent["relationship"] == "child"
    household = api.get(f"{CASES}{parent['case_id']}/").json()
    assert household["reverse_indices"]["parent"]["case_type"] == "patient"


@pytest.mark.parametrize("params, check", [
    ({"type": "household"}, lambda c: c["properties"]["case_type"] == "household"),
    ({"case_type": "patient", "closed": "true"}, lambda c: c["closed"] and c["properties"]["case_type"] == "patient"),
    ({"closed": "false"}, lambda c: not c["closed"]),
])
def test_v05_filters(api, hq, params, check):
    page = api.get(CASES, params={**params, "limit": 5000}).json()
    assert page["objects"] and all(check(c) for c in page["objects"])
    assert page["meta"]["total_count"] == len(page["objects"])


def test_v05_owner_external_id_and_date_filters(api, hq):
    rec = next(c for c in hq.store.cases.values() if c["external_id"])
    assert [c["id"] for c in api.get(CASES, params={"external_id": rec["external_id"]}).json()["objects"]] == [
        rec["case_id"]]
    owned = api.get(CASES, params={"owner_id": rec["owner_id"], "limit": 5000}).json()["objects"]
    assert rec["case_id"] in {c["id"] for c in owned} and all(
        c["properties"]["owner_id"] == rec["owner_id"] for c in owned)
    stamp = api.get(f"{CASES}{rec['case_id']}/").json()["server_date_modified"]
    window = api.get(CASES, params={"server_date_modified_start": stamp, "server_date_modified_end": stamp}).json()
    assert rec["case_id"] in {c["id"] for c in window["objects"]}
    assert api.get(CASES, params={"indexed_on_end": "not-a-date"}).status_code == 400


def test_v05_limit_max_5000_and_detail_404(api):
    assert api.get(CASES, params={"limit": 9000}).json()["meta"]["limit"] == 5000
    assert api.get(f"{CASES}missing/").status_code == 404
    assert api.get("/a/demo/api/case/v1/", params={"limit": 1}).json()["meta"]["total_count"] > 0


def test_v05_related_cases(api):
    patient = api.get(CASES, params={"type": "patient", "limit": 1, "parent_cases__full": "true"}).json()["objects"][0]
    assert list(patient["parent_cases"]) == [patient["indices"]["parent"]["case_id"]]
    household = api.get(f"{CASES}{patient['indices']['parent']['case_id']}/",
                        params={"child_cases__full": "true"}).json()
    assert patient["id"] in household["child_cases"]


def test_v2_case_shape_and_next_cursor_is_hq_s(api, hq):
    page = api.get(V2, params={"limit": 2, "case_type": "patient"}).json()
    case = page["cases"][0]
    assert set(case) == {"domain", "case_id", "case_type", "case_name", "external_id", "owner_id", "date_opened",
                         "last_modified", "server_last_modified", "indexed_on", "closed", "date_closed",
                         "is_deprecated", "properties", "indices"}
    assert "case_name" not in case["properties"]
    cursor = parse_qs(urlparse(page["next"]).query)["cursor"][0]
    decoded = parse_qs(base64.b64decode(cursor).decode())
    assert decoded == {"limit": ["2"], "case_type": ["patient"], "indexed_on.gte": [page["cases"][1]["indexed_on"]],
                       "last_case_id": [page["cases"][1]["case_id"]]}
    extra = api.get(V2, params={"cursor": cursor, "case_type": "household"}).json()  # ignored beside a cursor
    assert all(c["case_type"] == "patient" for c in extra["cases"])


def test_v2_no_next_on_the_last_page(api, hq):
    page = api.get(V2, params={"limit": 5000}).json()
    assert page["matching_records"] == len(page["cases"]) == len(hq.store.cases) and "next" not in page


@pytest.mark.parametrize("params, message", [
    ({"limit": 5001}, "You cannot request more than 5000 cases per request."),
    ({"limit": "ten"}, "'ten' is not a valid value for 'limit'"),
    ({"colour": "red"}, "'colour' is not a valid parameter."),
    ({"last_modified.after": "2024-01-01"}, "'after' is not a valid type of date range."),
    ({"indexed_on.gte": "soon"}, "Cannot parse datetime 'soon'"),
])
def test_v2_bad_parameters_are_400_with_hq_s_text(api, params, message):
    response = api.get(V2, params=params)
    assert response.status_code == 400 and response.json() == {"error": message}


def test_v2_filters_properties_indices_dates_and_or(api, hq):
    patient = next(c for c in hq.store.cases.values() if c["case_type"] == "patient")
    household_id = patient["indices"]["parent"]["case_id"]
    children = api.get(V2, params={"indices.parent": household_id}).json()["cases"]
    assert patient["case_id"] in {c["case_id"] for c in children}
    village = patient["properties"]["village"]
    in_village = api.get(V2, params={"properties.village": village, "limit": 5000}).json()
    assert in_village["cases"] and all(c["properties"]["village"] == village for c in in_village["cases"])
    missing = api.get(V2, params={"properties.no_such_property": "", "limit": 5000}).json()
    assert missing["matching_records"] == len(hq.store.cases)  # empty and missing are the same
    both = api.get(V2, params=[("case_type", "patient"), ("case_type", "household"), ("limit", 1)]).json()
    assert both["matching_records"] == len(hq.store.cases)
    closed = api.get(V2, params={"closed": "true", "limit": 5000}).json()["cases"]
    assert closed and all(c["closed"] for c in closed)
    after = api.get(V2, params={"date_opened.gt": "2099-01-01"}).json()
    assert after["matching_records"] == 0
    assert api.get(V2, params={"server_last_modified.lte": "2099-01-01"}).json()["matching_records"] == len(
        hq.store.cases)


def test_v2_get_by_id_ids_and_external_id(api, hq):
    ids = list(hq.store.cases)[:2]
    assert api.get(f"{V2}{ids[0]}/").json()["case_id"] == ids[0]
    missing = api.get(f"{V2}nope/")
    assert missing.status_code == 404 and missing.json() == {"error": "Case 'nope' not found"}
    bulk = api.get(f"{V2}{ids[0]},nope,{ids[1]}/").json()
    assert (bulk["matching_records"], bulk["missing_records"]) == (2, 1)
    assert [c["case_id"] for c in bulk["cases"]] == [ids[0], "nope", ids[1]]
    assert bulk["cases"][1] == {"case_id": "nope", "error": "not found"}
    rec = next(c for c in hq.store.cases.values() if c["external_id"])
    assert api.get(f"{V2}ext/{rec['external_id']}/").json()["case_id"] == rec["case_id"]
    assert api.get(f"{V2}ext/none-such/").status_code == 404


def test_v2_bulk_fetch(api, hq):
    rec = next(c for c in hq.store.cases.values() if c["external_id"])
    body = api.post(f"{V2}bulk-fetch/", json={"case_ids": [rec["case_id"], "x"], "external_ids": [rec["external_id"]]})
    result = body.json()
    assert (result["matching_records"], result["missing_records"]) == (2, 1)
    assert [c.get("case_id") for c in result["cases"]] == [rec["case_id"], "x", rec["case_id"]]
    assert api.post(f"{V2}bulk-fetch/", data="{nope").json() == {"error": "Payload must be valid JSON"}


def test_v2_method_not_allowed(api):
    response = api.delete(V2)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
