"""Bulk uploads: real xlsx workbooks, HQ's import polled to the end, counts and row errors in data."""

from __future__ import annotations

import io

import openpyxl
import pytest

from adaptors.commcare import CommCareError, bulk, get, list_cases, submit_xls
from adaptors.commcare.workbook import workbook_bytes


def test_workbook_is_real_xlsx_with_a_header_of_every_key():
    data = workbook_bytes({"SheetJS": [{"name": "Zoë", "age": 3, "tags": ["a"]}, {"name": "B", "village": "Yala\x07"}]})
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "SheetJS"
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["name", "age", "tags", "village"], ["Zoë", 3, '["a"]', None], ["B", None, None, "Yala"]]


def test_submit_xls_creates_cases_and_reports_the_import(run, quick_config, waits):
    rows = [{"name": f"Imported {n}", "village": "Yala", "external_id": f"IMP-{n}"} for n in range(250)]
    rows.append({"name": "Orphan", "village": "nowhere", "parent_id": "no-such-case"})
    state = run(quick_config, submit_xls(rows, {"case_type": "imported", "search_field": "case_id",
                                                "create_new_cases": "on", "ignored": "not sent"}))
    data = state["data"]
    assert data["code"] == 200 and data["state"] == 2 and data["created"] == 250 and data["updated"] == 0
    assert data["errors"][0]["title"] == "Invalid Parent ID" and data["errors"][0]["rows"] == [252]
    assert data["result"]["num_chunks"] == 3 and data["status_url"].endswith("/")
    cases = run(quick_config, list_cases({"case_type": "imported"}))["data"]
    assert len(cases) == 250 and {c["properties"]["village"] for c in cases} == {"Yala"}


def test_bulk_case_data_round_trip_creates_then_updates(run, quick_config, waits):
    params = {"case_type": "patient_import", "search_field": "external_id", "search_column": "external_id",
              "create_new_cases": "on", "name_column": "name"}
    rows = [{"external_id": f"P-{n}", "name": f"Patient {n}", "status": "new"} for n in range(30)]
    first = run(quick_config, bulk("case-data", rows, params))["data"]
    assert (first["created"], first["updated"], first["errors"]) == (30, 0, [])
    changed = [{**row, "status": "seen"} for row in rows]
    second = run(quick_config, bulk("CASE-DATA", lambda s: changed, lambda s: params))["data"]
    assert (second["created"], second["updated"]) == (0, 30) and second["message"] == "success"
    cases = run(quick_config, list_cases({"case_type": "patient_import"}))["data"]
    assert len(cases) == 30 and {c["properties"]["status"] for c in cases} == {"seen"}


def test_bulk_without_waiting_returns_hqs_first_answer(run, fresh_config):
    data = run(fresh_config, bulk("case-data", [{"name": "x"}], {"case_type": "t", "create_new_cases": "on"},
                                  wait=False))["data"]
    assert data["code"] == 200 and "status_url" in data and "created" not in data


def test_bulk_lookup_table_uploads_every_sheet(run, fresh_config):
    sheets = {"types": [{"Delete(Y/N)": "N", "table_id": "district", "is_global?": "yes",
                         "field 1": "name", "field 2": "region"}],
              "district": [{"UID": None, "Delete(Y/N)": "N", "field: name": "Kisumu", "field: region": "Nyanza"},
                           {"UID": None, "Delete(Y/N)": "N", "field: name": "Kilifi", "field: region": "Coast"}]}
    state = run(fresh_config, bulk("lookup-table", sheets, {"replace": True}))
    assert state["data"]["code"] == 200 and "2 item(s)" in state["data"]["message"]
    items = run(fresh_config, get("fixture", {"fixture_type": "district"}))["data"]
    assert sorted(i["fields"]["name"] for i in items) == ["Kilifi", "Kisumu"]


def test_a_refused_upload_carries_hqs_message(run, fresh_config):
    with pytest.raises(CommCareError, match="Workbook is missing a 'types' sheet"):
        run(fresh_config, bulk("lookup-table", {"district": [{"field: name": "x"}]}, {}))
    with pytest.raises(CommCareError, match="Both 'file' and 'case_type' are required"):
        run(fresh_config, submit_xls([{"name": "x"}], {}))


def test_unknown_bulk_type_is_openfns_error():
    with pytest.raises(ValueError, match="Unrecognized type") as caught:
        bulk("users", [], {})
    assert caught.value.fix == "Set type to case-data or lookup-table"
