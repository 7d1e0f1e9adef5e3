"""The run counters (counts by state and runs with a failed step) agree with counting the runs themselves.

They are kept by the schema's triggers, in the transaction that changes a run, on SQLite and PostgreSQL:
after inserts, claims, finishes, automatic and manual retries, losses, purges and wipes, with two
processes writing at once, and in a store made before the counters existed (its upgrade counts it).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg

from runtime.store import open_store
from runtime.store.migrate import upgrade
from runtime.store.migrations import load
from runtime.store.postgres import PostgresStore
from runtime.store.postgres_ops import fold_counts

ROOT = Path(__file__).resolve().parents[2]
FAR_FUTURE = "2999-01-01T00:00:00.000000Z"

TRUTH = ("SELECT r.workflow, r.state, EXISTS (SELECT 1 FROM steps s WHERE s.run_id = r.id AND s.error IS NOT NULL) "
         "FROM runs r")


def truth(location: str) -> list[tuple]:
    """Every run's (workflow, state, has a failed step), read from the runs and steps tables."""
    if location.startswith("postgresql://"):
        with psycopg.connect(location) as conn:
            return conn.execute(TRUTH).fetchall()
    db = sqlite3.connect(location)
    try:
        return [(wf, state, bool(failed)) for wf, state, failed in db.execute(TRUTH).fetchall()]
    finally:
        db.close()


def assert_counted(store, location: str) -> None:
    rows = truth(location)
    for workflow in (None, "a", "b", "c"):
        mine = [row for row in rows if workflow is None or row[0] == workflow]
        assert store.counts(workflow) == dict(Counter(state for _, state, _ in mine)), workflow
        assert store.count_step_failed(workflow) == sum(1 for *_, failed in mine if failed), workflow


def fold(location: str) -> None:
    """Fold PostgreSQL's pending counter changes (whatever their number); counts must not change."""
    if location.startswith("postgresql://"):
        with psycopg.connect(location, autocommit=True) as conn:
            assert fold_counts(conn, at_least=1)


def run_to_end(store, workflow: str, state: str, *, failed_step: bool = False, **finish) -> str:
    store.accept(workflow, "hook", {"data": {}})
    claimed = store.claim("w-1")  # the oldest claimable run
    store.started(claimed.id)
    store.step_started(claimed.id, "map", {"data": {}})
    store.step_finished(claimed.id, "map", None, {"type": "RuntimeError"} if failed_step else None)
    store.finish(claimed.id, state, **finish)
    return claimed.id


def test_counters_follow_every_change_of_a_run(store_location):
    store = open_store(store_location)
    try:
        assert_counted(store, store_location)
        run_to_end(store, "a", "success")
        run_to_end(store, "a", "success")
        run_to_end(store, "a", "success", failed_step=True)  # a handled failure: success with a failed step
        run_to_end(store, "b", "failed", failed_step=True, error_type="RuntimeError")
        run_to_end(store, "b", "crashed", retry_at=FAR_FUTURE)  # an automatic retry waits
        store.accept("c", "hook", {"data": {}})
        assert_counted(store, store_location)
        claimed = store.claim("w-1")
        store.started(claimed.id)
        store.step_finished(claimed.id, "map", None, {"type": "ValueError"})
        store.lose(claimed.id)  # lost with a failed step, and queued again
        assert_counted(store, store_location)
        fold(store_location)
        assert_counted(store, store_location)
        failed = store.list_runs("b", "failed")[0].id
        store.retry(failed, "map")  # a manual retry from the failed step
        assert_counted(store, store_location)
        store.purge("a", dataclips_before=FAR_FUTURE)  # wiping changes no count
        assert_counted(store, store_location)
        assert store.purge("a", history_before=FAR_FUTURE).deleted == 1  # the cron cursor's two runs stay
        assert store.counts("a") == {"success": 2}
        assert_counted(store, store_location)
        fold(store_location)
        assert_counted(store, store_location)
    finally:
        store.close()


WRITER = """
import sys
from runtime.store import open_store
store = open_store(sys.argv[1])
for n in range(int(sys.argv[3])):
    accepted = store.accept(sys.argv[2], "hook", {"data": n})
    claimed = store.claim(sys.argv[2] + "-writer", {})
    if claimed is None:
        continue
    store.started(claimed.id)
    store.step_finished(claimed.id, "map", None, {"type": "E"} if n % 3 == 0 else None)
    if n % 4 == 0:
        store.lose(claimed.id)
    else:
        store.finish(claimed.id, "failed" if n % 5 == 0 else "success")
store.close()
"""


def test_two_processes_writing_at_once_keep_the_counters_exact(store_location):
    opened = open_store(store_location)  # the schema exists before the writers start
    opened.close()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, store_location, workflow, "60"], cwd=ROOT)
               for workflow in ("a", "b")]
    store = open_store(store_location)
    try:
        for n in range(30):
            store.accept("c", "hook", {"data": n})
            store.purge("a", history_before=FAR_FUTURE)
        assert [writer.wait(timeout=300) for writer in writers] == [0, 0]
        assert_counted(store, store_location)
        assert sum(store.counts().values()) == len(truth(store_location)) > 30
        fold(store_location)
        assert_counted(store, store_location)
    finally:
        store.close()


def fill_before_counters(store) -> None:
    run_to_end(store, "a", "success")
    run_to_end(store, "a", "success", failed_step=True)
    run_to_end(store, "b", "failed", failed_step=True, error_type="RuntimeError")
    store.accept("b", "hook", {"data": {}})


def assert_upgraded_counts(store, location: str) -> None:
    """What :func:`fill_before_counters` left is counted after the upgrade, and what comes next counts too."""
    assert store.counts() == {"success": 2, "failed": 1, "available": 1}
    assert store.count_step_failed() == 2 and store.count_step_failed("b") == 1
    run_to_end(store, "b", "success", failed_step=True)
    assert_counted(store, location)


def test_a_sqlite_store_made_before_the_counters_is_counted_when_opened(tmp_path):
    path = str(tmp_path / "pyfn.db")
    store = open_store(path)
    fill_before_counters(store)
    store.close()
    db = sqlite3.connect(path, isolation_level=None)  # back to the schema of the release before the counters
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE run_counts")
    db.execute("ALTER TABLE runs DROP COLUMN step_failed")
    db.close()
    store = open_store(path)
    try:
        assert_upgraded_counts(store, path)
    finally:
        store.close()


def test_a_postgresql_store_at_version_2_is_counted_by_its_migration(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        upgrade(conn, [m for m in load() if m.version <= 2])
    store = PostgresStore(pg_url, migrate=False)  # filled in the schema of version 2
    try:
        fill_before_counters(store)
        assert "run_counts" in [m.name for m in store.upgrade()]
        assert_upgraded_counts(store, pg_url)
    finally:
        store.close()
