"""A commcare job run the way a user runs it: ``python -m runtime.cli execute job.py -a commcare -s state.json``."""

from __future__ import annotations

import json

JOB = """
fetch_cases(case_type="patient", limit=50,
            each_page=lambda state: {**state, "pages_seen": state.get("pages_seen", 0) + 1})
submit_form("http://openrosa.org/formdesigner/pyfn-cli", {"note": state["note"]},
            case={"case_type": "cli", "case_name": state["note"], "properties": {"origin": "cli"}})
list_cases({"case_type": "cli"})
fn(lambda state: {**state, "data": {"names": [c["case_name"] for c in state["data"]]}})
"""


def test_a_commcare_job_runs_from_the_cli(pyfn, write, fresh_hq, fresh_config):
    job = write("jobs/pull.py", JOB)
    state = write("state.json", {"configuration": fresh_config, "note": "hello from pyfn"})
    result = pyfn("execute", job, "-a", "commcare", "-s", state)
    assert result.code == 0, result.output
    output = json.loads((job.parent / "output.json").read_text())
    assert output["data"] == {"names": ["hello from pyfn"]}
    assert output["pages_seen"] >= 1 and output["cursor"].endswith("Z")
    assert "configuration" not in output
    assert "demo-api-key" not in result.output and "cases: page 1" in result.output


def test_a_missing_credential_is_named_before_the_step_runs(pyfn, write, fresh_hq, fresh_config):
    job = write("jobs/pull.py", 'get("case")\n')
    config = {k: v for k, v in fresh_config.items() if k != "apiKey"}
    state = write("state.json", {"configuration": config})
    result = pyfn("execute", job, "-a", "commcare", "-s", state)
    assert result.code != 0 or "errors" in json.loads((job.parent / "output.json").read_text())
    assert "apiKey" in result.output
