"""The PostgreSQL store's connections (runtime/store/pgconn.py): how they are made, pooled and listened on."""

from __future__ import annotations

import contextlib
import queue
import threading
import time

import psycopg
import pytest

from runtime.store.pgconn import Listener, Pool, connect


def test_a_connection_is_named_pyfn_times_out_connecting_and_takes_other_settings(pg_url):
    with connect(pg_url) as conn:
        assert conn.autocommit
        assert conn.execute("SHOW application_name").fetchone() == ("pyfn",)
        assert conn.info.get_parameters()["connect_timeout"] == "10"
    with connect(pg_url, application_name="pyfn-db", connect_timeout=3, options="-c statement_timeout=1234") as conn:
        assert conn.execute("SHOW application_name").fetchone() == ("pyfn-db",)
        assert conn.info.get_parameters()["connect_timeout"] == "3"
        assert conn.execute("SHOW statement_timeout").fetchone() == ("1234ms",)


def test_a_pool_reuses_its_connections_and_never_hands_out_more_than_its_size(pg_url):
    pool = Pool(pg_url, size=2, wait_seconds=0.2)
    with pool.connection() as conn:
        first = conn.info.backend_pid
    with pool.connection() as conn:
        assert conn.info.backend_pid == first, "an idle connection is used again"
    with pool.connection() as one, pool.connection() as two:
        assert one.info.backend_pid != two.info.backend_pid
        with pytest.raises(psycopg.OperationalError, match=r"^no free connection to the run store within 0\.2s$"):
            with pool.connection():
                pass
    with pool.connection() as one, pool.connection() as two:
        assert {one.info.backend_pid, two.info.backend_pid} == {first, one.info.backend_pid, two.info.backend_pid}
    pool.close()


def test_a_closed_or_unfinished_connection_is_not_handed_out_again(pg_url):
    pool = Pool(pg_url, size=1)
    with pool.connection() as conn:
        closed = conn.info.backend_pid
        conn.close()
    with pool.connection() as conn:
        assert not conn.closed and conn.info.backend_pid != closed
        unfinished = conn.info.backend_pid
        conn.execute("BEGIN")
    with pool.connection() as conn:
        assert conn.info.backend_pid not in (closed, unfinished)
        assert conn.execute("SELECT 1").fetchone() == (1,)
    conn.close()  # closed while it waited in the pool
    with pool.connection() as again:
        assert not again.closed and again.execute("SELECT 1").fetchone() == (1,)
    pool.close()


def test_a_transaction_is_one_connection_for_the_thread_and_rolls_back_whole(pg_url):
    pool = Pool(pg_url, size=2)
    with pool.connection() as conn:
        conn.execute("CREATE TABLE kept (n integer)")
    with pytest.raises(ZeroDivisionError):
        with pool.transaction():
            with pool.connection() as one:
                one.execute("INSERT INTO kept VALUES (1)")
            with pool.transaction(), pool.connection() as two:
                assert two is one
                two.execute("INSERT INTO kept VALUES (2)")
            1 / 0
    with pool.transaction():
        with pool.connection() as conn:
            conn.execute("INSERT INTO kept VALUES (3)")
    with pool.connection() as conn:
        assert conn.execute("SELECT n FROM kept").fetchall() == [(3,)]
    pool.close()


def test_a_closed_pool_closes_its_connections_and_refuses_more(pg_url):
    pool = Pool(pg_url, size=2)
    with pool.connection() as busy:
        with pool.connection() as idle:
            pass
        pool.close()
        assert idle.closed and not busy.closed
    assert busy.closed, "a connection in use when the pool closed is closed when it comes back"
    with pytest.raises(psycopg.OperationalError, match="^the run store is closed$"):
        with pool.connection():
            pass


def test_a_listener_calls_each_channels_callbacks_with_the_payload(pg_url):
    listener = Listener(pg_url)
    heard: "queue.Queue[tuple[str, str | None]]" = queue.Queue()
    listener.on("first", lambda payload: 1 / 0)  # a failing callback stops neither the others nor the listener
    listener.on("first", lambda payload: heard.put(("first", payload)))
    listener.on("second", lambda payload: heard.put(("second", payload)))
    assert listener.connected.wait(30)
    threads = [thread for thread in threading.enumerate() if thread.name == "pyfn-store-listener"]
    assert threads and all(thread.daemon for thread in threads), "a listener left open never keeps a process alive"
    with connect(pg_url) as conn:
        conn.execute("SELECT pg_notify('first', 'a'), pg_notify('other', 'x'), pg_notify('second', 'b')")
        conn.execute("SELECT pg_notify('first', 'c')")
    assert sorted(heard.get(timeout=30) for _ in range(3)) == [("first", "a"), ("first", "c"), ("second", "b")]
    listener.close()
    assert not listener._thread.is_alive()


def test_a_listener_that_lost_its_connection_tells_every_callback_and_listens_again(pg_url):
    listener = Listener(pg_url)
    heard: "queue.Queue[tuple[str, str | None]]" = queue.Queue()
    listener.on("first", lambda payload: heard.put(("first", payload)))
    listener.on("second", lambda payload: heard.put(("second", payload)))
    assert listener.connected.wait(30)
    with connect(pg_url) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")
        assert sorted(heard.get(timeout=30) for _ in range(2)) == [("first", None), ("second", None)]
        assert listener.connected.wait(30)
        conn.execute("SELECT pg_notify('second', 'back')")
        assert heard.get(timeout=30) == ("second", "back")
    listener.close()


def test_closing_a_listener_that_never_listened_does_nothing(pg_url):
    listener = Listener(pg_url)
    listener.close()
    assert not listener.connected.is_set()


def test_a_pool_holds_ten_connections_by_default(pg_url):
    pool = Pool(pg_url, wait_seconds=0.2)
    with contextlib.ExitStack() as held:
        pids = {held.enter_context(pool.connection()).info.backend_pid for _ in range(10)}
        assert len(pids) == 10
        with pytest.raises(psycopg.OperationalError, match="no free connection"):
            with pool.connection():
                pass
    pool.close()
