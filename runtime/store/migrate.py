"""Bring a PostgreSQL run store's schema up to date: versioned, safe to run twice and from many machines.

``schema_migrations`` records each applied version. Every migration runs in
its own transaction holding a transaction-level advisory lock, so servers and
workers starting at once apply each migration exactly once: the others wait
for the lock, see the version recorded and skip it. Running it again when
everything is applied changes nothing. ``pyfn serve``, ``pyfn worker`` and
``pyfn db upgrade`` all call :func:`upgrade`.

Example::

    import psycopg
    with psycopg.connect("postgresql://pyfn@db/pyfn", autocommit=True) as conn:
        upgrade(conn)          # [Migration(version=1, name='initial', ...)] the first time
        upgrade(conn)          # [] afterwards
        current_version(conn)  # 1
"""

from __future__ import annotations

from typing import Any

from runtime.store.migrations import Migration, load

__all__ = ["upgrade", "current_version", "pending", "LOCK_SPACE", "MIGRATION_LOCK"]

LOCK_SPACE = 0x7079666E  # "pyfn": the first key of every advisory lock pyfn takes
MIGRATION_LOCK = 1

_CREATE = """CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"""


def _lock(conn: Any) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_SPACE, MIGRATION_LOCK))


def _applied(conn: Any) -> set[int]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
    if not exists:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def current_version(conn: Any) -> int:
    """The highest applied version (0 for an empty database)."""
    return max(_applied(conn), default=0)


def pending(conn: Any, migrations: list[Migration] | None = None) -> list[Migration]:
    """The migrations not applied yet, in order."""
    done = _applied(conn)
    return [m for m in (load() if migrations is None else migrations) if m.version not in done]


def upgrade(conn: Any, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration, each in one transaction under the advisory lock; the ones applied.

    ``conn`` is a psycopg connection in autocommit mode (each migration opens
    its own transaction). A failing migration is rolled back whole and raises;
    the ones before it stay applied.
    """
    migrations = load() if migrations is None else migrations
    with conn.transaction():
        _lock(conn)
        conn.execute(_CREATE)
    applied = []
    for migration in pending(conn, migrations):
        with conn.transaction():
            _lock(conn)
            if migration.version in _applied(conn):  # another process got there first
                continue
            conn.execute(migration.sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                         (migration.version, migration.name))
        applied.append(migration)
    return applied
