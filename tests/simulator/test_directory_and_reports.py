"""Mobile workers, web users, locations, applications metadata and configurable report data."""

from __future__ import annotations

import pytest

from hq_simulator.seed import REGISTRATION_XMLNS, VISIT_XMLNS

API = "/a/demo/api/v0.5/"


def test_mobile_workers(api, hq):
    users = api.get(API + "user/").json()["objects"]
    assert len(users) == len(hq.directory.users) and users[0]["username"] == "chw1@demo.commcarehq.org"
    assert users[0]["user_data"]["commcare_location_id"] == users[0]["primary_location"]
    assert api.get(f"{API}user/{users[0]['id']}/").json() == users[0]


def test_create_a_mobile_worker(fresh_api):
    created = fresh_api.post(API + "user/", json={"username": "chw99", "password": "pw", "first_name": "Kwame"})
    assert created.status_code == 201 and created.json()["username"] == "chw99@demo.commcarehq.org"
    assert fresh_api.post(API + "user/", json={"first_name": "no username"}).status_code == 400


def test_web_users_list_the_demo_user(api):
    assert api.get(API + "web-user/").json()["objects"][0]["username"] == "demo@example.com"


def test_locations_form_a_hierarchy(api):
    types = {t["resource_uri"]: t for t in api.get(API + "location_type/").json()["objects"]}
    locations = api.get(API + "location/", params={"limit": 100}).json()["objects"]
    assert len(locations) == 18
    by_uri = {loc["resource_uri"]: loc for loc in locations}
    village = next(loc for loc in locations if types[loc["location_type"]]["code"] == "village")
    district = by_uri[village["parent"]]
    assert types[district["location_type"]]["code"] == "district" and by_uri[district["parent"]]["parent"] is None
    v2 = api.get("/a/demo/api/location/v2/", params={"limit": 100}).json()["objects"]
    assert {loc["location_type_code"] for loc in v2} == {"region", "district", "village"}


def test_application_metadata_exports_modules_forms_xmlns_and_questions(api):
    page = api.get(API + "application/").json()
    assert page["meta"]["next"] is None and page["meta"]["total_count"] == 1
    app = page["objects"][0]
    assert app["id"] == "demo-app" and app["versions"][-1]["id"] == "demo-app-build-12"
    forms = {f["xmlns"]: f for m in app["modules"] for f in m["forms"]}
    assert set(forms) == {REGISTRATION_XMLNS, VISIT_XMLNS}
    questions = {q["value"]: q for q in forms[REGISTRATION_XMLNS]["questions"]}
    assert questions["/data/members"]["type"] == "Repeat" and questions["/data/members/name"]["repeat"] == "/data/members"
    assert api.get(f"{API}application/demo-app/").json()["name"] == app["name"]


def test_report_data_pages_by_50_with_next_page(api, hq):
    url, rows, total = "/a/demo/api/configurablereportdata/v1/demo-patients/", [], None
    params = {"limit": 50}
    while url:
        page = api.get(url, params=params).json()
        assert len(page["data"]) <= 50 and [c["slug"] for c in page["columns"]][:2] == ["case_id", "name"]
        rows += page["data"]
        total, url, params = page["total_records"], page["next_page"], None
    assert total == len(rows) == sum(1 for c in hq.store.cases.values() if c["case_type"] == "patient")
    assert len({r["case_id"] for r in rows}) == total


@pytest.mark.parametrize("query, message", [
    ({"limit": 51}, "Limit may not exceed 50."),
    ({"limit": -1}, "limit must be a positive integer."),
    ({"limit": "many"}, "limit must be a positive integer."),
    ({"offset": -5}, "start must be a positive integer."),
])
def test_report_data_refuses_limits_and_offsets_as_hq(api, query, message):
    # corehq ConfigurableReportDataResource: a limit above LIMIT_MAX is refused, never clamped
    answer = api.get("/a/demo/api/configurablereportdata/v1/demo-patients/", params=query)
    assert answer.status_code == 400 and message in answer.text


def test_report_filters_and_list(api):
    closed = api.get("/a/demo/api/configurablereportdata/v1/demo-patients/", params={"status": "closed"}).json()
    assert closed["data"] and all(r["status"] == "closed" for r in closed["data"])
    assert "status=closed" in closed["next_page"] or closed["total_records"] <= 50
    villages = api.get("/a/demo/api/configurablereportdata/v1/demo-villages/").json()
    assert villages["next_page"] == "" and villages["data"][0]["households"] > 0
    reports = api.get(API + "simplereportconfiguration/").json()["objects"]
    assert [r["id"] for r in reports] == ["demo-patients", "demo-villages"]
    assert api.get("/a/demo/api/configurablereportdata/v1/nope/").status_code == 404


def test_groups_list_as_hqs_group_resource_and_match_the_users_groups(api, hq):
    page = api.get("/a/demo/api/v0.5/group/", params={"limit": 2}).json()
    assert page["meta"]["total_count"] == 4 and len(page["objects"]) == 2 and page["meta"]["next"]
    groups = page["objects"] + api.get("/a/demo/api/v0.5/group/", params={"limit": 2, "offset": 2}).json()["objects"]
    assert set(groups[0]) == {"id", "domain", "name", "users", "case_sharing", "reporting", "metadata",
                              "resource_uri"}
    users = {u["id"]: u for u in api.get("/a/demo/api/v0.5/user/", params={"limit": 100}).json()["objects"]}
    for group in groups:
        assert all(group["id"] in users[member]["groups"] for member in group["users"])
        assert api.get(group["resource_uri"]).json() == group
    assert sorted(m for g in groups for m in g["users"]) == sorted(users)  # every worker is in its district's
