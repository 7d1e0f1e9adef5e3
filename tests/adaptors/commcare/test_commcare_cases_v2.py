"""Case API v2: list_cases following the cursor, get_cases in bulk, upsert_cases in chunks of 100."""

from __future__ import annotations

import pytest

from adaptors.commcare import CommCareError, CommCareHTTPError, UpsertError, get_cases, list_cases, upsert_cases


def _v2_ids(hq, case_type=None):
    with hq.store.lock:
        return {c for c, rec in hq.store.cases.items() if case_type is None or rec["case_type"] == case_type}


def test_list_cases_follows_the_cursor_through_many_pages(run, config, hq, cc_log):
    state = run(config, list_cases({"limit": 9}))
    ids = [c["case_id"] for c in state["data"]]
    assert len(ids) == len(set(ids)) == len(_v2_ids(hq)) and set(ids) == _v2_ids(hq)
    requests_sent = [r.getMessage() for r in cc_log.records if r.getMessage().startswith("GET ")]
    assert len(requests_sent) == -(-len(ids) // 9) and "cursor=" in requests_sent[-1]
    assert [c["indexed_on"] for c in state["data"]] == sorted(c["indexed_on"] for c in state["data"])
    progress = [r.getMessage() for r in cc_log.records if r.getMessage().startswith("cases: page")]
    assert len(progress) == len(requests_sent) and f"{len(ids)}/{len(ids)} (100%)" in progress[-1]


def test_list_cases_filters(run, config, hq):
    open_patients = run(config, list_cases({"case_type": "patient", "closed": False}))["data"]
    assert open_patients and all(c["case_type"] == "patient" and not c["closed"] for c in open_patients)
    both = run(config, list_cases({"case_type": ["patient", "household"], "limit": 50}))["data"]
    assert {c["case_id"] for c in both} == _v2_ids(hq, "patient") | _v2_ids(hq, "household")
    village = open_patients[0]["properties"]["village"]
    in_village = run(config, list_cases({"properties.village": village}))["data"]
    assert in_village and all(c["properties"]["village"] == village for c in in_village)


def test_list_cases_rejects_bad_filters_with_hqs_message(run, config):
    with pytest.raises(CommCareHTTPError) as caught:
        run(config, list_cases({"colour": "red"}))
    assert "'colour' is not a valid parameter." in str(caught.value)


def test_list_cases_streams_pages(run, config, hq):
    state = run(config, list_cases({"limit": 25}, each_page=lambda s: {**s, "pages_seen": s.get("pages_seen", 0) + 1}))
    assert state["data"]["count"] == len(_v2_ids(hq)) and state["pages_seen"] == state["data"]["pages"] > 5


def test_get_cases_by_ids_and_external_ids_in_order(run, config, hq):
    with hq.store.lock:
        records = sorted(hq.store.cases.values(), key=lambda r: r["case_id"])
        with_external = [r for r in records if r["external_id"]][:3]
    ids = [r["case_id"] for r in records[:150]]
    state = run(config, get_cases(ids=ids + ["missing-id"], external_ids=[r["external_id"] for r in with_external]))
    got = state["data"]
    assert [c["case_id"] for c in got[:150]] == ids and got[150] == {"case_id": "missing-id", "error": "not found"}
    assert [c["external_id"] for c in got[151:]] == [r["external_id"] for r in with_external]


def test_get_cases_missing_modes(run, config, hq):
    case_id = sorted(_v2_ids(hq))[0]
    dropped = run(config, get_cases([case_id, "nope"], missing="drop"))["data"]
    assert [c["case_id"] for c in dropped] == [case_id]
    with pytest.raises(CommCareError) as caught:
        run(config, get_cases(ids=[case_id, "nope"], missing="raise"))
    assert caught.value.details["missing"] == ["nope"]
    assert run(config, get_cases(ids=case_id))["data"][0]["case_id"] == case_id


def _rows(count: int) -> list[dict]:
    """Mothers and babies; some babies come before their mother, some mothers in a later chunk."""
    rows = []
    for n in range(count):
        rows.append({"case_type": "baby", "case_name": f"baby-{n}", "owner_id": "o1",
                     "indices": {"parent": {"temporary_id": f"m{n}", "case_type": "mother"}}})
    for n in range(count):
        rows.append({"case_type": "mother", "case_name": f"mother-{n}", "owner_id": "o1", "temporary_id": f"m{n}",
                     "external_id": f"MOTHER-{n}", "properties": {"n": str(n)}})
    return rows


def test_upsert_cases_chunks_by_100_and_links_temporary_ids_across_chunks(run, fresh_config, fresh_hq, cc_log):
    rows = _rows(120)
    state = run(fresh_config, upsert_cases(rows))
    data = state["data"]
    assert data["errors"] == [] and len(data["form_ids"]) == 3 and all(data["cases"])
    posts = [r.getMessage() for r in cc_log.records if r.getMessage().startswith("POST ")]
    assert len(posts) == 3
    by_name = {c["case_name"]: c for c in run(fresh_config, list_cases({"limit": 1000}))["data"]}
    for n in (0, 60, 119):
        baby, mother = by_name[f"baby-{n}"], by_name[f"mother-{n}"]
        assert baby["indices"]["parent"]["case_id"] == mother["case_id"]
    assert data["cases"][0]["case_name"] == "baby-0" and data["cases"][120]["case_name"] == "mother-0"


def test_upsert_cases_updates_by_case_id_and_external_id(run, fresh_config):
    created = run(fresh_config, upsert_cases(_rows(2)))["data"]["cases"]
    baby_id = created[0]["case_id"]
    state = run(fresh_config, upsert_cases([{"case_id": baby_id, "properties": {"weight": "3.1"}},
                                            {"external_id": "MOTHER-1", "properties": {"n": "one"}},
                                            {"external_id": "NEW-1", "case_type": "mother", "case_name": "New",
                                             "owner_id": "o1"}]))
    updated = state["data"]["cases"]
    assert updated[0]["case_id"] == baby_id and updated[0]["properties"]["weight"] == "3.1"
    assert updated[1]["case_id"] == created[3]["case_id"] and updated[1]["properties"]["n"] == "one"
    assert updated[2]["external_id"] == "NEW-1"


def test_upsert_cases_reports_rows_hq_refused(run, fresh_config):
    rows = [{"case_type": "t", "case_name": "ok-1", "owner_id": "o"},
            {"case_id": "no-such-case", "properties": {"x": "1"}},
            {"case_type": "t", "case_name": "bad", "owner_id": "o", "properties": {"n": 5}},
            {"case_type": "t", "case_name": "ok-2", "owner_id": "o"}]
    data = run(fresh_config, upsert_cases(rows, on_error="report"))["data"]
    assert [e["row"] for e in data["errors"]] == [1, 2]
    assert "Case 'no-such-case' not found" in data["errors"][0]["message"]
    assert "Values must be strings" in data["errors"][1]["message"]
    assert [c and c["case_name"] for c in data["cases"]] == ["ok-1", None, None, "ok-2"]


def test_upsert_cases_raises_by_default_naming_the_rows(run, fresh_config):
    rows = [{"case_type": "t", "case_name": "fine", "owner_id": "o"} for _ in range(100)]
    rows += [{"case_type": "t", "case_name": "x", "owner_id": "o", "colour": "red"}]
    with pytest.raises(UpsertError) as caught:
        run(fresh_config, upsert_cases(rows))
    details = caught.value.details
    assert details["errors"][0]["row"] == 100 and "'colour' is not a valid field." in details["errors"][0]["message"]
    assert details["saved"] == 100 and len(details["form_ids"]) == 1


def test_upsert_cases_checks_its_options():
    with pytest.raises(ValueError):
        upsert_cases([], on_error="ignore")
    with pytest.raises(ValueError):
        upsert_cases([], chunk_size=500)


def test_upsert_cases_chunk_size(run, fresh_config, cc_log):
    rows = [{"case_type": "small", "case_name": f"c{n}", "owner_id": "o"} for n in range(25)]
    data = run(fresh_config, upsert_cases(rows, chunk_size=10))["data"]
    assert len(data["form_ids"]) == 3 and all(data["cases"])
    assert len([r for r in cc_log.records if r.getMessage().startswith("POST ")]) == 3
