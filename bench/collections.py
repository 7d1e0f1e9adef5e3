"""Benchmark: collections on the run store — ``set`` and ``get`` throughput, and ``each``'s memory at any size.

Runs the collections operations as a job does (the adaptor on a ``StoreCollections``) and prints:

- ``set``: 100,000 values in one ``collections.set`` (one transaction), values per second;
- ``get (pattern)``: the same 100,000 back with one pattern ``get``, values per second;
- ``get (one key)``: 10,000 single-key ``get`` calls, calls per second;
- ``each``: the peak RSS of a fresh process streaming 100,000 and then 1,000,000 items through
  ``collections.each`` (flat: the two peaks are about equal), with its items per second.

Usage::

    .venv/bin/python bench/collections.py [--items 100000] [--each 1000000] [--db postgresql://...]

The default store is a SQLite file in a temporary folder (``pyfn execute``'s and ``pyfn serve``'s);
``--db`` names a PostgreSQL database instead (its ``bench-*`` collections are replaced).
"""

from __future__ import annotations

import os
import sys

if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path[0] = os.path.dirname(sys.path[0])  # run as a script: this file must not shadow the stdlib's name

import argparse  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SINGLE_GETS = 10_000
FILL_BATCH = 20_000


def _store(location: str, name: str, fresh: bool = True):
    from runtime.store.collections import StoreCollections

    store = StoreCollections(location)
    if fresh and store.exists(name):
        store.delete(name)
    if not store.exists(name):
        store.create(name)
    return store


def _value(i: int) -> dict:
    return {"case_id": f"case-{i:07d}", "crm_id": f"a0{i:07d}", "village": "Kamwala", "visits": i % 17}


def throughput(location: str, items: int) -> list[tuple[str, int, float]]:
    """``[(phase, count, seconds)]`` for set, pattern get and single-key gets on ``items`` values."""
    from adaptors.collections import collections, use_store

    store = _store(location, "bench-throughput")
    values = [_value(i) for i in range(items)]
    figures = []
    with use_store(store):
        started = time.perf_counter()
        collections.set("bench-throughput", lambda value: value["case_id"], values)({"data": {}})
        figures.append(("set", items, time.perf_counter() - started))
        started = time.perf_counter()
        got = collections.get("bench-throughput", "case-*")({"data": {}})["data"]
        figures.append(("get (pattern)", len(got), time.perf_counter() - started))
        keys = [f"case-{random.randrange(items):07d}" for _ in range(min(SINGLE_GETS, items))]
        started = time.perf_counter()
        for key in keys:
            collections.get("bench-throughput", key)({"data": {}})
        figures.append(("get (one key)", len(keys), time.perf_counter() - started))
    store.delete("bench-throughput")
    store.close()
    return figures


def fill(location: str, name: str, count: int) -> None:
    """``count`` items in collection ``name``, written in batches (flat memory here too)."""
    from adaptors.collections.store import encode_value

    store = _store(location, name)
    for start in range(0, count, FILL_BATCH):
        store.set_many(name, [(f"item-{i:08d}", encode_value(_value(i))) for i in range(start, min(count, start + FILL_BATCH))])
    store.close()


def each_child(location: str, name: str) -> None:
    """In a fresh process: stream every item through ``collections.each``; print count, seconds, peak RSS."""
    from adaptors.collections import collections, use_store

    store = _store(location, name, fresh=False)
    counter = {"n": 0}
    with use_store(store):
        started = time.perf_counter()
        collections.each(name, "item-*", lambda state, value, key: counter.__setitem__("n", counter["n"] + 1))({})
        seconds = time.perf_counter() - started
    print(counter["n"], seconds, _peak_rss_kib())


def _peak_rss_kib() -> int:
    """This process's own peak RSS (``VmHWM``; ``ru_maxrss`` would keep the bench parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def each_memory(location: str, counts: list[int]) -> list[tuple[int, float, int]]:
    """``[(items, seconds, peak RSS KiB)]`` of a fresh process streaming each count."""
    rows = []
    for count in counts:
        name = f"bench-each-{count}"
        fill(location, name, count)
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--each-child", name, "--db", location],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
        seen, seconds, rss = int(out[0]), float(out[1]), int(out[2])
        if seen != count:
            raise SystemExit(f"each saw {seen} of {count} items")
        rows.append((count, seconds, rss))
        _store(location, name).delete(name)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark collections: set/get throughput, each's peak memory.")
    parser.add_argument("--items", type=int, default=100_000, help="values for set and get (default 100,000)")
    parser.add_argument("--each", type=int, default=1_000_000, help="the large each (default 1,000,000)")
    parser.add_argument("--db", help="a postgresql:// URL or a SQLite file (default: a temporary SQLite file)")
    parser.add_argument("--each-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.each_child:
        each_child(args.db, args.each_child)
        return 0
    with tempfile.TemporaryDirectory(prefix="pyfn-bench-collections-") as tmp:
        location = args.db or str(Path(tmp) / "pyfn.db")
        print(f"store: {'PostgreSQL' if location.startswith('postgres') else 'SQLite'}")
        for phase, count, seconds in throughput(location, args.items):
            print(f"{phase:<15} {count:>9,} in {seconds:6.2f}s  {count / seconds:>10,.0f}/s")
        small = max(1, args.each // 10)
        rows = each_memory(location, [small, args.each])
        for count, seconds, rss in rows:
            print(f"each {count:>12,} in {seconds:6.2f}s  {count / seconds:>10,.0f}/s  peak RSS {rss / 1024:6.1f} MiB")
        print(f"each peak RSS at {args.each:,} / at {small:,}: {rows[1][2] / rows[0][2]:.2f}x (flat is ~1.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
