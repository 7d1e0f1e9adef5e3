"""Cost as the history grows: a store holding 10k, 100k and 1M runs, on SQLite and on PostgreSQL.

At each size a fresh store is filled by ``bench/store_fill.py`` (oldest runs first, as a server writes
them), then, with ``pyfn serve --workers 0`` on it:

- reads, p95 of 20 each: ``pyfn runs list`` as a whole process, alternately with the same on an
  empty store (the difference is what the history adds: Python's start alone is more than 50 ms
  here); ``GET /api/runs`` (first page), filtered by workflow, by state, and by both; one run's
  page (``GET /api/runs/{id}``, a run from the middle of the history);
- webhook ingest on this store against an empty one, side by side (two servers, bursts taken in
  turn, the median of 3 each): the ratio, target ≥ 0.9;
- retention purging 90% of the history (``history_days`` chosen so) in a server started on it,
  while deliveries go on from 4 connections: p99 of their latency during the purge (< 50 ms), how
  long it took, and (SQLite) the file's size before and after.

Sizes: ``bench/run.py --sizes`` or ``PYFN_BENCH_HISTORY_SIZES`` (SQLite) and ``--pg-sizes`` or
``PYFN_BENCH_HISTORY_PG_SIZES`` (PostgreSQL, a throwaway cluster), comma-separated; both default to
10000,100000,1000000 (``0`` skips a backend). At a million runs the fill itself is a target too: under a minute.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ..history_load import TOKEN, ingest, ingest_while, p95, p95_ms, percentile, serve, write_project
from ..race import ROOT, Check, Context, Outcome

__all__ = ["run", "p95", "TOKEN"]

SIZES = "10000,100000,1000000"
SAMPLES = 20
LIMIT_MS = 50.0
INGEST_RATIO = 0.9
FILL_S = 60
BURST, ROUNDS = 1_500, 3


def _sizes(variable: str) -> list[int]:
    return [int(n) for n in os.environ.get(variable, SIZES).split(",") if int(n)]


def _cli_ms(project: Path, location: str, empty: str) -> tuple[float, float]:
    """p95 of ``pyfn runs list`` on ``location`` and on the ``empty`` store, sampled alternately (same load)."""
    samples: dict[str, list[float]] = {location: [], empty: []}
    for _ in range(SAMPLES):
        for store in (location, empty):
            args = [sys.executable, "-m", "runtime.cli", "runs", "list", str(project), "--db", store, "-n", "20"]
            began = time.perf_counter()
            subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            samples[store].append((time.perf_counter() - began) * 1000)
    return p95(samples[location]), p95(samples[empty])


def _middle_run(location: str) -> str:
    from runtime.store import open_store

    store = open_store(location)
    try:
        total = sum(store.counts().values())
        return store.list_runs(limit=1, offset=total // 2)[0].id
    finally:
        store.close()


def _reads(project: Path, location: str, empty: str) -> tuple[dict[str, float], float]:
    from runtime.testing.waiting import free_port

    full_cli, empty_cli = _cli_ms(project, location, empty)
    figures = {"runs list (added to an empty store's)": full_cli - empty_cli}
    middle, port = _middle_run(location), free_port()
    server = serve(project, location, port)
    try:
        for name, path in (("GET /api/runs", "/api/runs"), ("?workflow", "/api/runs?workflow=visits"),
                           ("?state", "/api/runs?state=failed"),
                           ("?workflow&state", "/api/runs?workflow=visits&state=failed"),
                           ("one run's page", f"/api/runs/{middle}")):
            figures[name] = p95_ms(port, path)
    finally:
        server.terminate()
        server.wait(timeout=120)
    return figures, empty_cli


def _ingest_ratio(project: Path, location: str, empty: str) -> tuple[float, float, float]:
    """Deliveries/s on the full store and on the empty one: two servers, bursts in turn; the medians; and the
    p99 latency (ms) of the empty store's deliveries (what the load alone costs, beside the purge's p99)."""
    from runtime.testing.waiting import free_port

    ports = {location: free_port(), empty: free_port()}
    servers = [serve(project, store, port) for store, port in ports.items()]
    rates: dict[str, list[float]] = {location: [], empty: []}
    latencies: list[float] = []
    try:
        for _ in range(ROUNDS):
            for store, port in ports.items():
                rate, each = ingest(port, BURST)
                rates[store].append(rate)
                if store == empty:
                    latencies += each
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=120)
    return statistics.median(rates[location]), statistics.median(rates[empty]), percentile(latencies, 99) * 1000


class _Watch:
    """Polls the store's finished runs (and, in SQLite, its free pages) every half second until at most ``keep``
    are left and the space is given back (or nothing moved for a minute): ``busy()`` until then."""

    def __init__(self, location: str, keep: int):
        import threading

        from runtime.store import is_database_url, open_store

        self.store, self.keep, self.done = open_store(location), keep, threading.Event()
        self.sqlite = None if is_database_url(location) else location
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _left(self) -> tuple[int, int]:
        counts = self.store.counts()
        free = 0
        if self.sqlite:
            import sqlite3

            db = sqlite3.connect(self.sqlite)
            (free,), = db.execute("PRAGMA freelist_count").fetchall()
            db.close()
        return counts.get("success", 0) + counts.get("failed", 0), free

    def _poll(self) -> None:
        last, since = None, time.monotonic()
        while not self.done.is_set():
            left = self._left()
            if left != last:
                last, since = left, time.monotonic()
            if (left[0] <= self.keep and left[1] < 512) or time.monotonic() - since > 60:
                self.done.set()
            time.sleep(0.5)
        self.store.close()

    def busy(self) -> bool:
        return not self.done.is_set()


def _purge(ctx: Context, folder: Path, location: str, size: int) -> dict[str, float]:
    """A server whose retention deletes 90% of the history, deliveries going on meanwhile."""
    from bench.store_fill import WORKFLOWS
    from runtime.testing.waiting import free_port

    days = (size * 0.1) / 86_400  # run i is i seconds old: keep the newest tenth
    project = write_project(folder / "retention", WORKFLOWS, history_days=round(days, 6))
    sqlite = not location.startswith("postgresql://")
    before = os.path.getsize(location) if sqlite else 0
    keep = size - int(size * 0.9)
    port = free_port()
    began = time.perf_counter()
    server = serve(project, location, port)
    watch = _Watch(location, keep + 2 * len(WORKFLOWS))  # the cron cursor's work orders stay
    try:
        rate, latencies = ingest_while(port, watch.busy)
        took = time.perf_counter() - began
    finally:
        watch.done.set()
        watch.thread.join()
        server.terminate()
        server.wait(timeout=300)
    figures = {"p99 ms": percentile(latencies, 99) * 1000, "rate": rate, "seconds": took,
               "deliveries": len(latencies)}
    if sqlite:
        figures.update(before_mib=before / 2**20, after_mib=os.path.getsize(location) / 2**20)
    ctx.log(f"  history: purge of {size - keep:,} runs took {took:.0f} s, {len(latencies):,} deliveries meanwhile")
    return figures


def _store(backend: str, folder: Path, cluster) -> str:
    return cluster.create_database() if backend == "PostgreSQL" else str(folder / "pyfn.db")


def _size(ctx: Context, backend: str, size: int, cluster) -> Outcome:
    from bench.store_fill import WORKFLOWS, fill

    folder = ctx.workdir / f"{backend}-{size}"
    project = write_project(folder / "project", WORKFLOWS)
    location, empty = _store(backend, folder, cluster), _store(backend, folder / "empty", cluster)
    fill(empty, 0)
    began, cpu = time.perf_counter(), time.process_time()
    fill(location, size)
    filled, cpu = time.perf_counter() - began, time.process_time() - cpu
    ctx.log(f"  history: {backend} filled with {size:,} runs in {filled:.1f} s (load {os.getloadavg()[0]:.1f})")
    figures, empty_cli = _reads(project, location, empty)
    ctx.log("  history: " + ", ".join(f"{name} p95 {ms:.1f} ms" for name, ms in figures.items()))
    full_rate, empty_rate, empty_p99 = _ingest_ratio(project, location, empty)
    purge = _purge(ctx, folder, location, size)
    checks = [Check(f"{name} p95 < {LIMIT_MS:g} ms", f"{ms:.1f} ms", ms < LIMIT_MS) for name, ms in figures.items()]
    if size >= 1_000_000:
        checks.append(Check(f"store_fill of {size:,} runs < {FILL_S} s", f"{filled:.0f} s", filled < FILL_S))
    checks.append(Check(f"ingest ≥ {INGEST_RATIO}× an empty store's",
                        f"{full_rate / empty_rate:.2f}× ({full_rate:,.0f}/s vs {empty_rate:,.0f}/s)",
                        full_rate / empty_rate >= INGEST_RATIO))
    checks.append(Check(f"ingest p99 < {LIMIT_MS:g} ms while 90% is purged",
                        f"{purge['p99 ms']:.1f} ms ({purge['deliveries']:,} deliveries, {purge['rate']:,.0f}/s, "
                        f"purge {purge['seconds']:.0f} s)", purge["p99 ms"] < LIMIT_MS))
    space = (f"; file {purge['before_mib']:,.0f} MiB before the purge, {purge['after_mib']:,.0f} MiB after"
             if "before_mib" in purge else "")
    note = (f"filled in {filled:.0f} s ({cpu:.0f} s of CPU in the bench's process); pyfn runs list on an empty "
            f"store: p95 {empty_cli:.0f} ms (whole process); ingest p99 on the empty store, no purge: "
            f"{empty_p99:.1f} ms"
            f"{space}; load average {', '.join(f'{n:.1f}' for n in os.getloadavg())}")
    outcome = Outcome(f"run history, {backend}, {size:,} runs", checks=checks, note=note)
    ctx.log(f"  history: {outcome.case}: " + "; ".join(f"{c.target}: {c.value}" for c in checks) + f"; {note}")
    return outcome


def run(ctx: Context) -> list[Outcome]:
    """One row per backend and size (see the module docstring)."""
    outcomes = [_size(ctx, "SQLite", size, None) for size in _sizes("PYFN_BENCH_HISTORY_SIZES")]
    pg_sizes = _sizes("PYFN_BENCH_HISTORY_PG_SIZES")
    if pg_sizes:
        from tests.postgres import TempCluster

        with TempCluster() as cluster:
            outcomes += [_size(ctx, "PostgreSQL", size, cluster) for size in pg_sizes]
    return outcomes
