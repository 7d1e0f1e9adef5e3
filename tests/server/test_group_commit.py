"""Deliveries arriving together share one commit, and each is answered only once it is committed."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor

import pytest

from runtime.server.app import AppSettings
from runtime.server.group_commit import GroupCommit
from runtime.store import open_store

from .inprocess import TEST_ENVIRONMENT, serve_in_process


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    yield from serve_in_process(tmp_path / "pyfn.db", AppSettings())


def test_concurrent_deliveries_are_all_stored_and_each_is_committed_before_its_answer(app, tmp_path):
    def deliver(n: int) -> tuple[int, str, bool]:
        answer = app.post("open", {"n": n})
        run_id = answer.json()["run_id"]
        reader = sqlite3.connect(tmp_path / "pyfn.db")  # another connection sees only committed rows
        try:
            seen = reader.execute("SELECT COUNT(*) FROM runs WHERE id = ?", (run_id,)).fetchone()[0] == 1
        finally:
            reader.close()
        return answer.status_code, run_id, seen

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(deliver, range(200)))
    assert {status for status, _, _ in answers} == {201}
    assert all(seen for _, _, seen in answers)
    assert len({run_id for _, run_id, _ in answers}) == 200
    stored = sorted(app.store.get_run(run_id).input["data"]["n"] for _, run_id, _ in answers)
    assert stored == list(range(200)) and sum(app.store.counts().values()) == 200


def refusing_store(tmp_path):
    """A SQLite store whose database refuses any delivery holding the word ``poison`` (a trigger)."""
    store = open_store(str(tmp_path / "pyfn.db"))
    store.accept("wf", "forms", {"data": "first"})  # the file and its schema exist
    refusing = sqlite3.connect(tmp_path / "pyfn.db", isolation_level=None)
    refusing.execute("CREATE TRIGGER refuse BEFORE INSERT ON work_orders WHEN new.input LIKE '%poison%' "
                     "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    refusing.close()
    return store


def test_a_delivery_the_store_refuses_does_not_refuse_the_others_of_its_group(tmp_path):
    store = refusing_store(tmp_path)
    group = GroupCommit(store)

    async def deliver():
        return await asyncio.gather(*(group.accept("wf", "forms", {"data": data}) for data in ("a", "poison", "b")),
                                    return_exceptions=True)

    first, refused, last = asyncio.run(deliver())
    assert isinstance(refused, sqlite3.IntegrityError)
    assert [store.get_run(accepted.run_id).input["data"] for accepted in (first, last)] == ["a", "b"]
    assert sum(store.counts().values()) == 3
    store.close()


def test_a_dedupe_key_seen_earlier_in_the_same_group_answers_the_first_deliverys_ids(tmp_path):
    store = open_store(str(tmp_path / "pyfn.db"))
    group = GroupCommit(store)

    async def deliver():
        return await asyncio.gather(*(group.accept("wf", "forms", {"data": n}, "form-1") for n in range(3)))

    first, *again = asyncio.run(deliver())
    assert not first.duplicate and all(accepted.duplicate for accepted in again)
    assert {(accepted.work_order_id, accepted.run_id) for accepted in again} == {(first.work_order_id, first.run_id)}
    assert store.counts() == {"available": 1}
    store.close()


def test_a_sync_deliverys_reply_is_expected_before_the_commit_that_lets_a_worker_end_its_run(tmp_path):
    store = open_store(str(tmp_path / "pyfn.db"))
    events, real_batch = [], store.batch

    @contextmanager
    def batch():
        with real_batch():
            yield
        events.append("committed")  # from here a worker could claim the runs and end them

    store.batch = batch
    group = GroupCommit(store, expect=lambda accepted: events.append(("expect", accepted.run_id)),
                        forget=lambda accepted: events.append(("forget", accepted.run_id)))

    async def deliver():
        return await asyncio.gather(group.accept("wf", "forms", {"data": 1}, sync=True),
                                    group.accept("wf", "forms", {"data": 2}),  # async: nothing to expect
                                    group.accept("wf", "forms", {"data": 3}, "k", sync=True),
                                    group.accept("wf", "forms", {"data": 4}, "k", sync=True))  # a duplicate

    first, _, third, duplicate = asyncio.run(deliver())
    assert duplicate.duplicate and events == [("expect", first.run_id), ("expect", third.run_id), "committed"]
    store.close()


def test_a_group_rolled_back_forgets_the_replies_it_expected_and_expects_them_again_one_by_one(tmp_path):
    store = refusing_store(tmp_path)
    expected = set()
    group = GroupCommit(store, expect=lambda accepted: expected.add(accepted.run_id),
                        forget=lambda accepted: expected.remove(accepted.run_id))

    async def deliver():
        return await asyncio.gather(*(group.accept("wf", "forms", {"data": data}, sync=True)
                                      for data in ("a", "poison")), return_exceptions=True)

    stored, refused = asyncio.run(deliver())
    assert isinstance(refused, sqlite3.IntegrityError) and expected == {stored.run_id}
    assert store.get_run(stored.run_id).input["data"] == "a"
    store.close()
