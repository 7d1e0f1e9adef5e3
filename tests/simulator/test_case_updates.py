"""Case API v2 writes: create, update, upsert, bulk with temporary ids, and their errors."""

from __future__ import annotations

V2 = "/a/demo/api/case/v2/"
OWNER = "d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0"


def test_create_returns_form_id_and_the_case(fresh_api, fresh_hq):
    response = fresh_api.post(V2, json={"case_type": "patient", "case_name": "Zoë Müller", "owner_id": OWNER,
                                        "external_id": "ZM-1", "properties": {"dob": "1990-02-03"}},
                              headers={"User-Agent": "pyfn-test"})
    assert response.status_code == 200
    body = response.json()
    case = body["case"]
    assert case["case_name"] == "Zoë Müller" and case["properties"] == {"dob": "1990-02-03"}
    form = fresh_api.get(f"/a/demo/api/v0.5/form/{body['form_id']}/").json()
    assert form["form"]["@xmlns"] == "http://commcarehq.org/case_api"
    assert form["form"]["meta"]["deviceID"] == "pyfn-test" and form["form"]["meta"]["username"] == "demo@example.com"
    assert fresh_api.get(f"{V2}ext/ZM-1/").json()["case_id"] == case["case_id"]


def test_create_errors(fresh_api):
    missing = fresh_api.post(V2, json={"case_type": "patient"})
    assert missing.status_code == 400 and "case_name" in missing.json()["error"]
    unknown = fresh_api.post(V2, json={"case_type": "p", "case_name": "n", "owner_id": OWNER, "colour": "red"})
    assert unknown.json() == {"error": "Error in row 1: 'colour' is not a valid field."}
    with_id = fresh_api.post(V2, json={"case_id": "x", "case_type": "p", "case_name": "n", "owner_id": OWNER})
    assert with_id.json() == {"error": "Error in row 1: 'case_id' is not a valid field."}
    not_string = fresh_api.post(V2, json={"case_type": "p", "case_name": "n", "owner_id": OWNER,
                                          "properties": {"age": 3}})
    assert not_string.status_code == 400 and "Values must be strings" in not_string.json()["error"]
    assert fresh_api.post(V2, data="{oops").json() == {"error": "Payload must be valid JSON"}


def test_update_changes_properties_and_closes(fresh_api, fresh_hq):
    case_id = next(c for c, r in fresh_hq.store.cases.items() if not r["closed"])
    before = fresh_api.get(f"{V2}{case_id}/").json()
    response = fresh_api.put(f"{V2}{case_id}/", json={"properties": {"status": "moved"}, "close": True})
    after = response.json()["case"]
    assert after["properties"]["status"] == "moved" and after["closed"] is True
    assert after["indexed_on"] > before["indexed_on"]
    assert fresh_api.put(f"{V2}nope/", json={"properties": {}}).status_code == 404


def test_upsert_by_external_id_creates_then_updates(fresh_api):
    body = {"case_type": "patient", "case_name": "Ayşe", "owner_id": OWNER, "properties": {"visits": "1"}}
    created = fresh_api.put(f"{V2}ext/AY-9/", json=body).json()["case"]
    updated = fresh_api.put(f"{V2}ext/AY-9/", json={"properties": {"visits": "2"}}).json()["case"]
    assert created["case_id"] == updated["case_id"] and updated["properties"]["visits"] == "2"
    assert updated["external_id"] == "AY-9"


def test_bulk_with_temporary_ids_is_one_form(fresh_api, fresh_hq):
    existing = next(iter(fresh_hq.store.cases))
    items = [{"create": True, "case_type": "mother", "case_name": "Cersei", "owner_id": OWNER,
              "temporary_id": "m1", "properties": {"dob": "1988-11-02"}},
             {"create": True, "case_type": "baby", "case_name": "Tommen", "owner_id": OWNER,
              "indices": {"parent": {"temporary_id": "m1", "case_type": "mother", "relationship": "child"}}},
             {"create": False, "case_id": existing, "properties": {"status": "active"}},
             {"case_type": "baby", "case_name": "Myrcella", "owner_id": OWNER, "external_id": "MY-1"}]
    body = fresh_api.post(V2, json=items).json()
    mother, baby, updated, upserted = body["cases"]
    assert baby["indices"]["parent"]["case_id"] == mother["case_id"]
    assert updated["case_id"] == existing and updated["properties"]["status"] == "active"
    assert upserted["external_id"] == "MY-1"
    form = fresh_hq.store.forms[body["form_id"]]
    assert set(form["case_ids"]) == {c["case_id"] for c in body["cases"]}


def test_bulk_row_errors_are_joined_and_nothing_changes(fresh_api, fresh_hq):
    before = len(fresh_hq.store.cases)
    items = [{"create": True, "case_type": "t", "case_name": "ok", "owner_id": OWNER},
             {"create": True, "case_type": "t", "owner_id": OWNER},
             {"create": True, "case_type": "t", "case_name": "ok", "owner_id": OWNER},
             {"create": False, "case_id": "nope"}]
    error = fresh_api.post(V2, json=items).json()["error"]
    assert error.startswith("Error in row 2: ") and "; Error in row 4: Case 'nope' not found" in error
    assert len(fresh_hq.store.cases) == before


def test_bulk_is_limited_to_100(fresh_api):
    items = [{"create": True, "case_type": "t", "case_name": str(i), "owner_id": OWNER} for i in range(101)]
    assert fresh_api.post(V2, json=items).status_code == 400
    assert len(fresh_api.post(V2, json=items[:100]).json()["cases"]) == 100


def test_index_to_an_unknown_case_is_a_processing_failure_with_form_id(fresh_api):
    response = fresh_api.post(V2, json={"case_type": "t", "case_name": "n", "owner_id": OWNER, "indices": {
        "parent": {"case_id": "no-such-case", "case_type": "household", "relationship": "child"}}})
    assert response.status_code == 400
    assert "non-existent case 'no-such-case'" in response.json()["error"] and response.json()["form_id"]
