"""What the PostgreSQL store adds to the shared contract: many processes on one database.

(The contract itself — accept, claim, steps, logs, lose, list — is the one
parametrised store suite in ``tests/server/test_store.py``.)
"""

from __future__ import annotations

import datetime
import threading
import time

import psycopg
import pytest

from runtime.store import open_store
from runtime.store.postgres import PostgresStore

from .procs import wait_until


@pytest.fixture
def stores(pg_url):
    """Three stores on one database, as three machines would open it (each with its own connections).

    Their workers stay fresh for a minute without a heartbeat, however slow the machine; a test that
    needs one to go stale shortens that for it."""
    opened = [PostgresStore(pg_url, lost_after_s=60) for _ in range(3)]
    yield opened
    for store in opened:
        store.close()


def test_open_store_picks_postgresql_from_the_url(pg_url):
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    store.close()


def test_claims_from_several_stores_never_share_a_run(stores):
    ids = {stores[0].accept("wf", "hook", {"data": n}).run_id for n in range(150)}
    taken: list[str] = []
    lock = threading.Lock()

    def work(store, name):
        while (claimed := store.claim(name)) is not None:
            with lock:
                taken.append(claimed.id)
            store.finish(claimed.id, "success")

    threads = [threading.Thread(target=work, args=(store, f"w-{n}-{k}")) for n, store in enumerate(stores)
               for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ids)
    assert stores[1].counts() == {"success": 150}


def test_many_servers_and_workers_register_on_one_store(stores):
    for n, store in enumerate(stores):
        store.register_worker(f"w-{n}", kind="worker" if n else "server")
    assert [(row[0], row[1]) for row in stores[0].live_workers()] == \
        [("w-0", "server"), ("w-1", "worker"), ("w-2", "worker")]


def test_a_worker_that_stops_heartbeating_loses_its_runs_to_any_other(stores):
    quiet, beating, reaper = stores
    quiet.register_worker("quiet")
    beating.register_worker("beating")
    ours = quiet.accept("wf", "hook", {"data": 1})
    theirs = quiet.accept("wf", "hook", {"data": 2})
    assert quiet.claim("quiet").id == ours.run_id
    assert beating.claim("beating").id == theirs.run_id
    assert reaper.recover_lost([]) == [], "fresh heartbeats: nobody is lost"
    quiet.lost_after_s = 0.2  # each heartbeat says how long its worker may stay silent: quiet's last one
    assert quiet.heartbeat("quiet")
    wait_until(lambda: [row[0] for row in reaper.live_workers()] == ["beating"], message="quiet never went stale")
    assert beating.heartbeat("beating")
    (lost, queued), = reaper.recover_lost([])
    assert lost == ours.run_id
    assert reaper.get_run(lost).run.state == "lost" and reaper.get_run(queued).run.attempt == 2
    assert reaper.get_run(theirs.run_id).run.state == "claimed"
    assert quiet.heartbeat("quiet") is False, "a worker declared dead learns it at its next heartbeat"
    assert beating.heartbeat("beating") is True
    assert not quiet.finish(ours.run_id, "success"), "the lost run cannot end any more"


def test_reapers_racing_lose_each_run_exactly_once(stores):
    for n in range(30):
        stores[0].accept("wf", "hook", {"data": n})
        stores[0].claim("gone")
    results: list[list] = []
    threads = [threading.Thread(target=lambda s=store: results.append(s.recover_lost([]))) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lost = [pair for batch in results for pair in batch]
    assert len(lost) == len({old for old, _ in lost}) == 30
    assert stores[0].counts() == {"lost": 30, "available": 30}


def test_a_queued_run_wakes_a_subscriber_in_another_process_at_once(stores):
    woken = threading.Event()
    stores[1].subscribe(woken.set)
    stores[1]._listener.connected.wait(5)
    stores[0].accept("wf", "hook", {"data": 1})
    assert woken.wait(30), "subscribers are only ever called by a notification"


def test_log_lines_with_nul_characters_are_kept(stores):
    store = stores[0]
    run_id = store.accept("wf", "hook", {"data": 1}).run_id
    store.claim("w")
    store.append_logs(run_id, ["[JOB] ℹ a\x00b"])
    assert store.get_run(run_id).logs[0][1] == "[JOB] ℹ a\\u0000b"


def test_max_concurrency_holds_across_machines_and_one_keeps_arrival_order(stores):
    ordered = [stores[0].accept("seq", "hook", {"data": n}).run_id for n in range(20)]
    for n in range(30):
        stores[0].accept("pair", "hook", {"data": n})
    limits, lock = {"seq": 1, "pair": 2}, threading.Lock()
    running, peak, seq_order = {"seq": 0, "pair": 0}, {"seq": 0, "pair": 0}, []

    def work(store, name):
        while (claimed := store.claim(name, limits)) is not None:
            with lock:
                running[claimed.workflow] += 1
                peak[claimed.workflow] = max(peak[claimed.workflow], running[claimed.workflow])
                if claimed.workflow == "seq":
                    seq_order.append(claimed.id)
            time.sleep(0.003)
            with lock:
                running[claimed.workflow] -= 1
            store.finish(claimed.id, "success")

    threads = [threading.Thread(target=work, args=(store, f"w-{n}-{k}")) for n, store in enumerate(stores)
               for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stores[0].counts() == {"success": 50}
    assert peak == {"seq": 1, "pair": 2}
    assert seq_order == ordered


def test_a_manual_retry_from_two_machines_at_once_queues_one_run(stores):
    stores[0].accept("wf", "hook", {"data": 1})
    claimed = stores[0].claim("w")
    stores[0].finish(claimed.id, "failed")
    results, barrier = [], threading.Barrier(3)

    def retry(store):
        barrier.wait()
        try:
            results.append(store.retry(claimed.id).run_id)
        except Exception as exc:  # noqa: BLE001 - NotRetryable expected for all but one
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=retry, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r for r in results if r == "NotRetryable") == ["NotRetryable", "NotRetryable"]
    assert stores[1].counts() == {"failed": 1, "available": 1}


def test_two_servers_firing_one_schedule_at_once_create_one_work_order(stores):
    barrier, fired = threading.Barrier(3), []

    def fire(store):
        barrier.wait()
        fired.append(store.fire_cron("wf", "nightly", "2024-05-02T02:00:00.000000Z", {"data": {}}))

    threads = [threading.Thread(target=fire, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for result in fired if result is not None) == 1
    assert stores[2].counts() == {"available": 1}


def test_run_now_makes_a_waiting_retry_claimable_and_nothing_else(stores):
    store = stores[0]
    accepted = store.accept("wf", "hook", {"data": {}})
    first = store.claim("w-1")
    store.started(first.id)
    assert not store.run_now(first.id), "running"
    store.finish(first.id, "failed", "JobError", retry_at="2999-01-01T00:00:00.000000Z")
    retry = store.get_run(accepted.work_order_id).run
    assert not store.run_now(first.id), "ended"
    assert store.claim("w-1") is None
    assert store.run_now(retry.id)
    assert not store.run_now(retry.id), "already claimable"
    assert stores[1].claim("w-2").id == retry.id


def test_member_versions_are_those_recorded_by_live_members_only(stores):
    for n, store in enumerate(stores):
        store.register_worker(f"w-{n}", kind="worker")
    stores[0].record_versions("w-0", {"forms": "3f2c9a0b1d4e", "cases": "aa"})
    stores[1].record_versions("w-1", {"forms": "77"})
    stores[2].record_versions("w-1", {"forms": "78"})  # the latest record wins
    assert stores[2].member_versions() == {"w-0": {"forms": "3f2c9a0b1d4e", "cases": "aa"}, "w-1": {"forms": "78"}}
    stores[1].lost_after_s = 0.2
    assert stores[1].heartbeat("w-1")
    wait_until(lambda: list(stores[0].member_versions()) == ["w-0"], message="w-1 never went stale")
    stores[0].unregister_worker("w-0")
    assert stores[2].member_versions() == {} and [row[0] for row in stores[2].live_workers()] == ["w-2"]


def test_times_read_back_are_utc_whatever_the_local_zone(stores, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # 5 h 30 ahead of UTC
    time.tzset()
    try:
        accepted = stores[0].accept("wf", "hook", {"data": 1})
        stores[0].append_logs(accepted.run_id, ["stamped here"])
        detail = stores[1].get_run(accepted.run_id)
    finally:
        monkeypatch.undo()
        time.tzset()
    now = datetime.datetime.now(datetime.timezone.utc)
    for stamp in (detail.run.inserted_at, detail.logs[0][0]):
        assert stamp.endswith("Z")
        at = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        assert abs((now - at).total_seconds()) < 3600, f"{stamp} is not UTC (now {now})"


def test_a_member_is_a_server_by_default_and_stays_fresh_for_30_seconds(pg_url):
    store = PostgresStore(pg_url)
    store.register_worker("plain")
    assert [row[:2] for row in store.live_workers()] == [("plain", "server")]
    assert store._execute("SELECT lost_after_s FROM workers WHERE id = 'plain'") == [(30.0,)]
    store.close()


def test_closing_a_store_removes_only_the_members_it_still_has(stores):
    first, second, watcher = stores
    first.register_worker("kept-then-left")
    first.register_worker("still-here")
    first.unregister_worker("kept-then-left")
    second.register_worker("kept-then-left")  # the same id, now another process's
    first.close()
    assert [row[0] for row in watcher.live_workers()] == ["kept-then-left"]


def test_a_run_accepted_without_a_priority_is_in_line_with_priority_one(stores):
    plain = stores[0].accept("wf", "hook", {"data": 1})
    stores[0].accept("wf", "hook", {"data": 2}, priority=1)
    assert stores[1].claim("w").id == plain.run_id, "equal priority: arrival order"


def test_wait_for_is_woken_by_each_end_of_a_run_finished_by_another_process(stores, monkeypatch):
    waiter, worker = stores[0], stores[1]
    monkeypatch.setattr("runtime.store.postgres._POLL_SECONDS", 3600)  # only the notification can wake it
    for n in range(2):
        accepted = waiter.accept("wf", "hook", {"data": n})
        claimed = worker.claim("w")
        assert waiter.wait_for(accepted.run_id, timeout=0.05).state == "claimed"
        waiter._listener.connected.wait(5)
        timer = threading.Timer(0.3, worker.finish, args=(claimed.id, "success"))
        started = time.monotonic()
        timer.start()
        assert waiter.wait_for(accepted.run_id, timeout=30).state == "success"
        assert time.monotonic() - started < 25, f"end {n + 1} woke it, not the timeout"
        timer.join()


def test_wait_for_under_a_second_still_waits_for_the_end(stores, monkeypatch):
    waiter, worker = stores[0], stores[1]
    accepted = waiter.accept("wf", "hook", {"data": 1})
    claimed = worker.claim("w")
    read = waiter._summary

    def read_then_end(run_id):  # the run ends just after the waiter read it unfinished
        summary = read(run_id)
        if summary.state == "claimed":
            worker.finish(claimed.id, "success")
        return summary

    monkeypatch.setattr(waiter, "_summary", read_then_end)
    assert waiter.wait_for(accepted.run_id, timeout=0.9).state == "success"


@pytest.mark.parametrize("size", [None, 2])
def test_a_store_opens_at_most_ten_connections_or_its_pool_size(pg_url, size):
    store = PostgresStore(pg_url) if size is None else PostgresStore(pg_url, pool_size=size)
    store._pool.wait_seconds = 0.2
    holders = 10 if size is None else size
    holding, done = threading.Barrier(holders + 1), threading.Event()

    def hold():
        with store._pool.connection():
            holding.wait()
            done.wait(30)

    threads = [threading.Thread(target=hold) for _ in range(holders)]
    for thread in threads:
        thread.start()
    holding.wait(30)
    try:
        with pytest.raises(psycopg.OperationalError, match="no free connection"):
            with store._pool.connection():
                pass
    finally:
        done.set()
        for thread in threads:
            thread.join()
    store.close()


def test_waiting_again_and_again_subscribes_to_run_ends_once(stores):
    from runtime.store.postgres_ops import ENDED

    waiter = stores[0]
    accepted = waiter.accept("wf", "hook", {"data": 1})
    for _ in range(5):  # a sync webhook waits once per delivery: one subscription for the store's life
        assert waiter.wait_for(accepted.run_id, timeout=0.01).state == "available"
    assert waiter._listener._callbacks[ENDED] == [waiter._wake_waiters]
