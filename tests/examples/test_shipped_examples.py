"""The seed's three integrations, shipped in jobs/ and workflows/, tested with pyfn's own kit."""

import json
import uuid
from pathlib import Path

import pytest

from runtime.testing.recording import Response
from runtime.testing.standins import SOBJECTS

ROOT = Path(__file__).resolve().parents[2]
REGISTRATION = "http://openrosa.org/formdesigner/pyfn-demo/register-household"


def forwarded_registration(hq, members: type = list) -> dict:
    """A registration form as data forwarding posts it (the form API's JSON), whose ``members`` repeat is a
    ``list`` (several entries) or a ``dict`` (one entry, as HQ sends it)."""
    several = next(f for f in hq.forms(xmlns=REGISTRATION) if isinstance(f["form"].get("members"), list))
    if members is list:
        return {"data": several}
    form = dict(several["form"], members=several["form"]["members"][:1])
    form = {key: value for key, value in form.items() if key[0] != "#" or key == "#type"}
    form_id = hq.add_form(dict(form, meta=dict(form["meta"], instanceID=str(uuid.uuid4())))).form_id
    return {"data": next(f for f in hq.forms(xmlns=REGISTRATION) if f["id"] == form_id)}


def members_of(form) -> list:
    members = form["data"]["form"]["members"]
    return members if isinstance(members, list) else [members]


@pytest.mark.parametrize("shape", [dict, list], ids=["one member", "several members"])
def test_registrations_create_each_member_and_keep_its_crm_id_in_a_collection(world, run_workflow, collections,
                                                                              shape):
    hq, crm, _ = world
    form = forwarded_registration(hq, shape)
    result = run_workflow(ROOT / "workflows/commcare-registrations.yaml", form)
    result.assert_ok()
    members = members_of(form)
    assert result.data["upserted"] == len(members) == len(crm.records)
    assert [r.method for r in crm.requests] == ["POST"] * len(members)
    for member in members:
        record = crm.records[("Patient__c", member["case"]["@case_id"])]
        assert record["CommCare_Form_ID__c"] == form["data"]["id"]
        assert record["Sex__c"] == {"female": "Female", "male": "Male"}[member["sex"]]
        assert record["Phone__c"] == member["phone"] and record["Birthdate__c"] == member["dob"]
        collections.assert_item("crm-ids", member["case"]["@case_id"], record["Id"])


def test_a_redelivered_form_updates_the_same_records_by_their_crm_ids(world, run_workflow, collections):
    hq, crm, _ = world
    form = forwarded_registration(hq)
    first = run_workflow(ROOT / "workflows/commcare-registrations.yaml", form)
    first.assert_ok()
    mapping = collections.items("crm-ids")
    form["data"]["form"]["village"] = "Kibera"
    again = run_workflow(ROOT / "workflows/commcare-registrations.yaml", form)
    again.assert_ok()
    assert again.data["crm_ids"] == first.data["crm_ids"] and collections.items("crm-ids") == mapping
    updates = [r for r in crm.requests if r.method == "PATCH"]
    assert sorted(r.path.rsplit("/", 1)[1] for r in updates) == sorted(mapping.values())
    assert len(crm.records) == len(members_of(form))
    assert all(record["Village__c"] == "Kibera" for record in crm.records.values())


def test_crm_failure_takes_the_alert_path(world, run_workflow):
    hq, crm, _ = world
    crm.route("POST", SOBJECTS + "*", Response(503, [{"errorCode": "SERVER_UNAVAILABLE"}]))
    result = run_workflow(ROOT / "workflows/commcare-registrations.yaml", forwarded_registration(hq))
    result.assert_failed("upsert-patients", "returned 503")
    assert crm.alerts[0]["subject"] == "A CommCare registration did not reach the CRM"
    assert "upsert-patients: POST to" in crm.alerts[0]["reasons"][0]


def test_reminders_resume_from_the_cursor(world, run_workflow):
    hq, _, sms = world
    first = run_workflow(ROOT / "workflows/daily-reminders.yaml")
    first.assert_ok()
    assert len(sms.sent) == len(first.data["sent"]) > 0
    assert all(m["to"].startswith("+254") for m in sms.sent)
    again = run_workflow(ROOT / "workflows/daily-reminders.yaml", first.state)
    again.assert_ok()
    assert len(sms.sent) == len(first.data["sent"]), "an unchanged case was reminded twice"
    case_id = hq.add_case("patient", "Neema Wanjiru", {"status": "active", "phone": "+254711000222"})
    third = run_workflow(ROOT / "workflows/daily-reminders.yaml", again.state)
    assert [m["case_id"] for m in third.data["sent"]] == [case_id]
    assert sms.sent[-1]["body"] == "Hello Neema, please come to the clinic for your first check-up."


def test_reminders_record_refused_numbers(world, run_workflow):
    hq, _, sms = world
    hq.add_case("patient", "Juma Baraka", {"status": "active", "phone": "0711000333"})
    result = run_workflow(ROOT / "workflows/daily-reminders.yaml")
    result.assert_ok()
    refused = result.data["refused"]
    assert [r["to"] for r in refused] == ["0711000333"] and "international" in refused[0]["detail"]


def test_bulk_import_creates_cases_and_reports_row_errors(world, run_workflow):
    hq, _, _ = world
    state = {"data": {"file": str(ROOT / "state/people.csv")}}
    result = run_workflow(ROOT / "workflows/bulk-import.yaml", state)
    result.assert_ok()
    assert result.data["created"] == 4 and result.data["updated"] == 0
    problems = sorted(r["problem"] for r in result.data["rejected_before_import"])
    assert problems == ["no name", "unknown sex 'unknown'"]
    imported = {c["external_id"]: c for c in hq.cases(case_type="patient")
                if (c.get("external_id") or "").startswith("P-")}
    assert sorted(imported) == ["P-1001", "P-1002", "P-1003", "P-1006"]
    assert imported["P-1003"]["properties"]["sex"] == "female"
    again = run_workflow(ROOT / "workflows/bulk-import.yaml", state)
    assert again.data["created"] == 0 and again.data["updated"] == 4


@pytest.mark.parametrize("example", ["registrations", "reminders", "bulk-import"])
def test_the_demo_runs_each_example_from_one_command(pyfn, example, tmp_path, one_at_a_time):
    # from a checkout the demo writes into it (state/example-runs, its store made afresh): one test process at a time
    with one_at_a_time("checkout-demo"):
        result = pyfn("demo", example, cwd=tmp_path, timeout=120)  # from any folder, not only the checkout
    assert result.code == 0, result.output
    assert "Finished in" in result.stdout and "Done:" in result.stdout
    assert "Errors reported" not in result.stdout, result.stdout
