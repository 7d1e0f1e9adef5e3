"""Collections on a shared PostgreSQL run store: the same semantics as SQLite, and concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adaptors.collections import CollectionNotFound, collections, use_store
from runtime.store.collections import StoreCollections
ROOT = Path(__file__).resolve().parents[2]

ROUNDS = 15


@pytest.fixture
def pg_store(pg_url):
    store = StoreCollections(pg_url)
    store.create("crm-ids")
    with use_store(store):
        yield store
    store.close()


def run(operation, state=None):
    return operation(state if state is not None else {"data": {}})


def keys(pattern):
    return [item["key"] for item in run(collections.get("crm-ids", pattern))["data"]]


def test_patterns_paging_upsert_and_remove_behave_as_on_sqlite(pg_store):
    run(collections.set("crm-ids", lambda v: v, ["a_b", "axb", "a%b", "a\\b", "A_B", "x-a_b-y", "b"]))
    assert keys("a_*") == ["a_b"] and keys("a%*") == ["a%b"] and keys("a\\*") == ["a\\b"]
    assert keys("*a_b*") == ["a_b", "x-a_b-y"]
    assert keys("*") == ["A_B", "a%b", "a\\b", "a_b", "axb", "b", "x-a_b-y"]  # byte order, as SQLite
    page = run(collections.get("crm-ids", {"key": "*", "limit": 3, "page_size": 2}))
    rest = run(collections.get("crm-ids", {"key": "*", "cursor": page["collection_cursor"]}))
    assert [i["key"] for i in page["data"] + rest["data"]] == keys("*") and rest["collection_cursor"] is None
    run(collections.set("crm-ids", "b", {"crm_id": 2}))
    assert run(collections.get("crm-ids", "b"))["data"] == {"crm_id": 2}
    assert run(collections.get("crm-ids", {"created_after": "2999-01-01"}))["data"] == []
    assert len(run(collections.get("crm-ids", {"updated_before": "2999-01-01T00:00:00Z"}))["data"]) == 7
    run(collections.remove("crm-ids", "a*"))
    assert keys("*") == ["A_B", "b", "x-a_b-y"]


def test_a_missing_collection_and_deleting_one_with_its_items(pg_store):
    with pytest.raises(CollectionNotFound):
        run(collections.set("nope", "k", 1))
    run(collections.set("crm-ids", "k", 1))
    assert pg_store.delete("crm-ids") == 1
    pg_store.create("crm-ids")
    assert keys("*") == []


def _job(writer: str) -> str:
    lines = []
    for round_ in range(ROUNDS):
        lines.append(f'collections.set("crm-ids", lambda item: item["key"], '
                     f'[{{"key": f"shared-{{i:03}}", "writer": "{writer}", "round": {round_}}} for i in range(100)] + '
                     f'[{{"key": f"{writer}-{round_}-{{i:03}}", "writer": "{writer}", "round": {round_}}} '
                     f'for i in range(20)])')
    return "\n".join(lines) + "\n"


def test_two_runs_setting_the_same_keys_at_once_last_writer_wins_and_no_other_key_is_lost(pg_store, pg_url,
                                                                                        tmp_path):
    processes = []
    for writer in ("A", "B"):
        job = tmp_path / f"writer_{writer}.py"
        job.write_text(_job(writer))
        processes.append(subprocess.Popen([sys.executable, "-m", "runtime.cli", "execute", str(job), "--db", pg_url,
                                           "-o", str(tmp_path / f"{writer}.json")], cwd=ROOT,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for process in processes:
        output = process.communicate(timeout=120)[0]
        assert process.returncode == 0, output
    for writer in ("A", "B"):
        assert "errors" not in json.loads((tmp_path / f"{writer}.json").read_text())
    items = {i["key"]: i["value"] for i in run(collections.get("crm-ids", "*"))["data"]}
    assert len(items) == 100 + 2 * ROUNDS * 20
    shared = [items[f"shared-{i:03}"] for i in range(100)]
    assert all(value["round"] == ROUNDS - 1 and value["writer"] in ("A", "B") for value in shared)
    for writer in ("A", "B"):
        for round_ in range(ROUNDS):
            assert items[f"{writer}-{round_}-007"] == {"key": f"{writer}-{round_}-007", "writer": writer,
                                                        "round": round_}


def test_items_set_through_a_postgresql_url_are_in_that_database(pg_store, pg_url, tmp_path, monkeypatch):
    import psycopg

    monkeypatch.chdir(tmp_path)  # a store that took the URL for a file path would create it here
    run(collections.set("crm-ids", "case-1", {"crm_id": 7}))
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT collection, key, value FROM collection_items").fetchall()
    assert rows == [("crm-ids", "case-1", '{"crm_id":7}')]
    assert list(tmp_path.iterdir()) == []
