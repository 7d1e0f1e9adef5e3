"""Runs per second with 1, 2 and 3 ``pyfn worker`` processes sharing one PostgreSQL store.

Run: .venv/bin/python bench/scale_workers.py [--runs 600] [--workers 1 2 3] [--slots 2] [--job-ms 0]

For each worker count: a fresh database, that many ``pyfn worker`` processes
(each running ``--slots`` runs at a time), then ``--runs`` work orders queued
through the store as fast as it takes them; it prints how many runs per
second finished, from the first one queued to the last one ended, and checks
each ran once. The job is a one-step mapping (``--job-ms`` adds a wait, as a
slow destination would). PostgreSQL: ``$PYFN_TEST_POSTGRES_URL``, or a
throwaway cluster (Debian's ``postgresql`` package). On one machine the
workers share its cores: past the core count, more workers add little.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORKFLOW = """\
name: bench
steps:
  - id: map
    expression: |
      fn(lambda state: {**state, "data": {"id": state["data"]["id"], "seen": True}})
      {wait}
"""
WAIT = "fn(lambda state: (__import__('time').sleep({s}), state)[1])"


def start_workers(project: Path, url: str, count: int, slots: int) -> list[subprocess.Popen]:
    procs = []
    for n in range(count):
        log = open(project / f"worker-{n}.log", "wb")
        procs.append(subprocess.Popen([sys.executable, "-m", "runtime.cli", "worker", str(project), "--db", url,
                                       "--workers", str(slots)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 60
    for n, proc in enumerate(procs):
        while "waiting for runs" not in (project / f"worker-{n}.log").read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"pyfn worker did not start:\n{(project / f'worker-{n}.log').read_text()}")
            time.sleep(0.05)
    return procs


def measure(project: Path, url: str, workers: int, slots: int, runs: int) -> float:
    """Runs per second for one worker count (all runs must succeed, once each)."""
    from runtime.store import open_store

    store = open_store(url)
    procs = start_workers(project, url, workers, slots)
    try:
        started = time.perf_counter()
        for n in range(runs):
            store.accept("bench", "bench", {"data": {"id": n}})
        progress, last_change = 0, time.monotonic()
        while (counts := store.counts()).get("success", 0) < runs:
            if set(counts) - {"success", "available", "claimed", "started"}:
                raise SystemExit(f"runs did not succeed: {counts}")
            if counts.get("success", 0) != progress:
                progress, last_change = counts.get("success", 0), time.monotonic()
            elif time.monotonic() - last_change > 60:
                logs = "".join((project / f"worker-{n}.log").read_text()[-1500:] for n in range(workers))
                raise SystemExit(f"no run ended for 60s: {counts}\n{logs}")
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
        store.close()
    if counts != {"success": runs}:
        raise SystemExit(f"unexpected run states: {counts}")
    return runs / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=600)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--slots", type=int, default=2, help="runs at a time in each worker (its --workers)")
    parser.add_argument("--job-ms", type=int, default=0, help="extra time each run waits (a slow destination)")
    options = parser.parse_args(argv)
    from tests.postgres import TempCluster

    with TempCluster() as cluster, tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "workflows").mkdir()
        wait = WAIT.replace("{s}", str(options.job_ms / 1000)) if options.job_ms else ""
        text = WORKFLOW.replace("{wait}", wait)
        (project / "workflows" / "bench.yaml").write_text(text)
        print(f"{options.runs} runs, {options.slots} run(s) at a time per worker, job +{options.job_ms}ms, "
              f"{os.cpu_count()} cores", flush=True)
        for count in options.workers:
            url = cluster.create_database("pyfn_bench")
            rate = measure(project, url, count, options.slots, options.runs)
            print(f"{count} worker(s): {rate:7.1f} runs/s", flush=True)
            cluster.drop_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
