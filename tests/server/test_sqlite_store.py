"""What the SQLite store promises beyond the common contract (tests/server/test_store.py): the lock file
naming the server that holds the file, a throwaway ``:memory:`` store, the space a purge gives back,
step times recorded when none is given."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
import threading
import time

import pytest

from runtime.store import Purged, StoreBusy
from runtime.store.sqlite import SQLiteStore

from .conftest import sqlite_pragma

FAR_FUTURE = "2999-01-01T00:00:00.000000Z"


def finished_run(store, workflow="wf", steps=(("fetch", {"cursor": 1}),)):
    """A successful run of ``workflow`` whose steps gave these outputs."""
    accepted = store.accept(workflow, "hook", {"data": {"text": "x" * 4000}})
    claimed = store.claim("w-1")
    store.started(claimed.id)
    for step, output in steps:
        store.step_started(claimed.id, step, {"data": {}})
        store.step_finished(claimed.id, step, output)
    store.finish(claimed.id, "success", final_state={"data": {}})
    return accepted


def test_the_lock_file_names_the_server_holding_the_store(tmp_path):
    path = str(tmp_path / "pyfn.db")
    first, second = SQLiteStore(path), SQLiteStore(path)
    first.register_worker("w-1")
    try:
        with open(f"{path}-lock") as lock:
            assert lock.read() == f"pid {os.getpid()}, worker w-1"
        umask = os.umask(0)
        os.umask(umask)
        assert stat.S_IMODE(os.stat(f"{path}-lock").st_mode) == 0o644 & ~umask
        with pytest.raises(StoreBusy) as refused:
            second.register_worker("w-2")
        assert str(refused.value) == f"{path} is in use by another pyfn serve (pid {os.getpid()}, worker w-1)"
        assert first.server_running() and second.server_running()
    finally:
        first.close()
    assert not SQLiteStore(path).server_running()
    second.register_worker("w-2")
    second.close()


def test_a_long_holder_is_named_by_the_first_200_bytes_of_the_lock_file(tmp_path):
    path = str(tmp_path / "pyfn.db")
    first, second = SQLiteStore(path), SQLiteStore(path)
    first.register_worker("w" * 300)
    try:
        with pytest.raises(StoreBusy) as refused:
            second.register_worker("w-2")
        holder = f"pid {os.getpid()}, worker {'w' * 300}"[:200]
        assert str(refused.value) == f"{path} is in use by another pyfn serve ({holder})"
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("content, holder", [(b"", "another process"), (b"\xffold pid", "\ufffdold pid")])
def test_a_lock_held_by_a_process_that_wrote_nothing_readable_is_still_refused(tmp_path, content, holder):
    path = str(tmp_path / "pyfn.db")
    fd = os.open(f"{path}-lock", os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, content)
    fcntl.flock(fd, fcntl.LOCK_EX)
    store = SQLiteStore(path)
    try:
        with pytest.raises(StoreBusy, match=f"in use by another pyfn serve \\({holder}\\)$"):
            store.register_worker("w-1")
        assert store.server_running()
    finally:
        store.close()
        os.close(fd)


def test_a_serving_store_copies_its_log_into_the_database_file_without_a_writer_doing_it(tmp_path):
    # far fewer pages than the writers' backstop: only the checkpoint thread of the registered server copies them
    path = str(tmp_path / "pyfn.db")
    store = SQLiteStore(path)
    store.register_worker("w-1")
    try:
        for _ in range(10):
            finished_run(store)
        deadline = time.monotonic() + 30
        while os.path.getsize(path) < 10 * 4000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.getsize(path) >= 10 * 4000, "the runs' inputs are in the database file, not only in its log"
    finally:
        store.close()


def test_a_store_not_serving_leaves_its_log_to_the_writers(tmp_path):
    path = str(tmp_path / "pyfn.db")
    store = SQLiteStore(path)
    try:
        for _ in range(10):
            finished_run(store)
        assert os.path.getsize(path) < 10 * 4000, "below SQLite's own checkpoint threshold: still in the log"
    finally:
        store.close()


def test_a_memory_store_registers_without_a_lock_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = SQLiteStore(":memory:")
    assert not store.server_running()
    store.register_worker("w-1")
    assert store.server_running(), "the store knows its own server"
    assert os.listdir(tmp_path) == []
    store.close()


def test_a_memory_store_is_never_served_by_another_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a lock file held beside a file named ':memory:' is not the memory store's
    fd = os.open(":memory:-lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    store = SQLiteStore(":memory:")
    try:
        assert not store.server_running()
    finally:
        store.close()
        os.close(fd)


def test_wait_for_under_a_second_still_waits_for_the_end(tmp_path):
    store = SQLiteStore(str(tmp_path / "pyfn.db"))
    store.accept("wf", "hook", {"data": {}})
    claimed = store.claim("w-1")
    with store._lock:  # the run ends as soon as the waiter lets go of the store
        finisher = threading.Thread(target=store.finish, args=(claimed.id, "success"))
        finisher.start()
        assert store.wait_for(claimed.id, timeout=0.9).state == "success"
    finisher.join()
    store.close()


def test_commits_are_synced_to_the_disk_only_when_asked(tmp_path):
    for fsync, synchronous in ((False, 1), (True, 2)):  # NORMAL: through a crash; FULL: through a power cut
        store = SQLiteStore(str(tmp_path / f"{fsync}.db"), fsync=fsync)
        assert store.fsyncs_commits is fsync
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == synchronous
        store.close()
    store = SQLiteStore(str(tmp_path / "default.db"))
    assert not store.fsyncs_commits
    store.close()


def test_a_batch_keeps_all_of_its_writes_or_none(tmp_path):
    store = SQLiteStore(str(tmp_path / "pyfn.db"))
    with store.batch():
        store.accept("wf", None, {"data": 1})
        store.accept("wf", None, {"data": 2})
    with pytest.raises(RuntimeError):
        with store.batch():
            store.accept("wf", None, {"data": 3})
            raise RuntimeError("the run's process died mid-burst")
    assert store.counts() == {"available": 2}
    store.close()


def test_a_serving_store_closed_twice_lets_the_next_server_in(tmp_path):
    path = str(tmp_path / "pyfn.db")
    store = SQLiteStore(path)
    store.register_worker("w-1")
    store.close()
    store.close()
    after = SQLiteStore(path)
    after.register_worker("w-2")
    after.close()


def test_where_a_store_is_and_which_backend_opens_it(tmp_path):
    from runtime.store import is_database_url, open_store, store_location

    assert is_database_url("postgres://pyfn@db/pyfn") and is_database_url("postgresql://pyfn@db/pyfn")
    assert not is_database_url(tmp_path / "pyfn.db") and not is_database_url(None)
    assert store_location(None, tmp_path) == tmp_path / "state" / "pyfn.db"
    assert store_location("postgresql://pyfn@db/pyfn", tmp_path) == "postgresql://pyfn@db/pyfn"
    assert store_location(str(tmp_path / "x.db"), tmp_path) == tmp_path / "x.db"
    store = open_store(f"sqlite:///{tmp_path}/s.db", fsync=True)  # sqlite:////absolute
    assert store.path == f"{tmp_path}/s.db" and store.fsyncs_commits and os.path.exists(store.path)
    store.close()
    store = open_store(tmp_path / "plain.db")
    assert not store.fsyncs_commits
    store.close()


def test_the_store_file_is_private_in_folders_made_for_it(tmp_path):
    from runtime.store import private_file

    path = tmp_path / "a" / "b" / "pyfn.db"
    private_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # made by an older pyfn
    private_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o400)  # private already: left as it is
    private_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


def test_a_memory_store_purge_spares_the_work_order_holding_the_cursor():
    store = SQLiteStore(":memory:")
    cursor = finished_run(store)
    assert store.purge("wf", history_before=FAR_FUTURE) == Purged(0, 0)
    assert store.get_run(cursor.run_id) is not None
    finished_run(store, steps=(("fetch", {"cursor": 2}),))
    assert store.purge("wf", history_before=FAR_FUTURE) == Purged(deleted=1, wiped=0)
    store.close()


def free_pages(path) -> int:
    return sqlite_pragma(path, "freelist_count")


@pytest.mark.parametrize("cutoff", ["history_before", "dataclips_before"])
def test_a_purge_that_deletes_or_wipes_gives_the_freed_pages_back(tmp_path, cutoff):
    path = str(tmp_path / "pyfn.db")
    store = SQLiteStore(path)
    for _ in range(30):
        finished_run(store, workflow="old")
    size = os.path.getsize(path)
    purged = store.purge("old", **{cutoff: FAR_FUTURE})
    assert (purged.deleted if cutoff == "history_before" else purged.wiped) == 29
    store.close()
    assert free_pages(path) == 0
    assert os.path.getsize(path) < size


def test_steps_get_the_current_time_when_none_is_given(tmp_path):
    store = SQLiteStore(str(tmp_path / "pyfn.db"))
    accepted = finished_run(store)
    (step,) = store.get_run(accepted.run_id).steps
    assert step.started_at and step.finished_at and step.started_at <= step.finished_at
    store.close()


def test_run_now_makes_a_waiting_retry_claimable_and_nothing_else(tmp_path):
    store = SQLiteStore(str(tmp_path / "pyfn.db"))
    accepted = store.accept("wf", "hook", {"data": {}})
    first = store.claim("w-1")
    store.started(first.id)
    assert not store.run_now(first.id), "running"
    store.finish(first.id, "failed", "JobError", retry_at=FAR_FUTURE)
    retry = store.get_run(accepted.work_order_id).run
    assert not store.run_now(first.id), "ended"
    assert store.claim("w-1") is None
    assert store.run_now(retry.id)
    assert not store.run_now(retry.id), "already claimable"
    assert store.claim("w-1").id == retry.id
    store.close()


def test_like_prefix_takes_percent_underscore_and_backslash_literally():
    # the pattern PostgreSQL matches run id prefixes with, checked on SQLite's LIKE with the same ESCAPE
    from runtime.store.sql_common import like_prefix

    ids = ["ab%1", "abc1", "ab_2", "abX2", "a\\b", "aXb"]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE runs (id TEXT)")
    db.executemany("INSERT INTO runs VALUES (?)", [(i,) for i in ids])

    def matching(prefix):
        return [row[0] for row in db.execute("SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id",
                                             (like_prefix(prefix),))]

    assert matching("ab%") == ["ab%1"]
    assert matching("ab_") == ["ab_2"]
    assert matching("a\\") == ["a\\b"]
    assert matching("ab") == ["ab%1", "abX2", "ab_2", "abc1"]
    db.close()


def test_a_run_cannot_finish_in_a_state_that_is_not_final(tmp_path):
    store = SQLiteStore(str(tmp_path / "pyfn.db"))
    store.accept("wf", "hook", {"data": {}})
    claimed = store.claim("w-1")
    with pytest.raises(ValueError) as refused:
        store.finish(claimed.id, "started")
    assert str(refused.value) == "'started' is not a final run state"
    store.close()
