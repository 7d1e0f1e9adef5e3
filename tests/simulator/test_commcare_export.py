"""The real ``commcare-export`` (Dimagi's Data Export Tool) pulls everything from the simulator.

commcare-export pins ``jsonpath-ng~=1.6.0`` and ``openpyxl==3.1.5``, so it lives in a venv of its own:
``$PYFN_COMMCARE_EXPORT_VENV``, by default ``~/.cache/pyfn/commcare-export-1.16.0``, created on first use
(about 10 s) and kept, by ``bench.peers.commcare_export`` (the benchmarks race the same install). A failed
install fails the test: it is never skipped. Select these tests with ``-m commcare_export``.
"""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest

from bench.peers import commcare_export as install_commcare_export
from hq_simulator import CommCareSimulator, dates

pytestmark = [pytest.mark.commcare_export, pytest.mark.slow]


@pytest.fixture(scope="module")
def commcare_export():
    """The path of the ``commcare-export`` executable (installed on first use, shared with ``bench/``)."""
    return install_commcare_export()


@pytest.fixture
def query(tmp_path) -> Path:
    """An Excel query with a Forms and a Cases sheet, as commcare-export users write them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Forms"
    for row in [("Data Source", "Field", "Source Field"), ("form", "id", "id"), (None, "xmlns", "form.@xmlns"),
                (None, "received_on", "received_on"), (None, "worker", "form.meta.username")]:
        sheet.append(row)
    sheet = book.create_sheet("Cases")
    for row in [("Data Source", "Field", "Source Field"), ("case", "id", "id"),
                (None, "type", "properties.case_type"), (None, "name", "properties.case_name")]:
        sheet.append(row)
    path = tmp_path / "query.xlsx"
    book.save(path)
    return path


def _run(executable: Path, hq: CommCareSimulator, query: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [str(executable), "--commcare-hq", hq.url, "--project", "demo", "--username", "demo@example.com",
            "--auth-mode", "apikey", "--password", "demo-api-key", "--query", str(query), "--no-logfile", *extra]
    result = subprocess.run(args, capture_output=True, text=True, cwd=query.parent, timeout=300)
    assert result.returncode == 0 and "Error occurred" not in result.stdout, result.stdout + result.stderr
    return result


def _tables(path: Path) -> dict[str, list[dict]]:
    with zipfile.ZipFile(path) as archive:
        return {name.removesuffix(".csv"): list(csv.DictReader(io.TextIOWrapper(archive.open(name), "utf-8")))
                for name in archive.namelist()}


def test_commcare_export_gets_every_form_case_user_and_location(commcare_export, query, tmp_path):
    with CommCareSimulator(seed=1500) as hq:
        hq.set_faults(throttle_next=1)  # one 429 with Retry-After: 1, which the tool must honour
        _run(commcare_export, hq, query, "--output-format", "csv", "--output", str(tmp_path / "out.zip"),
             "--batch-size", "200", "--users", "--locations")
        tables = _tables(tmp_path / "out.zip")
        form_ids = [row["id"] for row in tables["Forms"]]
        case_ids = [row["id"] for row in tables["Cases"]]
        assert len(form_ids) == len(set(form_ids)) and set(form_ids) == set(hq.store.forms)
        assert len(case_ids) == len(set(case_ids)) and set(case_ids) == set(hq.store.cases)
        assert {row["username"] for row in tables["commcare_users"]} == {
            u["username"] for u in hq.directory.users.values()}
        villages = [row for row in tables["commcare_locations"] if row["location_type_code"] == "village"]
        assert len(villages) == 12 and all(row["district"] and row["region"] for row in villages)


def test_commcare_export_since_and_until_select_by_indexed_on(commcare_export, query, tmp_path):
    with CommCareSimulator(seed=800) as hq:
        since, until = "2024-03-01", "2024-08-31T23:59:59"
        _run(commcare_export, hq, query, "--output-format", "csv", "--output", str(tmp_path / "window.zip"),
             "--since", since, "--until", until)
        tables = _tables(tmp_path / "window.zip")
        low, high = dates.parse(since), dates.parse(until)
        expected_forms = {i for i, r in hq.store.forms.items() if low <= r["indexed"] <= high}
        expected_cases = {i for i, r in hq.store.cases.items() if low <= r["indexed"] <= high}
        assert expected_forms and expected_forms != set(hq.store.forms)
        assert sorted(row["id"] for row in tables["Forms"]) == sorted(expected_forms)
        assert sorted(row["id"] for row in tables["Cases"]) == sorted(expected_cases)


REGISTRATION = "http://openrosa.org/formdesigner/pyfn-demo/register-household"
VISIT = "http://openrosa.org/formdesigner/pyfn-demo/patient-visit"


def _repeat_query(path: Path) -> Path:
    """Two repeat tables (one row per entry, one entry or several) and the SMS sent, as users write them."""
    book = openpyxl.Workbook()
    sheets = {"Members": ("form[*].form.members[*]", REGISTRATION, [("name", "name"), ("sex", "sex"),
                                                                   ("case_id", "case.@case_id"), ("form_id", "$.id")]),
              "Medications": ("form[*].form.medications[*]", VISIT, [("medication", "medication"), ("dose", "dose"),
                                                                     ("form_id", "$.id")])}
    for number, (title, (source, xmlns, fields)) in enumerate(sheets.items()):
        sheet = book.active if number == 0 else book.create_sheet()
        sheet.title = title
        sheet.append(("Data Source", "Filter Name", "Filter Value", "Field", "Source Field"))
        for row, (field, source_field) in enumerate(fields):
            sheet.append((source, "xmlns.exact", xmlns, field, source_field) if row == 0 else
                         (None, None, None, field, source_field))
    sheet = book.create_sheet("Messages")
    for row in [("Data Source", "Field", "Source Field"), ("messaging-event", "id", "id"), (None, "date", "date"),
                (None, "case_id", "case_id"), (None, "phone", "messages[0].phone_number")]:
        sheet.append(row)
    book.save(path)
    return path


def _api_list(hq: CommCareSimulator, resource: str, **params) -> list[dict]:
    import requests
    found, params = [], {"limit": 100, **params}
    url = f"{hq.url}/a/demo/api/v0.5/{resource}/"
    while url:
        page = requests.get(url, params=params, headers=hq.auth_header, timeout=30).json()
        found += page["objects"]
        url, params = (hq.url + page["meta"]["next"], None) if page["meta"]["next"] else (None, None)
    return found


def _messaging_events(hq: CommCareSimulator) -> list[dict]:
    import requests
    found, url = [], f"{hq.url}/a/demo/api/v0.5/messaging-event/?limit=100"
    while url:
        page = requests.get(url, headers=hq.auth_header, timeout=30).json()
        found += page["objects"]
        url = page["meta"]["next"] if page["objects"] else None
    return found


def _entries(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def test_commcare_export_repeats_messages_users_groups_and_locations_match_the_api_row_by_row(commcare_export, tmp_path):
    with CommCareSimulator(seed=400) as hq:
        _run(commcare_export, hq, _repeat_query(tmp_path / "repeats.xlsx"), "--output-format", "csv",
             "--output", str(tmp_path / "out.zip"), "--users", "--locations")
        tables = _tables(tmp_path / "out.zip")
        registrations, visits = _api_list(hq, "form", xmlns=REGISTRATION), _api_list(hq, "form", xmlns=VISIT)
        shapes = {type(f["form"].get("members")) for f in registrations} | {type(f["form"]["medications"]) for f in visits}
        assert {dict, list} <= shapes  # one-entry repeats arrive as objects, as on HQ (no entry: no key)
        members = sorted((m["name"], m["sex"], m["case"]["@case_id"], f["id"])
                         for f in registrations for m in _entries(f["form"].get("members")))
        assert sorted(tuple(row.values()) for row in tables["Members"]) == members
        medications = sorted((m["medication"], m["dose"], f["id"])
                             for f in visits for m in _entries(f["form"]["medications"]))
        assert sorted(tuple(row.values()) for row in tables["Medications"]) == medications

        events = _messaging_events(hq)
        assert len(events) == len(hq.messaging.events) > 0
        assert sorted(tuple(row.values()) for row in tables["Messages"]) == sorted(
            (str(e["id"]), e["date"], e["case_id"], e["messages"][0]["phone_number"]) for e in events)

        users = {u["id"]: u for u in _api_list(hq, "user")}
        groups = {g["id"]: g for g in _api_list(hq, "group")}
        assert len(tables["commcare_users"]) == len(users) and groups
        for row in tables["commcare_users"]:
            user = users[row["id"]]
            assert (row["username"], row["first_name"], row["last_name"], row["resource_uri"]) == (
                user["username"], user["first_name"], user["last_name"], user["resource_uri"])
            assert row["commcare_location_id"] == user["user_data"]["commcare_location_id"]
            assert [row["groups"]] == user["groups"] and row["id"] in groups[row["groups"]]["users"]

        locations = {loc["location_id"]: loc for loc in _api_list(hq, "location")}
        assert len(tables["commcare_locations"]) == len(locations)
        for row in tables["commcare_locations"]:
            location = locations[row["location_id"]]
            assert (row["name"], row["site_code"], row["location_type"], row["parent"] or None) == (
                location["name"], location["site_code"], location["location_type"], location["parent"])
            assert row[row["location_type_code"]] == location["location_id"]
            ancestor = location
            while ancestor["parent"]:  # every ancestor level names the ancestor's id
                ancestor = locations[ancestor["parent"].rstrip("/").rsplit("/", 1)[-1]]
                assert row[ancestor["location_type"].rstrip("/").rsplit("/", 1)[-1]] == ancestor["location_id"]


def _ucr_query(path: Path, data_source_id: str) -> Path:
    """A UCR sheet as commcare-export users write it: data source ``ucr``, filter ``data_source_id``."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Patients"
    sheet.append(("Data Source", "Filter Name", "Filter Value", "Field", "Source Field"))
    for row, field in enumerate(["id", "inserted_at", "name", "dob", "village", "closed"]):
        sheet.append(("ucr", "data_source_id", data_source_id, field, field) if row == 0 else
                     (None, None, None, field, field))
    book.save(path)
    return path


def test_commcare_export_pulls_a_ucr_data_source_row_by_row(commcare_export, tmp_path):
    import requests

    from hq_simulator.seed import PATIENTS_DATA_SOURCE
    source = PATIENTS_DATA_SOURCE["_id"]
    with CommCareSimulator(seed=500) as hq:
        _run(commcare_export, hq, _ucr_query(tmp_path / "ucr.xlsx", source), "--output-format", "csv",
             "--output", str(tmp_path / "ucr.zip"), "--batch-size", "60")
        rows, params = [], {"data_source_id": source, "limit": 1000}
        while True:  # the API paged to its empty last page, data_source_id added back as commcare-export does
            page = requests.get(f"{hq.url}/a/demo/api/v0.5/ucr/", params=params, headers=hq.auth_header,
                                timeout=30).json()
            rows += page["objects"]
            if not page["objects"]:
                break
            params = {**parse_qs(urlparse(page["meta"]["next"]).query), "data_source_id": source}
        exported = _tables(tmp_path / "ucr.zip")["Patients"]
        patients = [c for c in hq.store.cases.values() if c["case_type"] == "patient"]
        assert len(rows) == len(patients) > 120  # more than two batches of 60
        assert sorted(tuple(row.values()) for row in exported) == sorted(
            (r["id"], r["inserted_at"], r["name"], r["dob"], r["village"], str(r["closed"])) for r in rows)
