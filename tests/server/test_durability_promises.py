"""The durability promises of docs/server.md, each broken by one line would fail here: a delivery the store
cannot commit is answered 503 (the sender retries it), and --fsync
makes every SQLite commit reach the disk."""

from __future__ import annotations

import sqlite3

from runtime.store import open_store

from .conftest import open_db, wait_until


def test_a_delivery_the_store_cannot_commit_is_503_and_the_retry_is_stored(server_factory):
    server = server_factory("--workers", "0").start()
    blocker = sqlite3.connect(server.db, timeout=30, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the database past the store's busy timeout
    try:
        refused = server.post("open", {"n": 1}, timeout=60)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert refused.status_code == 503, refused.text
    assert refused.json() == {"error": "The delivery could not be stored; retry later"}
    wait_until(lambda: "could not store a delivery to /i/open" in server.output())
    retried = server.post("open", {"n": 1})
    assert retried.status_code == 201
    store = open_db(server.db)
    try:
        assert store.get_run(retried.json()["run_id"]).input["data"] == {"n": 1}
        assert sum(store.counts().values()) == 1  # the refused one left nothing behind
    finally:
        store.close()


def test_fsync_makes_every_commit_durable_and_the_server_says_so(server_factory, tmp_path):
    assert open_store(str(tmp_path / "a.db"), fsync=True).fsyncs_commits
    assert not open_store(str(tmp_path / "b.db")).fsyncs_commits
    durable = server_factory("--workers", "0", "--fsync").start()
    assert "(every commit fsynced)" in durable.output()
    default = server_factory("--workers", "0").start()
    assert "(commits survive a crash, not a power cut: --fsync)" in default.output()
