"""OpenFn's generic calls against the simulator: get (auto-pagination), post, request, http.*, reports."""

from __future__ import annotations

import re

import pytest

from adaptors.commcare import CommCareHTTPError, fetch_report_data, get, http, post, request
from adaptors.common import fn
from runtime.testing.destination import DestinationAPI


def _requests(cc_log, method="GET"):
    return [r.getMessage() for r in cc_log.records if r.getMessage().startswith(method + " ")]


def _all_case_ids(hq):
    with hq.store.lock:
        return set(hq.store.cases)


def test_get_follows_every_page_with_openfns_offset_arithmetic(run, config, hq, cc_log):
    state = run(config, get("case", {"limit": 7}), state={"data": {"before": 1}})
    ids = [case["id"] for case in state["data"]]
    assert len(ids) == len(set(ids)) == len(_all_case_ids(hq)) and set(ids) == _all_case_ids(hq)
    sent = _requests(cc_log)
    assert len(sent) == -(-len(ids) // 7) > 40
    assert sent[0].split(" - ")[0].endswith("/a/demo/api/v0.5/case/?limit=7")
    assert "?limit=7&offset=7" in sent[1] and f"offset={7 * (len(sent) - 1)}" in sent[-1]
    assert state["response"]["meta"]["next"] is None and state["response"]["statusCode"] == 200
    assert state["references"] == [{"before": 1}]


def test_get_runs_the_callback_once_per_page_and_concatenates(run, config):
    pages = []

    def callback(state):
        pages.append(len(state["data"]))
        return {**state, "data": [case["id"] for case in state["data"]]}

    state = run(config, get("case", {"type": "household", "limit": 20}, callback))
    assert len(pages) > 1 and sum(pages) == len(state["data"]) and all(isinstance(i, str) for i in state["data"])


def test_get_with_an_offset_sends_one_request(run, config, cc_log):
    state = run(config, get("case", {"limit": 5, "offset": "10"}))
    assert len(state["data"]) == 5 and state["response"]["meta"]["offset"] == 10
    assert len(_requests(cc_log)) == 1


def test_get_a_single_resource_and_lazy_params(run, config, hq):
    case_id = sorted(_all_case_ids(hq))[0]
    state = run(config, get(lambda s: f"case/{s['id']}", lambda s: {"child_cases__full": "true"}),
                state={"id": case_id})
    assert isinstance(state["data"], dict) and state["data"]["case_id"] == case_id


def test_get_a_missing_resource_is_openfns_404(run, config):
    with pytest.raises(CommCareHTTPError) as caught:
        run(config, get("case/nope"))
    error = caught.value
    assert re.fullmatch(r"GET to http://127\.0\.0\.1:\d+/a/demo/api/v0\.5/case/nope/ returned 404: Not Found",
                        error.message)
    assert error.body == {"error": "Resource case/nope not found"} and error.fix


def test_get_streams_pages_with_each_page(run, config, hq):
    state = run(config, get("form", {"limit": 50}, each_page=lambda s: {**s, "seen": s.get("seen", 0) + len(s["data"])}),
                state={"data": "original"})
    assert state["seen"] == state["data"]["count"] > 50 and state["data"]["pages"] > 1
    assert state["references"] == ["original"]


def test_post_creates_and_reports_hqs_error(run, config):
    state = run(config, post("user", {"username": "chw-new", "password": "pw", "first_name": "Nia"}))
    assert state["data"]["username"] == "chw-new@demo.commcarehq.org" and state["response"]["statusCode"] == 201
    with pytest.raises(CommCareHTTPError) as caught:
        run(config, post("user", {"first_name": "no username"}))
    assert caught.value.status_code == 400 and "at least 'username' is required" in caught.value.message


def test_request_uses_the_path_as_given_without_pagination(run, config):
    state = run(config, request("GET", "/a/demo/api/v0.5/case/", None, {"limit": 5}))
    assert len(state["data"]) == 5 and state["response"]["meta"]["next"]


def test_http_namespace_reaches_case_api_v2(run, config):
    state = run(config, http.get("case/v2", {"limit": 3, "case_type": "patient"}))
    assert len(state["data"]["cases"]) == 3 and state["data"]["next"]
    created = run(config, http.post("case/v2", {"case_type": "patient", "case_name": "Zoë", "owner_id": "u1"}))
    case_id = created["data"]["case"]["case_id"]
    updated = run(config, http.request("PUT", f"case/v2/{case_id}", {"properties": {"status": "seen"}}))
    assert updated["data"]["case"]["properties"]["status"] == "seen"
    fetched = run(config, http.get(f"/a/demo/api/case/v2/{case_id}/"))
    assert fetched["data"]["case_name"] == "Zoë"


@pytest.fixture
def report_api(hq):
    """The simulator, which serves report data at OpenFn's v0.5 path too."""
    return hq


def test_fetch_report_data_sends_params_to_commcare_and_reads_every_page(run, config, report_api, cc_log):
    state = run(config, fetch_report_data("demo-patients", {"village": "Kondele", "limit": 10}))
    rows = state["data"]["data"]
    assert rows and {row["village"] for row in rows} == {"Kondele"}
    assert len(rows) == state["data"]["total_records"] and state["data"]["columns"][0]["slug"] == "case_id"
    assert len(_requests(cc_log)) == -(-len(rows) // 10)


def test_fetch_report_data_posts_to_another_origin_without_credentials(run, config, report_api):
    with DestinationAPI() as destination:
        run(config, fetch_report_data("demo-villages", {}, f"{destination.url}/echo"))
        sent = destination.last
    assert sent.json["data"] and "authorization" not in {k.lower() for k in sent.headers}


def test_fetch_report_data_one_page_with_an_offset_or_streamed(run, config, report_api, cc_log):
    one = run(config, fetch_report_data("demo-patients", {"offset": 5, "limit": 3}))
    assert len(one["data"]["data"]) == 3 and len(_requests(cc_log)) == 1
    streamed = run(config, fetch_report_data("demo-patients", {"limit": 50},
                                             each_page=lambda s: {**s, "rows": s.get("rows", 0) + len(s["data"])}))
    assert streamed["rows"] == streamed["data"]["count"] == streamed["data"]["total_records"]


def test_each_page_and_post_url_do_not_mix(run, config):
    with pytest.raises(ValueError, match="each_page"):
        run(config, fetch_report_data("demo-patients", {}, "/x", each_page=fn(lambda s: s)))
