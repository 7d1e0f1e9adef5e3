"""Bulk case import: the xlsx upload, the pollable status URL and per-row errors."""

from __future__ import annotations

import io
import time
from urllib.parse import urlparse

import openpyxl

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
    assert (result["match_count"], result["created_count"], result["num_chunks"]) == (1, 1, 1)
    assert result["errors"] == [{"title": "Missing case name", "description": "New cases need a name.",
                                 "column": "name", "rows": [4]}]
    updated = fresh_api.get(f"/a/demo/api/case/v2/{existing['case_id']}/").json()
    assert updated["case_name"] == "Renamed" and updated["properties"]["village"] == "Watamu"
    assert updated["properties"]["weight"] == "61"
    created = fresh_api.get("/a/demo/api/case/v2/ext/NEW-1/").json()
    assert created["case_type"] == "household" and created["properties"]["weight"] == "3.5"


def test_rows_that_match_nothing_are_errors_without_create_new_cases(fresh_api):
    rows = [("case_id", "status"), ("no-such-case", "x"), ("another", "y")]
    response = fresh_api.post(UPLOAD, files={"file": ("c.xlsx", workbook(rows))}, data={"case_type": "patient"})
    result = poll(fresh_api, response.json()["status_url"])["result"]
    assert result["errors"][0]["title"] == "Case not found" and result["errors"][0]["rows"] == [2, 3]
    assert result["created_count"] == 0


def test_upload_errors(fresh_api):
    no_type = fresh_api.post(UPLOAD, files={"file": ("c.xlsx", workbook([("case_id",)]))})
    assert no_type.status_code == 500 and no_type.json() == {"code": 500, "message": "Missing case_type"}
    not_xlsx = fresh_api.post(UPLOAD, files={"file": ("c.xlsx", b"nope")}, data={"case_type": "t"})
    assert not_xlsx.json()["code"] == 500 and "Could not read" in not_xlsx.json()["message"]


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
