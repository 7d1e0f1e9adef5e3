"""Tests for the jobs and workflows of this project; run them with `pytest`.

The fixtures (run_job, run_workflow, http_api, commcare_hq, snapshot) come with pyfn:
`pytest --fixtures` documents them.
"""

import json
from pathlib import Path

REGISTRATION = json.loads(Path("state/registration.json").read_text())


def test_registration_maps_to_a_contact(run_job):
    result = run_job("jobs/register_patient.py", REGISTRATION)
    result.assert_data(LastName="Amina Okafor", Gender__c="Female",
                       CommCare_Case_ID__c="0b7f5c2e-93a1-4d8e-b6f4-1c2d3e4f5a6b")


def test_the_workflow_refuses_a_form_without_a_case(run_workflow):
    form = json.loads(json.dumps(REGISTRATION))
    form["data"]["form"]["case"]["@case_id"] = ""
    run_workflow("workflows/registrations.yaml", form).assert_failed("check", "no case id")
