"""The UCR data-source APIs, written to HQ's behaviour (corehq/apps/api/resources/v0_5.py: ``get_ucr_data``,
``DataSourceConfigurationResource``; corehq/apps/api/resources/pagination.py; corehq/apps/api/util.py)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from hq_simulator import CommCareSimulator, dates
from hq_simulator.seed import PATIENTS_DATA_SOURCE, VISIT_XMLNS, VISITS_DATA_SOURCE
from hq_simulator.ucr_spec import SpecError

PATIENTS, VISITS = PATIENTS_DATA_SOURCE["_id"], VISITS_DATA_SOURCE["_id"]
UCR = "/a/demo/api/v0.5/ucr/"


def _pull(api, source: str, limit: int, cursor: str | None = None) -> tuple[list[dict], list[dict]]:
    """Page to the end as commcare-export does: each ``next``'s parameters plus ``data_source_id``."""
    rows, pages = [], []
    params = {"data_source_id": source, "limit": limit, **({"cursor": cursor} if cursor else {})}
    while True:
        page = api.get(UCR, params=params).json()
        pages.append(page)
        rows += page["objects"]
        if not page["meta"]["next"]:
            return rows, pages
        params = {**{k: v[-1] for k, v in parse_qs(urlparse(page["meta"]["next"]).query).items()},
                  "data_source_id": source}


def _all_cases(api) -> list[dict]:
    found, url = [], "/a/demo/api/v0.5/case/?limit=1000"
    while url:
        page = api.get(url).json()
        found += page["objects"]
        url = page["meta"]["next"]
    return found


def test_data_sources_are_listed_and_detailed_as_hq_does(api):
    listing = api.get("/a/demo/api/v0.5/ucr_data_source/").json()
    assert listing["meta"] == {"total_count": 2}  # DoesNothingPaginator: no paging keys
    assert {o["id"]: o["display_name"] for o in listing["objects"]} == {PATIENTS: "Patients",
                                                                        VISITS: "Patient visits"}
    assert all(set(o) == {"id", "display_name", "resource_uri"} for o in listing["objects"])
    detail = api.get(f"/a/demo/api/v0.5/ucr_data_source/{PATIENTS}/").json()
    assert detail["configured_filter"] == PATIENTS_DATA_SOURCE["configured_filter"]
    assert [i["column_id"] for i in detail["configured_indicators"]] == [
        "name", "sex", "dob", "village", "status", "owner_id", "closed"]
    assert api.get("/a/demo/api/v0.5/ucr_data_source/nope/").status_code == 404


def test_every_patient_row_pages_out_once_in_inserted_at_order_and_matches_the_case_api(api):
    rows, pages = _pull(api, PATIENTS, limit=40)
    patients = {c["case_id"]: c for c in _all_cases(api) if c["properties"]["case_type"] == "patient"}
    assert len(rows) == len(patients) > 80 and len(pages) == -(-len(patients) // 40) + 1
    assert pages[-1] == {"objects": [], "meta": {"next": None, "limit": "40"}}  # the end is an empty page
    assert [p["meta"]["limit"] for p in pages] == ["40"] * len(pages)  # limit as the query gave it
    for row in rows:
        case = patients[row["id"]]
        props = case["properties"]
        assert row["doc_id"] == row["id"]
        assert (row["name"], row["sex"], row["dob"], row["village"], row["status"], row["owner_id"], row["closed"]) == (
            props["case_name"], props["sex"], props["dob"], props["village"], props["status"], props["owner_id"],
            1 if case["closed"] else 0)
        assert row["inserted_at"] == case["indexed_on"][:23]  # Django's encoder: milliseconds, no zone
    keys = [(patients[r["id"]]["indexed_on"], r["doc_id"]) for r in rows]  # ordered to the microsecond
    assert keys == sorted(keys)


def test_form_data_source_rows_follow_the_form_api(api):
    rows, _ = _pull(api, VISITS, limit=500)
    found, url = [], f"/a/demo/api/v0.5/form/?limit=1000&xmlns={VISIT_XMLNS}"
    while url:
        page = api.get(url).json()
        found += page["objects"]
        url = page["meta"]["next"]
    forms = {f["id"]: f for f in found}
    assert len(rows) == len(forms) > 0
    for row in rows:
        form = forms[row["id"]]["form"]
        assert (row["patient_id"], row["visit_date"], row["outcome"]) == (
            form["case"]["@case_id"], form["visit_date"], form["outcome"])
        assert row["weight"] == form["weight"]  # a decimal column: a string


def test_next_is_absolute_and_its_cursor_names_the_last_row(hq, api):
    page = api.get(UCR, params={"data_source_id": PATIENTS, "limit": 3, "village": "Kondele"}).json()
    next_url = urlparse(page["meta"]["next"])
    assert f"{next_url.scheme}://{next_url.netloc}" == hq.url and next_url.path == UCR
    query = parse_qs(next_url.query)
    assert (query["data_source_id"], query["limit"], query["village"]) == ([PATIENTS], ["3"], ["Kondele"])
    cursor = parse_qs(base64.b64decode(query["cursor"][0]).decode())
    last = page["objects"][-1]
    assert cursor["last_doc_id"] == [last["doc_id"]]
    case = api.get(f"/a/demo/api/v0.5/case/{last['doc_id']}/").json()
    assert dates.parse(cursor["last_inserted_at"][0]) == dates.parse(case["indexed_on"])  # full microseconds
    plain = api.get(UCR, params={"data_source_id": PATIENTS, "limit": 3}).json()
    assert page["objects"] == plain["objects"]  # get_ucr_data has no column filters: the parameter only rides along


def test_a_cursor_page_takes_its_parameters_from_the_cursor_so_its_next_drops_data_source_id(api):
    first = api.get(UCR, params={"data_source_id": PATIENTS, "limit": 5}).json()
    second = requests.get(first["meta"]["next"], headers=api.session.headers, timeout=10).json()
    assert [r["id"] for r in second["objects"]] == [r["id"] for r in _pull(api, PATIENTS, 10)[0][5:10]]
    assert "data_source_id" not in parse_qs(urlparse(second["meta"]["next"]).query)
    third = requests.get(second["meta"]["next"], headers=api.session.headers, timeout=10)
    assert (third.status_code, third.text) == (400, "Missing data_source_id parameter")


def test_limits_urls_and_errors_as_hq(api):
    assert api.get(UCR, params={"data_source_id": PATIENTS}).json()["meta"]["limit"] == 1000
    assert api.get(UCR, params={"data_source_id": PATIENTS, "limit": 20000}).json()["meta"]["limit"] == 10000
    v1 = api.get("/a/demo/api/ucr/v1/", params={"data_source_id": PATIENTS, "limit": 4}).json()
    assert v1["objects"] == api.get(UCR, params={"data_source_id": PATIENTS, "limit": 4}).json()["objects"]
    missing = api.get(UCR)
    assert (missing.status_code, missing.text) == (400, "Missing data_source_id parameter")
    assert api.get(UCR, params={"data_source_id": "nope"}).status_code == 500
    redirected = api.get("/a/demo/api/v0.5/ucr", params={"data_source_id": PATIENTS}, allow_redirects=False)
    assert redirected.status_code == 301 and redirected.headers["Location"].startswith(UCR + "?")
    assert api.post(UCR, params={"data_source_id": PATIENTS}).status_code == 405


def test_a_resumed_pull_yields_only_the_rows_rebuilt_since(fresh_hq, fresh_api):
    rows, pages = _pull(fresh_api, PATIENTS, limit=7)
    cursor = parse_qs(urlparse(pages[-2]["meta"]["next"]).query)["cursor"][0]  # what commcare-export checkpoints
    assert _pull(fresh_api, PATIENTS, 7, cursor)[0] == []
    patient = rows[0]["id"]
    answer = fresh_api.put(f"/a/demo/api/case/v2/{patient}/", json={"properties": {"status": "moved"}})
    assert answer.status_code == 200, answer.text
    again, _ = _pull(fresh_api, PATIENTS, 7, cursor)
    assert [(r["id"], r["status"]) for r in again] == [(patient, "moved")]


def test_a_data_source_defined_in_the_data_file_is_served(tmp_path):
    path = tmp_path / "hq.json"
    with CommCareSimulator(seed=30, state_file=str(path)):
        pass
    data = json.loads(path.read_text())
    data["ucr_data_sources"].append({
        "_id": "households", "display_name": "Households", "referenced_doc_type": "CommCareCase",
        "configured_filter": {"type": "property_match", "property_name": "type", "property_value": "household"},
        "configured_indicators": [{"type": "expression", "column_id": "size", "datatype": "integer",
                                   "expression": {"type": "property_name", "property_name": "hh_size"}}]})
    path.write_text(json.dumps(data))
    with CommCareSimulator(state_file=str(path)) as hq:
        page = requests.get(f"{hq.url}{UCR}", params={"data_source_id": "households"}, headers=hq.auth_header,
                            timeout=10).json()
        households = {c["case_id"]: c for c in hq.store.cases.values() if c["case_type"] == "household"}
        assert {r["id"]: r["size"] for r in page["objects"]} == {
            i: int(c["properties"]["hh_size"]) for i, c in households.items()}
    assert {s["id"] for s in json.loads(path.read_text())["ucr_data_sources"]} == {PATIENTS, VISITS, "households"}


@pytest.mark.parametrize("config, message", [
    ({"_id": "x", "referenced_doc_type": "Location"}, "referenced_doc_type"),
    ({"_id": "x", "referenced_doc_type": "CommCareCase", "configured_filter": {"type": "regex"}}, "filter type"),
    ({"_id": "x", "referenced_doc_type": "CommCareCase", "configured_indicators": [
        {"type": "expression", "column_id": "a", "datatype": "array", "expression": {"type": "constant"}}]},
     "datatype"),
    ({"_id": "x", "referenced_doc_type": "CommCareCase", "configured_indicators": [
        {"type": "boolean", "column_id": "doc_id", "filter": {}}]}, "column_id"),
])
def test_a_data_source_the_simulator_cannot_build_is_refused(config, message):
    with pytest.raises(SpecError, match=message):
        CommCareSimulator().ucr.add(config)
