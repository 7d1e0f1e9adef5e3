"""``pyfn execute`` with collections: the run store's file by default or ``--db``, any adaptor, opened only if used."""

from __future__ import annotations

import json

from runtime.store.collections import StoreCollections

JOB = """
collections.get("crm-ids", state["data"]["case_id"])
fn(lambda state: {**state, "data": {"known": state["data"]}})
collections.set("crm-ids", "case-2", {"crm_id": 8})
collections.get("crm-ids", "case-*")
"""


def test_an_http_job_reads_and_writes_the_collections_of_the_default_run_store(pyfn, write, tmp_path):
    store = StoreCollections(tmp_path / "state" / "pyfn.db")
    store.create("crm-ids")
    store.set_many("crm-ids", [("case-1", '{"crm_id":7}')])
    store.close()
    job = write("jobs/sync.py", JOB)
    result = pyfn("execute", job, "-a", "http", "-S", '{"data": {"case_id": "case-1"}}', "-O", cwd=tmp_path)
    assert result.code == 0, result.output
    final = json.loads(result.stdout)
    assert final["data"] == [{"key": "case-1", "value": {"crm_id": 7}}, {"key": "case-2", "value": {"crm_id": 8}}]
    assert StoreCollections(tmp_path / "state" / "pyfn.db").get("crm-ids", "case-2") == '{"crm_id":8}'


def test_db_names_another_store_and_a_missing_collection_is_a_step_error(pyfn, write, tmp_path):
    job = write("jobs/sync.py", JOB)
    other = tmp_path / "elsewhere.db"
    result = pyfn("execute", job, "--db", other, "-S", '{"data": {"case_id": "case-1"}}', "-o",
                  tmp_path / "out.json", cwd=tmp_path)
    assert result.code == 0, result.output
    error = json.loads((tmp_path / "out.json").read_text())["errors"]["job-1"]
    assert error["message"] == "Collection 'crm-ids' not found"
    assert "pyfn collections create crm-ids" in result.output
    assert other.exists() and not (tmp_path / "state").exists()


def test_a_job_without_collections_opens_no_store(pyfn, write, tmp_path):
    job = write("jobs/plain.py", 'fn(lambda state: {**state, "data": 1})')
    assert pyfn("execute", job, "-O", cwd=tmp_path).code == 0
    assert not (tmp_path / "state").exists()


def test_a_secret_of_the_run_is_stored_masked(pyfn, write, tmp_path):
    store = StoreCollections(tmp_path / "state" / "pyfn.db")
    store.create("tokens")
    store.close()
    job = write("jobs/leak.py", 'collections.set("tokens", "k", {"sent": "Bearer " + state["configuration"]["api_token"]})\n')
    state = '{"configuration": {"api_token": "tok-5ecret-991"}, "data": {}}'
    assert pyfn("execute", job, "-S", state, "-O", cwd=tmp_path).code == 0
    assert StoreCollections(tmp_path / "state" / "pyfn.db").get("tokens", "k") == '{"sent":"Bearer ****"}'
