"""Bulk case import, written to HQ's behaviour: the upload's checks and messages (corehq/apps/case_importer/views.py
``bulk_case_upload_api``), the pollable status URL and the rows as ``do_import`` treats them."""

from __future__ import annotations

import io
import time
from urllib.parse import urlparse

import openpyxl
import pytest
import requests

UPLOAD = "/a/demo/importer/excel/bulk_upload_api/"


def workbook(rows: list[tuple]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def poll(api, status_url: str) -> dict:
    for _ in range(200):
        status = api.get(urlparse(status_url).path).json()
        if status["state"] >= 2:
            return status
        time.sleep(0.02)
    raise AssertionError("import did not finish")


def test_import_creates_and_updates_cases_by_external_id(fresh_api, fresh_hq):
    existing = next(r for r in fresh_hq.store.cases.values() if r["external_id"])
    rows = [("external_id", "name", "village", "weight"), (existing["external_id"], "Renamed", "Watamu", 61),
            ("NEW-1", "Nomvula", "Diani", 3.5), ("NEW-2", None, "Diani", 4)]
    response = fresh_api.post(UPLOAD, files={"file": ("cases.xlsx", workbook(rows))}, data={
        "case_type": "household", "search_field": "external_id", "create_new_cases": "on"})
    assert response.json()["code"] == 200 and response.json()["message"] == "success"
    status = poll(fresh_api, response.json()["status_url"])
    result = status["result"]
    assert status["state"] == 2 and status["progress"]["percent"] == 100
    assert (result["match_count"], result["created_count"], result["num_chunks"]) == (1, 2, 1)
    assert result["errors"] == [] and result["failed_count"] == 0
    updated = fresh_api.get(f"/a/demo/api/case/v2/{existing['case_id']}/").json()
    assert updated["case_name"] == "Renamed" and updated["properties"]["village"] == "Watamu"
    assert updated["properties"]["weight"] == "61"
    created = fresh_api.get("/a/demo/api/case/v2/ext/NEW-1/").json()
    assert created["case_type"] == "household" and created["properties"]["weight"] == "3.5"
    assert fresh_api.get("/a/demo/api/case/v2/ext/NEW-2/").json()["case_name"] == ""  # no name: an empty one


def test_rows_that_match_no_case_of_the_type_are_skipped_without_create_new_cases(fresh_api, fresh_hq):
    household = next(c for c in fresh_hq.store.cases.values() if c["case_type"] == "household")
    rows = [("case_id", "status"), ("no-such-case", "x"), (household["case_id"], "y")]
    response = fresh_api.post(UPLOAD, files={"file": ("c.xlsx", workbook(rows))}, data={"case_type": "patient"})
    result = poll(fresh_api, response.json()["status_url"])["result"]
    assert (result["created_count"], result["match_count"], result["failed_count"], result["errors"]) == (0, 0, 0, [])
    assert "status" not in fresh_hq.store.cases[household["case_id"]]["properties"], "another type: not matched"


def test_a_new_case_by_case_id_gets_an_id_of_its_own(fresh_api, fresh_hq):
    rows = [("case_id", "name"), ("my-own-id", "Akinyi")]
    response = fresh_api.post(UPLOAD, files={"file": ("c.xlsx", workbook(rows))},
                              data={"case_type": "patient", "create_new_cases": "on"})
    assert poll(fresh_api, response.json()["status_url"])["result"]["created_count"] == 1
    assert "my-own-id" not in fresh_hq.store.cases
    assert [c["case_name"] for c in fresh_hq.store.cases.values() if c["case_name"] == "Akinyi"] == ["Akinyi"]


def test_row_errors_carry_hqs_titles_and_descriptions(fresh_api, fresh_hq):
    patient = next(c for c in fresh_hq.store.cases.values() if c["case_type"] == "patient")
    household = next(c for c in fresh_hq.store.cases.values() if c["case_type"] == "household")
    with fresh_hq.store.lock:
        twin = dict(fresh_hq.store.cases[household["case_id"]], case_id="twin-of-household")
        fresh_hq.store.put_case(twin)
    rows = [("external_id", "name", "parent_id", "parent_type"), (None, "No id", None, None),
            (household["external_id"], "Twice", None, None), ("HH-NEW", "Orphan", "no-such-case", None),
            ("HH-NEW-2", "Wrong type", patient["case_id"], None),
            ("HH-NEW-3", "Child", patient["case_id"], "patient")]
    response = fresh_api.post(UPLOAD, files={"file": ("c.xlsx", workbook(rows))}, data={
        "case_type": "household", "search_field": "external_id", "create_new_cases": "on"})
    result = poll(fresh_api, response.json()["status_url"])["result"]
    assert result["errors"] == [
        {"title": "Blank External ID", "description": "Blank external ids were found in these rows causing as "
                                                      "error when importing cases.", "column": None, "rows": [2]},
        {"title": "Too Many Matches", "description": "These rows matched more than one case at the same time - "
         "this means that there are cases in your system with the same external ID.", "column": None, "rows": [3]},
        {"title": "Invalid Parent ID", "description": "An invalid or unknown parent case was specified for the "
                                                      "uploaded case.", "column": "parent_id", "rows": [4, 5]}]
    assert (result["created_count"], result["failed_count"]) == (1, 4)
    child = fresh_api.get("/a/demo/api/case/v2/ext/HH-NEW-3/").json()
    assert child["indices"]["parent"]["case_id"] == patient["case_id"]


GOOD = workbook([("case_id", "name"), ("", "Akinyi")])
REFUSALS = [
    ({}, {"case_type": "patient"}, "Error: Invalid POST request. Both 'file' and 'case_type' are required"),
    ({"file": ("c.xlsx", GOOD)}, {}, "Error: Invalid POST request. Both 'file' and 'case_type' are required"),
    ({"file": ("c.xlsx", GOOD)}, {"case_type": "patient", "search_field": "name"},
     "Error: Illegal value for search_field: name"),
    ({"file": ("cases.txt", GOOD)}, {"case_type": "patient"},
     "Please upload file with one of the following extensions: csv, xls, xlsx"),
    ({"file": ("cases", GOOD)}, {"case_type": "patient"},
     "Please upload file with one of the following extensions: csv, xls, xlsx"),
    ({"file": ("c.xlsx", b"nope")}, {"case_type": "patient"},
     "The file uploaded has the following error: File is not a zip file"),
    ({"file": ("c.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))}, {"case_type": "patient"},
     "The file you want to import is password protected. Please choose a file that is not password protected."),
    ({"file": ("c.csv", b"\n")}, {"case_type": "patient"}, "The file uploaded has the following error: File is empty"),
    ({"file": ("c.xlsx", workbook([("case_id", "first name", "2nd"), ("x", "y", "z")]))}, {"case_type": "patient"},
     'Column names correspond to <a target="_blank" href="https://confluence.dimagi.com/display/commcarepublic/'
     'Case+Configuration">case property names</a>. They must start with a letter, and can only contain letters, '
     "numbers and underscores. Please update the following: 2nd, first name."),
]


@pytest.mark.parametrize("files, data, message", REFUSALS)
def test_a_refused_upload_answers_500_with_hqs_message(fresh_api, files, data, message):
    answer = fresh_api.post(UPLOAD, files=files or {"x": ("x", b"")}, data=data)
    assert (answer.status_code, answer.json()) == (500, {"code": 500, "message": message})


def test_an_empty_sheet_and_a_project_without_cases_are_refused_with_hqs_messages(fresh_api):
    empty = fresh_api.post(UPLOAD, files={"file": ("c.xls", legacy_workbook([]))}, data={"case_type": "patient"})
    assert empty.json() == {"code": 500, "message": "Error: Your spreadsheet is empty. Please try again with a "
                                                    "different spreadsheet."}
    from hq_simulator import CommCareSimulator

    with CommCareSimulator() as bare:  # no app, no case
        bare.directory.apps.clear()
        answer = requests.post(bare.url + UPLOAD, files={"file": ("c.xlsx", GOOD)}, data={"case_type": "patient"},
                               headers=bare.auth_header, timeout=10)
    assert answer.status_code == 500 and answer.json()["message"] == (
        "Error: Your project does not use cases yet. To import cases from Excel, you must first create an "
        "application with a case list.")


def test_a_csv_upload_is_imported(fresh_api, fresh_hq):
    data = "external_id,name,village\nCSV-1,Zoë,Yala\n".encode("utf-8")
    response = fresh_api.post(UPLOAD, files={"file": ("cases.csv", data)}, data={
        "case_type": "patient", "search_field": "external_id", "create_new_cases": "on"})
    assert response.json()["code"] == 200, response.text
    assert poll(fresh_api, response.json()["status_url"])["result"]["created_count"] == 1
    created = fresh_api.get("/a/demo/api/case/v2/ext/CSV-1/").json()
    assert (created["case_name"], created["properties"]["village"]) == ("Zoë", "Yala")


def legacy_workbook(rows: list[tuple]) -> bytes:
    """A legacy Excel 97-2003 .xls file, as OpenFn's submitXls sends."""
    import datetime

    import xlwt
    book = xlwt.Workbook()
    sheet = book.add_sheet("cases")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, dated)
            elif value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_legacy_xls_upload_is_imported_like_an_xlsx(fresh_api):
    import datetime
    rows = [("external_id", "name", "village", "weight", "visit"), ("XLS-1", "Akinyi", "Kondele", 3.5, None),
            ("XLS-2", "Baraka", "Yala", 61, datetime.date(2024, 5, 2))]
    data = legacy_workbook(rows)
    assert data[:4] == b"\xd0\xcf\x11\xe0"  # a compound document, not a zip
    response = fresh_api.post(UPLOAD, files={"file": ("cases.xls", data, "application/vnd.ms-excel")}, data={
        "case_type": "patient", "search_field": "external_id", "create_new_cases": "on"})
    assert response.status_code == 200 and response.json()["code"] == 200
    status = poll(fresh_api, response.json()["status_url"])
    assert status["state"] == 2 and status["result"]["created_count"] == 2 and status["result"]["errors"] == []
    first, second = (fresh_api.get(f"/a/demo/api/case/v2/ext/XLS-{n}/").json() for n in (1, 2))
    assert first["case_name"] == "Akinyi" and first["properties"]["weight"] == "3.5"
    assert first["properties"].get("visit", "") == ""
    assert second["properties"]["weight"] == "61" and second["properties"]["visit"].startswith("2024-05-02")
