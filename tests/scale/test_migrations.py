"""Schema migrations: versioned, a no-op the second time, applied once when many processes start at once."""

from __future__ import annotations

import threading

import psycopg
import pytest

from runtime.store import open_store
from runtime.store.migrate import current_version, pending, upgrade
from runtime.store.migrations import Migration, load


def connect(url):
    return psycopg.connect(url, autocommit=True)


def tables(conn) -> set[str]:
    return {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_the_migrations_are_numbered_one_by_one_from_one():
    versions = [m.version for m in load()]
    assert versions == list(range(1, len(versions) + 1))


def test_upgrade_applies_every_migration_once_then_does_nothing(pg_url):
    with connect(pg_url) as conn:
        assert current_version(conn) == 0 and len(pending(conn)) == len(load())
        assert [m.version for m in upgrade(conn)] == [m.version for m in load()]
        assert {"work_orders", "runs", "steps", "logs", "workers", "schema_migrations"} <= tables(conn)
        assert upgrade(conn) == [] and pending(conn) == []
        assert current_version(conn) == load()[-1].version


def test_concurrent_upgrades_apply_each_migration_exactly_once(pg_url):
    slow = [*load(), Migration(90, "slow", "SELECT pg_sleep(0.2); CREATE TABLE slow_one (n integer)"),
            Migration(91, "counted", "CREATE TABLE counted (n integer); INSERT INTO counted VALUES (1)")]
    barrier, errors, applied = threading.Barrier(6), [], []

    def start():
        try:
            with connect(pg_url) as conn:
                barrier.wait()
                applied.extend(m.version for m in upgrade(conn, slow))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(applied) == [m.version for m in slow], "each version applied by exactly one process"
    with connect(pg_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM counted").fetchone() == (1,)
        assert [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")] == \
            [m.version for m in slow]


def test_a_failing_migration_is_rolled_back_whole_and_the_earlier_ones_stay(pg_url):
    broken = [*load(), Migration(90, "broken", "CREATE TABLE half_done (n integer); SELECT 1 / 0")]
    with connect(pg_url) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            upgrade(conn, broken)
        assert "half_done" not in tables(conn) and "runs" in tables(conn)
        assert current_version(conn) == load()[-1].version
        assert [m.version for m in pending(conn, broken)] == [90]


def test_opening_a_store_migrates_it_and_opening_it_again_is_harmless(pg_url):
    first = open_store(pg_url)
    accepted = first.accept("wf", "hook", {"data": 1})
    second = open_store(pg_url)
    assert second.get_run(accepted.run_id).input == {"data": 1}
    assert second.upgrade() == []
    first.close()
    second.close()


def test_a_migration_found_applied_at_its_turn_is_skipped_and_the_later_ones_still_run(pg_url):
    # what a process sees when another applied version 90 between its pending() and its turn: the version
    # is in the list it is working through but recorded by the time it holds the lock
    seen_twice = [Migration(90, "first", "CREATE TABLE first_one (n integer)"),
                  Migration(90, "again", "CREATE TABLE never_made (n integer)"),
                  Migration(91, "after", "CREATE TABLE after_one (n integer)")]
    with connect(pg_url) as conn:
        assert [(m.version, m.name) for m in upgrade(conn, seen_twice)] == [(90, "first"), (91, "after")]
        assert {"first_one", "after_one"} <= tables(conn) and "never_made" not in tables(conn)
