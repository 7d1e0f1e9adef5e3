"""HQ's own checks and URL rules: bulk-fetch validation, the v2 URL patterns, Django's APPEND_SLASH.

Written to corehq: ``_handle_bulk_fetch`` and ``_get_by_external_id`` (corehq/apps/hqcase/views.py),
``get_bulk`` (corehq/apps/hqcase/api/get_bulk.py), the case v2 routes (list and detail with an
optional slash, external id and bulk-fetch with a required one), and Django's CommonMiddleware.
"""

from __future__ import annotations

import pytest
import requests

V2 = "/a/demo/api/case/v2/"


def test_bulk_fetch_without_ids_is_a_400_with_hqs_message(api):
    for body in ({}, {"case_ids": []}, {"external_ids": None, "case_ids": []}):
        response = api.post(V2 + "bulk-fetch/", json=body)
        assert response.status_code == 400
        assert response.json() == {"error": "Payload must include 'case_ids' or 'external_ids' fields"}
    response = api.post(V2 + "bulk-fetch/", data=b"{not json", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (400, {"error": "Payload must be valid JSON"})


def test_bulk_fetch_of_more_than_5000_is_refused(api, hq):
    some = next(iter(hq.store.cases))
    response = api.post(V2 + "bulk-fetch/", json={"case_ids": [some] * 4000, "external_ids": ["x"] * 1001})
    assert response.status_code == 400
    assert response.json() == {"error": "You cannot request more than 5000 cases per request."}
    ok = api.post(V2 + "bulk-fetch/", json={"case_ids": [some], "external_ids": ["nope"]}).json()
    assert (ok["matching_records"], ok["missing_records"]) == (1, 1)


def test_an_external_id_shared_by_two_cases_names_them(fresh_api):
    ids = sorted(fresh_api.post(V2, json={"case_type": "t", "case_name": n, "owner_id": "o", "external_id": "DUP"})
                 .json()["case"]["case_id"] for n in ("a", "b"))
    response = fresh_api.get(V2 + "ext/DUP/")
    assert response.status_code == 400
    assert response.json() == {"error": f"Multiple cases found with external_id 'DUP': {ids[0]}, {ids[1]}"}


def test_the_v2_list_and_case_urls_take_their_slash_or_not(api, hq):
    case_id = next(iter(hq.store.cases))
    assert api.get(V2.rstrip("/"), params={"limit": 3}).json() == api.get(V2, params={"limit": 3}).json()
    assert api.get(V2 + case_id).json() == api.get(V2 + case_id + "/").json()
    assert api.get(f"/a/demo/api/v0.6/case/{case_id}/").json()["case_id"] == case_id  # the deprecated alias


def test_a_v2_update_without_the_slash_is_routed(fresh_api):
    case_id = fresh_api.post(V2.rstrip("/"), json={"case_type": "t", "case_name": "n", "owner_id": "o"}).json()[
        "case"]["case_id"]
    updated = fresh_api.put(V2 + case_id, json={"properties": {"status": "seen"}})
    assert updated.status_code == 200 and updated.json()["case"]["properties"]["status"] == "seen"


@pytest.mark.parametrize("path, query", [
    ("/a/demo/api/v0.5/case", "type=patient&limit=2"),
    ("/a/demo/api/v0.5/form", ""),
    ("/a/demo/api/v0.5/user", "limit=1"),
    ("/a/demo/api/case/v2/ext/HH-000001", ""),
])
def test_a_url_missing_its_slash_redirects_permanently_as_django_does(hq, path, query):
    response = requests.get(f"{hq.url}{path}" + (f"?{query}" if query else ""), allow_redirects=False)
    assert response.status_code == 301  # before authentication: the URL itself does not resolve
    assert response.headers["Location"] == path + "/" + (f"?{query}" if query else "")


def test_following_the_redirect_gives_the_slashed_answer(api):
    assert api.get("/a/demo/api/v0.5/case", params={"limit": 2}).json() == \
        api.get("/a/demo/api/v0.5/case/", params={"limit": 2}).json()


def test_a_post_missing_its_slash_is_redirected_too_and_unknown_paths_stay_404(api):
    response = api.post("/a/demo/api/v0.5/user", json={}, allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (301, "/a/demo/api/v0.5/user/")
    # without its slash, bulk-fetch is a case id on the detail URL, which takes no POST
    response = api.post(V2 + "bulk-fetch", json={"case_ids": ["x"]}, allow_redirects=False)
    assert (response.status_code, response.json()) == (405, {"error": "Request method not allowed"})
    assert api.get("/a/demo/api/v0.5/nothing", allow_redirects=False).status_code == 404
    assert api.get("/a/demo/api/v0.5/nothing/", allow_redirects=False).status_code == 404
