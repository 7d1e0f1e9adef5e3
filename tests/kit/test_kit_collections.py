"""The test kit's ``collections`` fixture: a throwaway store, preloaded from a dict or a file, with assertions."""

from __future__ import annotations

import json

import pytest

UPSERT_JOB = """
collections.get("crm-ids", state["data"]["case_id"])
fn(lambda state: {**state, "crm_id": state["data"] or None})
collections.set("crm-ids", lambda state_: state_["case_id"], lambda state: [{"case_id": "case-2", "crm_id": 8}])
"""


def test_jobs_run_by_run_job_use_the_preloaded_collections(collections, run_job, tmp_path):
    collections.load("crm-ids", {"case-1": {"crm_id": 7}})
    job = tmp_path / "upsert.py"
    job.write_text(UPSERT_JOB)
    result = run_job(job, {"data": {"case_id": "case-1"}}, adaptor="http")
    result.assert_ok()
    assert result.state["crm_id"] == {"crm_id": 7}
    collections.assert_item("crm-ids", "case-2", {"case_id": "case-2", "crm_id": 8})
    collections.assert_items("crm-ids", {"case-1": {"crm_id": 7}, "case-2": {"case_id": "case-2", "crm_id": 8}})
    collections.assert_missing("crm-ids", "case-3")


def test_load_reads_json_lines_and_json_object_files(collections, tmp_path):
    lines = tmp_path / "facilities.jsonl"
    lines.write_text('{"key": "f-1", "value": {"beds": 3}}\n\n{"key": "f-2", "value": "Clinic B"}\n')
    obj = tmp_path / "more.json"
    obj.write_text(json.dumps({"f-3": [1, 2]}))
    collections.load("facilities", lines)
    collections.load("facilities", obj)
    assert collections.items("facilities") == {"f-1": {"beds": 3}, "f-2": "Clinic B", "f-3": [1, 2]}
    assert collections.items("facilities", "f-1*") == {"f-1": {"beds": 3}}
    assert collections.get("facilities", "f-3") == [1, 2]


def test_assertions_say_what_differs(collections):
    collections.load("crm-ids", {"case-1": 1, "case-2": 2})
    with pytest.raises(AssertionError, match=r"crm-ids\['case-1'\] is 1, expected 5"):
        collections.assert_item("crm-ids", "case-1", 5)
    with pytest.raises(AssertionError, match="'case-9' is not in collection crm-ids; its first keys: \\['case-1'"):
        collections.assert_item("crm-ids", "case-9")
    with pytest.raises(AssertionError, match=r"extra keys \['case-2'\], missing keys \['case-3'\], different "
                                             r"values at \['case-1'\]"):
        collections.assert_items("crm-ids", {"case-1": 9, "case-3": 3})
    with pytest.raises(AssertionError, match="should be missing; it is 2"):
        collections.assert_missing("crm-ids", "case-2")
