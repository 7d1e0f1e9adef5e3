"""A SQLite store file written by pyfn's first release (before wipes, delayed retries, causes, step retries)
is upgraded in place when a server opens it, and the runs it had queued still run."""

from __future__ import annotations

import json
import sqlite3

from runtime.store import open_store

FIRST_RELEASE = """
CREATE TABLE work_orders (
  id TEXT PRIMARY KEY, workflow TEXT NOT NULL, trigger TEXT, dedupe_key TEXT,
  input TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (workflow, dedupe_key));
CREATE TABLE runs (
  id TEXT PRIMARY KEY, work_order_id TEXT NOT NULL REFERENCES work_orders (id), workflow TEXT NOT NULL,
  state TEXT NOT NULL, error_type TEXT, priority INTEGER NOT NULL DEFAULT 1, attempt INTEGER NOT NULL DEFAULT 1,
  worker TEXT, inserted_at TEXT NOT NULL, claimed_at TEXT, started_at TEXT, finished_at TEXT,
  final_state TEXT, webhook_response TEXT);
"""


def test_a_first_release_store_is_upgraded_and_its_queued_run_still_runs(tmp_path):
    path = tmp_path / "pyfn.db"
    with sqlite3.connect(path) as old:
        old.executescript(FIRST_RELEASE)
        old.execute("INSERT INTO work_orders VALUES ('wo-1', 'wf', 'hook', NULL, ?, '2024-05-01T10:00:00.000000Z')",
                    (json.dumps({"data": {"n": 1}}),))
        old.execute("INSERT INTO runs (id, work_order_id, workflow, state, inserted_at) "
                    "VALUES ('run-1', 'wo-1', 'wf', 'available', '2024-05-01T10:00:00.000000Z')")
    old.close()
    store = open_store(str(path))
    try:
        claimed = store.claim("w-1")
        assert (claimed.id, claimed.work_order_id, claimed.start_step) == ("run-1", "wo-1", None)
        assert json.loads(claimed.input) == {"data": {"n": 1}}
        run = store.get_run("run-1").run
        assert (run.cause, run.available_at) == ("trigger", "2024-05-01T10:00:00.000000Z")
        store.started(claimed.id)
        store.finish(claimed.id, "failed", "JobError", wipe=True)
        assert store.get_run("run-1").wiped_at
        assert store.accept("wf", "hook", {"data": {"n": 2}}).work_order_id != "wo-1"
    finally:
        store.close()
