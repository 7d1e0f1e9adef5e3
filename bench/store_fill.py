"""Fill a SQLite run store with N finished runs, fast: a history as a long-lived server accumulates it.

Run: .venv/bin/python bench/store_fill.py state/pyfn.db 1000000 [--workflows 4]

Each run is one work order (trigger ``forms``, a small input), one run (``success``, one in ten
``failed``), and one step with its output; times go back one second per run from now, the
newest last. The schema is the store's own (``SQLiteStore`` creates it); the rows go in with
``executemany`` in one transaction per 100,000 runs, the indexes dropped meanwhile and built once
at the end, so a million runs take well under a minute.
Calling it again on the same file adds N more, older ones (random ids, as the store's own).

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "pyfn.db")
    >>> fill(path, 1000)
    1000
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["fill", "WORKFLOWS"]

WORKFLOWS = ("ingest", "registrations", "visits", "referrals")
BATCH = 100_000
INPUT = '{"data": {"id": "%s", "form": {"hh_name": "Otieno", "village": "Kondele", "hh_size": "2"}}}'
OUTPUT = '{"data": {"id": "%s", "household": "Otieno"}}'


def _rows(start: int, count: int, workflows: tuple[str, ...], newest: datetime):
    """The work order, run and step rows of runs ``start … start+count`` (run ``i`` is ``i`` seconds old)."""
    orders, runs, steps = [], [], []
    for i in range(start, start + count):
        at = newest - timedelta(seconds=i)
        inserted = at.isoformat(timespec="microseconds").replace("+00:00", "Z")
        finished = (at + timedelta(milliseconds=40)).isoformat(timespec="microseconds").replace("+00:00", "Z")
        order_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
        workflow = workflows[i % len(workflows)]
        failed = (i // len(workflows)) % 10 == 3  # one in ten, in every workflow
        orders.append((order_id, workflow, "forms", INPUT % order_id, inserted))
        runs.append((run_id, order_id, workflow, "failed" if failed else "success",
                     "RuntimeError" if failed else None, inserted, inserted, inserted, finished,
                     None if failed else OUTPUT % order_id))
        steps.append((run_id, "map", INPUT % order_id, None if failed else OUTPUT % order_id,
                      '{"type": "RuntimeError"}' if failed else None, inserted, finished))
    return orders, runs, steps


def fill(path: str | Path, count: int, workflows: tuple[str, ...] = WORKFLOWS, *, start: int | None = None) -> int:
    """Add ``count`` finished runs to the SQLite store at ``path`` (created if missing); the runs it now holds."""
    from runtime.store.sqlite import SQLiteStore

    SQLiteStore(str(path)).close()  # the store's schema, exactly
    db = sqlite3.connect(str(path), isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-262144")
        indexes = [sql for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                                "AND sql IS NOT NULL")]
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall():
            db.execute(f"DROP INDEX {name}")  # built once at the end: far faster than kept up row by row
        (held,), = db.execute("SELECT COUNT(*) FROM runs").fetchall()
        first = held if start is None else start
        newest = datetime.now(timezone.utc).replace(microsecond=0)
        for offset in range(0, count, BATCH):
            orders, runs, steps = _rows(first + offset, min(BATCH, count - offset), workflows, newest)
            db.execute("BEGIN")
            db.executemany("INSERT INTO work_orders (id, workflow, trigger, input, created_at) "
                           "VALUES (?, ?, ?, ?, ?)", orders)
            db.executemany("INSERT INTO runs (id, work_order_id, workflow, state, error_type, inserted_at, "
                           "available_at, started_at, finished_at, final_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           runs)
            db.executemany("INSERT INTO steps (run_id, step, seq, input, output, error, started_at, finished_at) "
                           "VALUES (?, ?, 0, ?, ?, ?, ?, ?)", steps)
            db.execute("COMMIT")
        for sql in indexes:
            db.execute(sql)
        (total,), = db.execute("SELECT COUNT(*) FROM runs").fetchall()
        return total
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the SQLite file (created if missing)")
    parser.add_argument("count", type=int, help="how many runs to add")
    parser.add_argument("--workflows", type=int, default=len(WORKFLOWS), help="spread over this many workflows")
    options = parser.parse_args()
    began = time.perf_counter()
    total = fill(options.path, options.count, WORKFLOWS[:options.workflows])
    print(f"added {options.count:,} runs in {time.perf_counter() - began:.1f} s; the store holds {total:,}")


if __name__ == "__main__":
    main()
