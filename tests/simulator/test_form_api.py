"""The form API over HTTP: envelope, filters, ordering, detail, errors, and the form JSON shape."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from hq_simulator.seed import REGISTRATION_XMLNS, VISIT_XMLNS

FORMS = "/a/demo/api/v0.5/form/"


def test_list_envelope_has_tastypie_meta_and_relative_next_keeping_filters(api, hq):
    page = api.get(FORMS, params={"limit": 5, "xmlns": VISIT_XMLNS}).json()
    meta = page["meta"]
    assert (meta["limit"], meta["offset"], meta["previous"]) == (5, 0, None)
    assert meta["total_count"] == sum(1 for r in hq.store.forms.values() if r["xmlns"] == VISIT_XMLNS)
    assert meta["next"].startswith(FORMS + "?")
    assert parse_qs(urlparse(meta["next"]).query) == {"limit": ["5"], "offset": ["5"], "xmlns": [VISIT_XMLNS]}
    second = api.get(meta["next"]).json()
    assert second["meta"]["previous"] is not None and second["meta"]["offset"] == 5
    assert {f["id"] for f in page["objects"]}.isdisjoint({f["id"] for f in second["objects"]})


def test_default_limit_is_20_and_limit_is_clamped_to_1000(api):
    assert api.get(FORMS).json()["meta"]["limit"] == 20
    assert api.get(FORMS, params={"limit": 5000}).json()["meta"]["limit"] == 1000


def test_form_v1_alias_serves_the_same_list(api):
    alias = api.get("/a/demo/api/form/v1/", params={"limit": 3}).json()
    assert alias["objects"] == api.get(FORMS, params={"limit": 3}).json()["objects"]
    assert alias["meta"]["next"].startswith("/a/demo/api/form/v1/?")


def test_form_json_matches_hq_shape(api):
    form = api.get(FORMS, params={"xmlns": VISIT_XMLNS, "limit": 1}).json()["objects"][0]
    for key in ("id", "domain", "app_id", "build_id", "archived", "type", "version", "uiversion", "received_on",
                "server_modified_on", "indexed_on", "edited_on", "edited_by_user_id", "is_phone_submission",
                "initial_processing_complete", "problem", "submit_ip", "form", "metadata", "attachments",
                "resource_uri"):
        assert key in form
    body = form["form"]
    assert body["#type"] == "data" and body["@xmlns"] == VISIT_XMLNS and body["@name"] == "Patient Visit"
    assert not (isinstance(body["medications"], list) and len(body["medications"]) < 2)  # one entry: an object
    # an app-built form: its own case block at /data/case, the parent's update at /data/parents/parent/case
    assert body["case"]["@xmlns"] == body["parents"]["parent"]["case"]["@xmlns"] == \
        "http://commcarehq.org/case/transaction/v2"
    patient = api.get(f"/a/demo/api/case/v2/{body['case']['@case_id']}/").json()
    assert patient["case_type"] == "patient"
    assert patient["indices"]["parent"]["case_id"] == body["parents"]["parent"]["case"]["@case_id"]
    assert form["build_id"] == "demo-app-build-12" and body["@version"] == "12"
    assert body["meta"]["@xmlns"] == "http://openrosa.org/jr/xforms"
    assert body["meta"]["appVersion"]["@xmlns"] == "http://commcarehq.org/xforms"
    assert form["metadata"]["instanceID"] == form["id"] and form["metadata"]["location"] is None
    assert form["received_on"].endswith("Z") and len(form["received_on"]) == 27
    assert form["attachments"]["form.xml"]["content_type"] == "text/xml"
    assert form["resource_uri"] == f"{FORMS}{form['id']}/"


def test_registration_repeat_holds_subcases_indexed_to_the_household(api):
    form = api.get(FORMS, params={"xmlns": REGISTRATION_XMLNS, "limit": 1}).json()["objects"][0]["form"]
    household = form["case"]["@case_id"]
    assert isinstance(form["members"], list)
    for member in form["members"]:
        assert member["case"]["index"]["parent"]["#text"] == household


def test_detail_returns_the_object_and_404_for_unknown(api):
    form_id = api.get(FORMS, params={"limit": 1}).json()["objects"][0]["id"]
    assert api.get(f"{FORMS}{form_id}/").json()["id"] == form_id
    missing = api.get(f"{FORMS}nope/")
    assert missing.status_code == 404 and missing.content == b""


def test_attachment_serves_the_form_xml(api):
    form = api.get(FORMS, params={"limit": 1}).json()["objects"][0]
    response = api.get(urlparse(form["attachments"]["form.xml"]["url"]).path)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/xml")
    assert form["id"].encode() in response.content
    assert len(response.content) == form["attachments"]["form.xml"]["length"]


@pytest.mark.parametrize("param", ["received_on_start", "server_modified_on_end", "indexed_on_start"])
def test_a_bad_date_is_400(api, param):
    response = api.get(FORMS, params={param: "yesterday"})
    assert response.status_code == 400 and "Bad query parameter" in response.text


def test_date_bounds_are_inclusive(api):
    forms = api.get(FORMS, params={"limit": 3, "order_by": "indexed_on"}).json()["objects"]
    middle = forms[1]["indexed_on"]
    page = api.get(FORMS, params={"indexed_on_start": middle, "indexed_on_end": middle}).json()
    assert [f["id"] for f in page["objects"]] == [forms[1]["id"]]
    day = forms[0]["received_on"][:10]
    same_day = api.get(FORMS, params={"received_on_start": day, "received_on_end": day, "limit": 1000}).json()
    assert forms[0]["id"] in {f["id"] for f in same_day["objects"]}
    assert all(f["received_on"].startswith(day) for f in same_day["objects"])


def test_order_by_and_its_default(api):
    default = [f["received_on"] for f in api.get(FORMS, params={"limit": 50}).json()["objects"]]
    assert default == sorted(default, reverse=True)
    ascending = [f["indexed_on"] for f in api.get(FORMS, params={"order_by": "indexed_on", "limit": 50}).json()["objects"]]
    assert ascending == sorted(ascending)
    modified = [f["server_modified_on"] for f in
                api.get(FORMS, params={"order_by": "-server_modified_on", "limit": 50}).json()["objects"]]
    assert modified == sorted(modified, reverse=True)
    assert api.get(FORMS, params={"order_by": "colour"}).status_code == 400


def test_app_id_filter_and_unknown_params_are_exact_field_filters(api, hq):
    assert api.get(FORMS, params={"app_id": "demo-app"}).json()["meta"]["total_count"] == len(hq.store.forms)
    assert api.get(FORMS, params={"app_id": "other"}).json()["meta"]["total_count"] == 0
    username = next(iter(hq.store.forms.values()))["doc"]["metadata"]["username"]
    page = api.get(FORMS, params={"metadata.username": username, "limit": 1000}).json()
    assert page["objects"] and all(f["metadata"]["username"] == username for f in page["objects"])


def test_archived_forms_are_hidden_unless_include_archived(fresh_api, fresh_hq):
    form_id = next(iter(fresh_hq.store.forms))
    total = fresh_api.get(FORMS).json()["meta"]["total_count"]
    assert fresh_api.post(f"/admin/forms/{form_id}/archive").json() == {"id": form_id, "archived": True}
    assert fresh_api.get(FORMS).json()["meta"]["total_count"] == total - 1
    page = fresh_api.get(FORMS, params={"include_archived": "true", "limit": 1000}).json()
    assert page["meta"]["total_count"] == total
    assert next(f for f in page["objects"] if f["id"] == form_id)["archived"] is True


def test_cases_full_adds_the_cases(api):
    form = api.get(FORMS, params={"limit": 1, "xmlns": REGISTRATION_XMLNS, "cases__full": "true"}).json()["objects"][0]
    expected = {form["form"]["case"]["@case_id"]} | {m["case"]["@case_id"] for m in form["form"]["members"]}
    assert {c["case_id"] for c in form["cases"]} == expected


def test_the_form_xml_attachment_converts_back_to_the_same_json(api, hq):
    from hq_simulator.form_json import as_stored
    from hq_simulator.xform import xml_to_json
    for form in api.get(FORMS, params={"limit": 20}).json()["objects"]:
        xml = api.get(urlparse(form["attachments"]["form.xml"]["url"]).path).content
        assert as_stored(xml_to_json(xml)) == form["form"]
