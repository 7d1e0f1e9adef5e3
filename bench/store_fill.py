"""Fill a run store (SQLite or PostgreSQL) with N finished runs, fast: a history as a long-lived server
accumulates it.

Run: .venv/bin/python bench/store_fill.py state/pyfn.db 1000000 [--workflows 4]
     .venv/bin/python bench/store_fill.py postgresql://pyfn@127.0.0.1/pyfn 1000000

Each run is one work order (trigger ``forms``, a small input), one run (``success``, one in ten
``failed``), and one step (``map``) with its output, or its error in a failed run; run ``i`` is ``i``
seconds old, and the rows go in oldest first, as a server writes them. The schema is the store's own
(the product opens the store first and creates or migrates it); the rows are made by the database
itself in one statement per table per 250,000 runs (SQLite: a recursive ``WITH``, PostgreSQL:
``generate_series``), with ids in the store's form, spread as its random ones. The three tables load
side by side, one thread and connection each (SQLite and PostgreSQL work without holding Python's lock).
In SQLite runs load into the store itself, with its indexes and triggers dropped meanwhile and remade
once at the end; work orders and steps load into files of their own beside it, each with its table's
indexes, and are copied in whole (SQLite's transfer of b-trees into an empty table; row by row if the
store already held some); the journal is off during the load, and the counters are counted afresh
(``runtime.store.sqlite_ops.recount``). In PostgreSQL the indexes no constraint needs are dropped and
remade at the end (side by side), the triggers (foreign keys, counters) are off during the load
(``session_replication_role``: the user must be a superuser), then the counters are counted afresh
(``runtime.store.postgres_ops.recount``). Calling it again on the same store adds N more, older ones.

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "pyfn.db")
    >>> fill(path, 1000)
    1000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["fill", "WORKFLOWS"]

WORKFLOWS = ("ingest", "registrations", "visits", "referrals")
BATCH = 250_000
INPUT = ("""'{"data": {"id": "' || %s || '", "form": {"hh_name": "Otieno", "village": "Kondele", """
         """"hh_size": "2"}}}'""")
OUTPUT = """'{"data": {"id": "' || %s || '", "household": "Otieno"}}'"""
ERROR = """'{"type": "RuntimeError"}'"""

# SQLite: ids in the form of version-4 uuids, four 32-bit words each a bijection of the run's number (an odd
# multiplier and a random offset per fill): no two alike within a fill, spread over the key space as random ids
_MULTIPLIERS = ((2654435761, 2246822519, 3266489917, 668265263), (374761393, 3323198485, 2869860233, 1540483477))
_SEQ = "WITH RECURSIVE seq (i) AS (SELECT :last UNION ALL SELECT i - 1 FROM seq WHERE i > :first) "  # oldest first
_AT = "strftime('%Y-%m-%dT%H:%M:%S', :newest - i, 'unixepoch')"
_SQLITE_ROWS = (
    f"{_SEQ}INSERT INTO work_orders (id, workflow, trigger, input, created_at) "
    f"SELECT wo, workflow, 'forms', {INPUT % 'wo'}, at || '.000000Z' FROM "
    f"(SELECT {{wo}} AS wo, {{workflow}} AS workflow, {_AT} AS at FROM seq)",
    f"{_SEQ}INSERT INTO runs (id, work_order_id, workflow, state, error_type, inserted_at, available_at, "
    f"started_at, finished_at, final_state, step_failed) "
    f"SELECT run, wo, workflow, CASE WHEN failed THEN 'failed' ELSE 'success' END, "
    f"CASE WHEN failed THEN 'RuntimeError' END, at || '.000000Z', at || '.000000Z', at || '.000000Z', "
    f"at || '.040000Z', CASE WHEN NOT failed THEN {OUTPUT % 'wo'} END, failed FROM "
    f"(SELECT {{run}} AS run, {{wo}} AS wo, {{workflow}} AS workflow, {{failed}} AS failed, {_AT} AS at FROM seq)",
    f"{_SEQ}INSERT INTO steps (run_id, step, seq, input, output, error, started_at, finished_at) "
    f"SELECT run, 'map', 0, {INPUT % 'wo'}, CASE WHEN NOT failed THEN {OUTPUT % 'wo'} END, "
    f"CASE WHEN failed THEN {ERROR} END, at || '.000000Z', at || '.040000Z' FROM "
    f"(SELECT {{run}} AS run, {{wo}} AS wo, {{failed}} AS failed, {_AT} AS at FROM seq)")


def _sqlite_id(multipliers: tuple[int, ...]) -> str:
    """SQL making a uuid-formed id of the run number ``i`` (see :data:`_MULTIPLIERS`)."""
    words = [f"((i * {m} + {random.getrandbits(32)}) % 4294967296)" for m in multipliers]
    return (f"printf('%08x-%04x-4%03x-%04x-%04x%08x', {words[0]}, {words[1]} >> 16, {words[1]} & 4095, "
            f"(({words[2]} >> 16) & 16383) | 32768, {words[2]} & 65535, {words[3]})")


def _sqlite_rows(workflows: tuple[str, ...]) -> list[str]:
    names = " ".join(f"WHEN {n} THEN '{name}'" for n, name in enumerate(workflows))
    parts = {"wo": _sqlite_id(_MULTIPLIERS[0]), "run": _sqlite_id(_MULTIPLIERS[1]),
             "workflow": f"CASE i % {len(workflows)} {names} END", "failed": f"(i / {len(workflows)}) % 10 = 3"}
    statements = list(_SQLITE_ROWS)
    for name, sql in parts.items():  # not str.format: the JSON's braces stay as they are
        statements = [statement.replace(f"{{{name}}}", sql) for statement in statements]
    return statements


# PostgreSQL: the ids are md5 digests of a random salt and the run's number, in uuid form
_SERIES = ("(SELECT i, md5(%(salt)s || 'w' || i)::uuid::text AS wo, md5(%(salt)s || 'r' || i)::uuid::text AS run, "
           "(%(workflows)s::text[])[1 + i %% cardinality(%(workflows)s::text[])] AS workflow, "
           "(i / cardinality(%(workflows)s::text[])) %% 10 = 3 AS failed, to_timestamp(%(newest)s - i) AS at "
           "FROM generate_series(%(last)s::bigint, %(first)s::bigint, -1) AS i) AS made")  # oldest first
# the indexes of the history's tables that no constraint needs (SET session_replication_role needs a superuser)
_INDEXES = ("SELECT indexdef FROM pg_indexes i WHERE schemaname = current_schema() AND tablename IN "
            "('work_orders', 'runs', 'steps') AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)")
_POSTGRES_ROWS = (
    f"INSERT INTO work_orders (id, workflow, trigger, input, created_at) "
    f"SELECT wo, workflow, 'forms', {INPUT % 'wo'}, at FROM {_SERIES}",
    f"INSERT INTO runs (id, work_order_id, workflow, state, error_type, inserted_at, available_at, started_at, "
    f"finished_at, final_state, step_failed) "
    f"SELECT run, wo, workflow, CASE WHEN failed THEN 'failed' ELSE 'success' END, "
    f"CASE WHEN failed THEN 'RuntimeError' END, at, at, at, at + interval '40 ms', "
    f"CASE WHEN NOT failed THEN {OUTPUT % 'wo'} END, failed FROM {_SERIES}",
    f"INSERT INTO steps (run_id, step, seq, input, output, error, started_at, finished_at) "
    f"SELECT run, 'map', 0, {INPUT % 'wo'}, CASE WHEN NOT failed THEN {OUTPUT % 'wo'} END, "
    f"CASE WHEN failed THEN {ERROR} END, at, at + interval '40 ms' FROM {_SERIES}")


def fill(location: str | Path, count: int, workflows: tuple[str, ...] = WORKFLOWS) -> int:
    """Add ``count`` finished runs to the store at ``location`` (a SQLite path, created if missing, or a
    ``postgresql://`` URL); the runs it now holds."""
    from runtime.store import is_database_url, open_store

    open_store(location).close()  # the store's schema, exactly: created, or brought up to date
    newest = int(datetime.now(timezone.utc).timestamp())
    if is_database_url(location):
        return _fill_postgres(str(location), count, workflows, newest)
    return _fill_sqlite(str(location), count, workflows, newest)


def _batches(held: int, count: int):
    for offset in range(0, count, BATCH):
        yield held + offset, held + min(offset + BATCH, count) - 1


def _sqlite_fast(db: sqlite3.Connection, cache_mib: int = 256) -> None:
    db.execute("PRAGMA journal_mode=OFF")  # a failed load leaves a broken file: it is only a bench's
    db.execute("PRAGMA synchronous=OFF")
    db.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
    db.execute("PRAGMA temp_store=MEMORY")


def _load_table(path: str, statement: str, batches: list[tuple[int, int]], newest: int, remade: list[str]) -> None:
    """One table's rows made in the file at ``path`` (its own connection: tables load side by side, the
    GIL released while SQLite works), then its ``remade`` indexes."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        _sqlite_fast(db)
        db.execute("BEGIN")
        for first, last in batches:
            db.execute(statement, {"first": first, "last": last, "newest": newest})
        for sql in remade:
            db.execute(sql)
        db.execute("COMMIT")
    finally:
        db.close()


def _bare_part(path: str) -> None:
    """A file with the store's schema and none of its own indexes or triggers (only the keys' ones)."""
    from runtime.store import open_store

    open_store(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    for kind, name in db.execute("SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') "
                                 "AND sql IS NOT NULL").fetchall():
        db.execute(f"DROP {kind} {name}")
    db.close()


def _fill_sqlite(path: str, count: int, workflows: tuple[str, ...], newest: int) -> int:
    """Runs load into the store itself while work orders and steps load into files of their own beside it,
    in three threads; those two tables are then copied in whole (SQLite's transfer of an empty table's
    b-trees, row by row if the store already held some)."""
    from concurrent.futures import ThreadPoolExecutor

    from runtime.store.sqlite_ops import recount

    work_orders, runs, steps = _sqlite_rows(workflows)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    parts = [f"{path}.fill-work_orders", f"{path}.fill-steps"]
    try:
        _sqlite_fast(db)
        remade = {kind: [sql for (sql,) in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name LIKE ? AND sql IS NOT NULL", kind)]
            for kind in (("index", "runs"), ("index", "work_orders"), ("index", "steps"), ("trigger", "%"))}
        for kind, name in db.execute("SELECT type, name FROM sqlite_master WHERE (type = 'trigger' OR type = "
                                     "'index' AND tbl_name = 'runs') AND sql IS NOT NULL").fetchall():
            db.execute(f"DROP {kind} {name}")  # remade once at the end: far faster than kept up row by row
        (held,), = db.execute("SELECT COUNT(*) FROM runs").fetchall()
        batches = list(_batches(held, count))
        db.close()
        for part in parts:
            _bare_part(part)
        with ThreadPoolExecutor(3) as pool:
            # each table's indexes made where it loads: the copy takes them along
            loads = [pool.submit(_load_table, path, runs, batches, newest, remade["index", "runs"]),
                     pool.submit(_load_table, parts[0], work_orders, batches, newest, remade["index", "work_orders"]),
                     pool.submit(_load_table, parts[1], steps, batches, newest, remade["index", "steps"])]
            for load in loads:
                load.result()
        db = sqlite3.connect(path, isolation_level=None)
        _sqlite_fast(db)
        for part, table in zip(parts, ("work_orders", "steps")):
            db.execute(f"ATTACH DATABASE ? AS {table}_part", (part,))
            db.execute("BEGIN")
            db.execute(f"INSERT INTO main.{table} SELECT * FROM {table}_part.{table}")
            db.execute("COMMIT")
            db.execute(f"DETACH DATABASE {table}_part")
        db.execute("BEGIN")
        for sql in remade["trigger", "%"]:
            db.execute(sql)
        recount(db)
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode=WAL")
        (total,), = db.execute("SELECT COUNT(*) FROM runs").fetchall()
        return total
    finally:
        db.close()
        for part in parts:
            Path(part).unlink(missing_ok=True)


def _pg_rows(url: str, statement: str, batches: list[tuple[int, int]], params: dict) -> None:
    """One table's rows, on a connection of its own (the tables load side by side), keys and counters off."""
    from runtime.store.pgconn import connect

    with connect(url) as conn:
        for first, last in batches:
            with conn.transaction():
                conn.execute("SET LOCAL synchronous_commit = off")
                conn.execute("SET LOCAL session_replication_role = replica")  # no triggers: keys, counters
                conn.execute(statement, {**params, "first": first, "last": last})


def _pg_run(url: str, sql: str) -> None:
    from runtime.store.pgconn import connect

    with connect(url) as conn:
        conn.execute(sql)


def _fill_postgres(url: str, count: int, workflows: tuple[str, ...], newest: int) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from runtime.store.pgconn import connect
    from runtime.store.postgres_ops import recount

    with connect(url) as conn, ThreadPoolExecutor(3) as pool:
        (held,), = conn.execute("SELECT COUNT(*) FROM runs").fetchall()
        params = {"newest": newest, "workflows": list(workflows), "salt": f"{random.getrandbits(64):x}"}
        remade = [sql for (sql,) in conn.execute(_INDEXES).fetchall()]
        for (name,) in conn.execute(_INDEXES.replace("indexdef", "indexname")).fetchall():
            conn.execute(f"DROP INDEX {name}")  # remade once at the end
        batches = list(_batches(held, count))
        for done in [pool.submit(_pg_rows, url, statement, batches, params) for statement in _POSTGRES_ROWS]:
            done.result()
        for done in [pool.submit(_pg_run, url, sql) for sql in remade]:
            done.result()
        recount(conn)
        tables = ("work_orders", "runs", "steps")
        for done in [pool.submit(_pg_run, url, f"VACUUM ANALYZE {table}") for table in tables]:
            done.result()
        (total,), = conn.execute("SELECT COUNT(*) FROM runs").fetchall()
        return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("location", help="the SQLite file (created if missing) or a postgresql:// URL")
    parser.add_argument("count", type=int, help="how many runs to add")
    parser.add_argument("--workflows", type=int, default=len(WORKFLOWS), help="spread over this many workflows")
    options = parser.parse_args()
    began = time.perf_counter()
    total = fill(options.location, options.count, WORKFLOWS[:options.workflows])
    print(f"added {options.count:,} runs in {time.perf_counter() - began:.1f} s; the store holds {total:,}")


if __name__ == "__main__":
    main()
