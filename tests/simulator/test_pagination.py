"""Walking the whole data set: every document exactly once, with offsets, indexed_on paging and cursors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from hq_simulator.dates import parse


def _walk_offsets(api, path: str, limit: int) -> list[str]:
    seen, url, params = [], path, {"limit": limit, "order_by": "indexed_on"}
    while url:
        page = api.get(url, params=params).json()
        seen += [o["id"] for o in page["objects"]]
        url, params = page["meta"]["next"], None
    return seen


def test_v05_offsets_walk_every_form_and_case_once(api, hq):
    forms = _walk_offsets(api, "/a/demo/api/v0.5/form/", 37)
    assert len(forms) == len(set(forms)) == len(hq.store.forms)
    cases = _walk_offsets(api, "/a/demo/api/v0.5/case/", 41)
    assert len(cases) == len(set(cases)) == len(hq.store.cases)


def test_indexed_on_paging_as_commcare_export_does_it(api, hq):
    """First ``limit&order_by=indexed_on``, then ``indexed_on_start=<last indexed_on>`` (inclusive), dropping repeats."""
    for resource, store in (("form", hq.store.forms), ("case", hq.store.cases)):
        seen, params, previous = [], {"limit": 25, "order_by": "indexed_on"}, set()
        while True:
            page = api.get(f"/a/demo/api/v0.5/{resource}/", params=params).json()
            fresh = [o["id"] for o in page["objects"] if o["id"] not in previous]
            seen += fresh
            if not page["meta"]["next"] or not fresh:
                break
            previous = {o["id"] for o in page["objects"]}
            params = {"limit": 25, "order_by": "indexed_on",
                      "indexed_on_start": page["objects"][-1]["indexed_on"][:-1]}  # naive, as dateutil gives it
        assert len(seen) == len(set(seen)) == len(store)


def test_v2_cursor_walks_every_case_once_with_matching_records_counting_what_remains(api, hq):
    seen, url, params, remaining = [], "/a/demo/api/case/v2/", {"limit": 33}, len(hq.store.cases)
    while url:
        page = api.get(url, params=params).json()
        assert page["matching_records"] == remaining
        remaining -= len(page["cases"])
        seen += [c["case_id"] for c in page["cases"]]
        next_url = page.get("next")
        assert next_url is None or next_url.startswith(hq.url + "/a/demo/api/case/v2/?cursor=")
        url, params = (urlparse(next_url).path + "?" + urlparse(next_url).query, None) if next_url else (None, None)
    assert len(seen) == len(set(seen)) == len(hq.store.cases)


def test_v2_cursor_keeps_the_original_filters(api, hq):
    seen, url = [], "/a/demo/api/case/v2/?case_type=household&limit=10"
    while url:
        page = api.get(url).json()
        assert all(c["case_type"] == "household" for c in page["cases"])
        seen += [c["case_id"] for c in page["cases"]]
        url = page.get("next", "").replace(hq.url, "") or None
    assert len(seen) == len(set(seen)) == sum(1 for c in hq.store.cases.values() if c["case_type"] == "household")


def test_indexed_on_is_unique_and_strictly_increasing_per_write(api, hq):
    stamps = [parse(f["indexed_on"]) for f in api.get("/a/demo/api/v0.5/form/",
                                                      params={"limit": 1000, "order_by": "indexed_on"}).json()["objects"]]
    stamps += [c["indexed"] for c in hq.store.cases.values()]
    assert len(stamps) == len(set(stamps))


def test_a_case_updated_during_a_crawl_shows_up_again_at_the_end(fresh_api, fresh_hq):
    first = fresh_api.get("/a/demo/api/case/v2/", params={"limit": 5}).json()
    moved = first["cases"][0]["case_id"]
    assert fresh_api.put(f"/a/demo/api/case/v2/{moved}/", json={"properties": {"touched": "yes"}}).status_code == 200
    seen, url = [c["case_id"] for c in first["cases"]], first["next"].replace(fresh_hq.url, "")
    while url:
        page = fresh_api.get(url).json()
        seen += [c["case_id"] for c in page["cases"]]
        url = page.get("next", "").replace(fresh_hq.url, "") or None
    assert seen.count(moved) == 2 and seen[-1] == moved
    assert set(seen) == set(fresh_hq.store.cases)


def test_next_url_keeps_query_parameters(api):
    meta = api.get("/a/demo/api/v0.5/case/", params={"type": "patient", "closed": "false", "limit": 2}).json()["meta"]
    assert parse_qs(urlparse(meta["next"]).query) == {"limit": ["2"], "offset": ["2"], "type": ["patient"],
                                                      "closed": ["false"]}
