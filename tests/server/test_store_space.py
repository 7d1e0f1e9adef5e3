"""A SQLite store made before auto_vacuum (mode NONE) is switched once to INCREMENTAL by the server that
takes it, saying so, and from then on a purge gives the space back to the file system."""

from __future__ import annotations

import os
import re
import sqlite3
import time

import requests

from runtime.store.sqlite import SQLiteStore

from .conftest import sqlite_pragma

FAR_FUTURE = "2999-01-01T00:00:00.000000Z"
BIG = "x" * 4000  # an input of a page or so: the history takes room


def made_before_auto_vacuum(path) -> None:
    db = sqlite3.connect(path)  # a file with pages before the store sets auto_vacuum: mode NONE, as old stores
    db.execute("CREATE TABLE older (n INTEGER)")
    db.close()


def vacuum_mode(path) -> int:
    return sqlite_pragma(path, "auto_vacuum")


def fill(store: SQLiteStore, runs: int) -> None:
    for n in range(runs):
        store.accept("wf", "hook", {"data": {"n": n, "text": BIG}})
        claimed = store.claim("w-1")
        store.started(claimed.id)
        store.finish(claimed.id, "success", final_state={"data": {"n": n}})


def test_an_old_store_is_switched_once_then_a_purge_gives_the_space_back(tmp_path):
    path = str(tmp_path / "pyfn.db")
    made_before_auto_vacuum(path)
    store = SQLiteStore(path)
    try:
        fill(store, 300)
        assert vacuum_mode(path) == 0
        said: list[str] = []
        store.register_worker("w-1")
        store.upgrade_storage(said.append)
        assert vacuum_mode(path) == 2 and len(said) == 2 and "VACUUM" in said[0] and path in said[0]
        store.upgrade_storage(said.append)  # once only
        assert len(said) == 2
        before = os.path.getsize(path)
        assert store.purge("wf", history_before=FAR_FUTURE).deleted == 299  # the cron cursor's run stays
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert os.path.getsize(path) < before / 4
        assert store.counts() == {"success": 1}
    finally:
        store.close()


def test_the_switch_says_the_file_size_before_and_after_and_how_long_it_took(tmp_path):
    path = str(tmp_path / "pyfn.db")
    made_before_auto_vacuum(path)
    store = SQLiteStore(path)  # not serving: no checkpoint thread changes the file meanwhile
    try:
        fill(store, 300)
        before = os.path.getsize(path)
        said: list[str] = []
        began = time.monotonic()
        store.upgrade_storage(said.append)
        took = time.monotonic() - began
        after = os.path.getsize(path)
        assert before >= 2**20 and after >= 2**20, "sizes of a MiB or more: the figures say something"
        assert said[0] == (f"store {path} ({before / 2**20:,.0f} MiB) was made before auto_vacuum: switching it to "
                           "incremental (one VACUUM, a rewrite of the file; the server starts after it)")
        assert said[1].startswith(f"store {path} now gives purged space back: {after / 2**20:,.0f} MiB after VACUUM (")
        seconds = float(re.fullmatch(r".*after VACUUM \((\d+\.\d) s\)", said[1]).group(1))
        assert seconds <= took + 0.05
    finally:
        store.close()


def test_a_store_left_in_mode_none_keeps_its_pages_after_a_purge(tmp_path):
    path = str(tmp_path / "pyfn.db")
    made_before_auto_vacuum(path)
    store = SQLiteStore(path)
    try:
        fill(store, 300)
        before = os.path.getsize(path)
        store.purge("wf", history_before=FAR_FUTURE)
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert os.path.getsize(path) >= before and vacuum_mode(path) == 0
    finally:
        store.close()


def test_pyfn_serve_switches_an_old_store_and_says_so(server_factory):
    server = server_factory("--workers", "0")
    made_before_auto_vacuum(server.db)
    SQLiteStore(str(server.db)).close()
    server.start()
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
    assert "made before auto_vacuum" in server.output()
    assert vacuum_mode(server.db) == 2
    server.stop()
    server.start()
    assert server.output().count("made before auto_vacuum") == 1
