"""The pyfn versions of the benchmark jobs (``bench/jobs/*.py``) run and end in the expected state.

Functional checks only, on small inputs: benchmarks are never timed tests. They keep the jobs the
benchmarks race (``python bench/run.py``) from rotting; each job's JavaScript twin must exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cases.each_fn import records
from bench.servers import item

JOBS = Path(__file__).resolve().parents[2] / "bench" / "jobs"


@pytest.mark.parametrize("name", ["trivial", "each_fn", "http_gets"])
def test_every_raced_job_has_its_compiled_openfn_twin(name):
    source = (JOBS / f"{name}.js").read_text()
    assert "export default [" in source and "from '@openfn/language-" in source


def test_trivial_job(run_job):
    result = run_job(JOBS / "trivial.py", {"data": {"name": "Ann"}, "configuration": {"secret": "s"}})
    result.assert_ok()
    assert result.state == {"data": {"greeting": "hello Ann", "ok": True}}


def test_each_fn_job_tallies_every_record_and_maps_the_busiest(run_job):
    rows = records(1000)
    result = run_job(JOBS / "each_fn.py", {"data": {"records": rows}})
    result.assert_ok()
    districts: dict = {}
    for row in rows:
        districts[row["district"]] = districts.get(row["district"], 0) + 1
    contacts = [{"externalId": r["id"], "name": r["name"].upper()} for r in rows if r["visits"] > 8]
    assert result.state == {"data": {"summary": {"count": 1000, "visits": sum(r["visits"] for r in rows),
                                                 "districts": districts}, "contacts": contacts},
                            "lastIndex": 999}


def test_http_gets_job_gets_each_id_in_turn(http_api, run_job):
    http_api.route("GET", "/items", lambda request: item(int(request.query["id"])))
    result = run_job(JOBS / "http_gets.py", {"data": {"ids": [1, 2, 3, 4, 5]},
                                              "configuration": {"baseUrl": http_api.url}}, adaptor="http")
    result.assert_ok()
    assert [r.query for r in http_api.requests] == [{"id": str(i)} for i in range(1, 6)]
    assert result.state["references"] == [1, 2, 3, 4, 5]
    assert result.state["data"] == item(5) and result.state["index"] == 4
    assert result.state["response"]["query"] == {"id": 5}


def test_commcare_pull_job_writes_one_row_per_case_and_keeps_only_counts(commcare_hq, run_job, tmp_path):
    rows_path = tmp_path / "rows.jsonl"
    result = run_job(JOBS / "commcare_pull.py", {"configuration": commcare_hq.configuration,
                                                 "export_path": str(rows_path)}, adaptor="commcare")
    result.assert_ok()
    rows = [json.loads(line) for line in rows_path.read_text().splitlines()]
    assert len(rows) == len(commcare_hq.store.cases) == result.state["data"]["count"] > 0
    assert {row[0] for row in rows} == set(commcare_hq.store.cases)
    assert all(row[1] and row[3] for row in rows)
