"""The history benchmark's parts: the store generator fills a store the run store reads correctly, every
list filter of the run history is answered from an index, and the ingest floor keeps what it accepts.

Functional checks only, on small stores: benchmarks are never timed tests.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench.history_load import p95
from bench.cases.webhook import parse
from bench.store_fill import WORKFLOWS, fill
from runtime.store import open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history") / "pyfn.db"
    assert fill(path, 2_000) == 2_000
    assert fill(path, 1_000) == 3_000  # grows in place, ids never collide
    return path


def _sqlite_schema(path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return sorted(f"{kind} {name}: {sql}" for kind, name, sql in db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%'"))
    finally:
        db.close()


def test_the_generated_history_reads_back(filled, tmp_path):
    open_store(tmp_path / "fresh.db").close()
    assert _sqlite_schema(filled) == _sqlite_schema(tmp_path / "fresh.db")  # every index and trigger made again
    store = open_store(filled)
    try:
        assert store.counts() == {"success": 2_700, "failed": 300}
        assert all(store.counts(name)["failed"] for name in WORKFLOWS)
        run = store.get_run(store.list_runs(limit=1, offset=1_500)[0].id)
        assert run.steps[0].step == "map" and run.input["data"]["id"] == run.run.work_order_id
    finally:
        store.close()


@pytest.mark.parametrize("workflow,state", [(None, None), ("ingest", None), (None, "failed"), ("visits", "failed")])
def test_pages_are_newest_first_and_complete(filled, workflow, state):
    store = open_store(filled)
    try:
        pages = [store.list_runs(workflow, state, 100, offset=offset) for offset in range(0, 3_000, 100)]
        seen = [run for page in pages for run in page]
    finally:
        store.close()
    db = sqlite3.connect(filled)
    expected = [row[0] for row in db.execute(
        "SELECT id FROM runs WHERE (? IS NULL OR workflow = ?) AND (? IS NULL OR state = ?) "
        "ORDER BY inserted_at DESC, attempt DESC", (workflow, workflow, state, state))]
    db.close()
    assert [run.id for run in seen] == expected and expected
    assert all(run.inserted_at >= after.inserted_at for run, after in zip(seen, seen[1:]))


@pytest.mark.parametrize("where", ["", "WHERE r.workflow = 'ingest'", "WHERE r.state = 'failed'",
                                   "WHERE r.workflow = 'ingest' AND r.state = 'failed'"])
def test_every_history_page_is_read_from_an_index(filled, where):
    db = sqlite3.connect(filled)
    plan = " | ".join(row[3] for row in db.execute(
        f"EXPLAIN QUERY PLAN SELECT r.id FROM runs r JOIN work_orders w ON w.id = r.work_order_id {where} "
        f"ORDER BY r.inserted_at DESC, r.attempt DESC LIMIT 50"))
    db.close()
    assert "TEMP B-TREE" not in plan and ("SCAN r USING INDEX" in plan or "SEARCH r USING INDEX" in plan), plan


def test_a_run_is_found_by_a_prefix_of_its_id(filled):
    store = open_store(filled)
    try:
        run_id = store.list_runs(limit=1, offset=77)[0].id
        assert store.get_run(run_id[:13]).run.id == run_id
        assert store.get_run(run_id.upper()) is None  # ids are matched as written, as on PostgreSQL
    finally:
        store.close()


def test_the_ingest_floor_keeps_every_delivery_it_accepts():
    output = subprocess.run([sys.executable, str(ROOT / "bench" / "ingest_floor.py"), "--count", "200"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout
    figures = parse(output)
    assert figures["lost"] == 0 and figures["rate"] > 0 and "200 deliveries accepted" in output


def test_p95_is_the_nearest_rank():
    assert p95([5.0, 1.0, 3.0]) == 5.0
    assert p95([float(n) for n in range(1, 21)]) == 19.0


def test_a_purge_of_thousands_deletes_them_all_in_batches_and_gives_the_space_back(tmp_path):
    path = tmp_path / "pyfn.db"
    fill(path, 4_000, ("ingest",))  # run i is i seconds old
    db = sqlite3.connect(path)
    (pages_before,), = db.execute("PRAGMA page_count").fetchall()
    (cutoff,), = db.execute("SELECT inserted_at FROM runs ORDER BY inserted_at DESC LIMIT 1 OFFSET 999").fetchall()
    store = open_store(path)
    try:
        purged = store.purge("ingest", history_before=cutoff)
        assert purged.deleted == 3_000  # six batches: every run that ended before the 1,000th newest began
    finally:
        store.close()
    (left,), = db.execute("SELECT COUNT(*) FROM runs").fetchall()
    (free,), = db.execute("PRAGMA freelist_count").fetchall()
    (pages_after,), = db.execute("PRAGMA page_count").fetchall()
    db.close()
    assert left == 4_000 - purged.deleted
    assert free == 0 and pages_after < pages_before * 0.5


def _indexes(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return sorted(row[0] for row in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename IN ('work_orders', 'runs', 'steps')"))


def test_the_postgresql_generator_fills_a_store_the_product_reads(pg_url, postgres_cluster):
    fresh = postgres_cluster.create_database()
    open_store(fresh).close()
    assert fill(pg_url, 2_000) == 2_000
    assert fill(pg_url, 1_000) == 3_000  # grows in place
    assert _indexes(pg_url) == _indexes(fresh)  # every index made again
    store = open_store(pg_url)
    try:
        assert store.counts() == {"success": 2_700, "failed": 300} and store.count_step_failed() == 300
        assert all(store.counts(name)["failed"] == 75 for name in WORKFLOWS)
        seen = [run for offset in range(0, 3_000, 500) for run in store.list_runs(limit=500, offset=offset)]
        assert len({run.id for run in seen}) == 3_000
        assert all(run.inserted_at >= after.inserted_at for run, after in zip(seen, seen[1:]))
        run = store.get_run(seen[1_234].id[:13])
        assert run.steps[0].step == "map" and run.input["data"]["id"] == run.run.work_order_id
        store.accept("ingest", "hook", {"data": {}})  # the counters' triggers are back on
        assert store.counts("ingest") == {"success": 675, "failed": 75, "available": 1}
    finally:
        store.close()
        postgres_cluster.drop_database(fresh)


def test_a_purge_reads_only_the_work_orders_made_before_its_cutoff(filled):
    from runtime.store.sql_writes import _ENDED_BEFORE
    from runtime.store.sqlite_ops import DIALECT

    sql = (_ENDED_BEFORE.replace("{extra}", "").replace("{any_kept}", DIALECT.any_of.replace(":ids", ":kept"))
           .replace("{skip_locked}", ""))
    db = sqlite3.connect(filled)
    plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", {
        "wf": "ingest", "before": "2000-01-01", "limit": 10, "kept": "[]"}))
    db.close()
    assert "SEARCH w USING INDEX work_orders_created (workflow=? AND created_at<?)" in plan, plan


@pytest.mark.parametrize("sql,index", [
    ("SELECT r.id FROM runs r WHERE r.state = 'available' AND r.available_at <= '9999' "
     "ORDER BY r.priority, r.available_at LIMIT 1", "runs_available (state=?)"),
    ("SELECT final_state FROM runs r WHERE r.workflow = 'ingest' AND r.state = 'success' "
     "ORDER BY r.finished_at DESC LIMIT 1", "runs_workflow_success (workflow=?)")])
def test_the_queue_and_the_latest_success_are_read_from_partial_indexes(filled, sql, index):
    # a delivery's new run enters the queue's index (as small as the backlog) and not the successes' one
    db = sqlite3.connect(filled)
    plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
    partial = {name: sql for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")}
    db.close()
    assert f"SEARCH r USING INDEX {index}" in plan and "TEMP B-TREE" not in plan, plan
    assert " WHERE state = " in partial[index.split()[0]]
