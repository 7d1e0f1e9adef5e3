"""Runs per second with 1, 2 and 4 ``pyfn worker`` processes sharing one PostgreSQL store.

Run: .venv/bin/python bench/scale_workers.py [--runs 600] [--workers 1 2 4] [--slots 2] [--job-ms 0]
     [--http-ms 50] [--claims 2000]

For each worker count: a fresh database, that many ``pyfn worker`` processes
(each running ``--slots`` runs at a time), then ``--runs`` work orders queued
through the store as fast as it takes them; it prints how many runs per
second finished, from the first one queued to the last one ended, and checks
each ran once. The job is a one-step mapping (``--job-ms`` adds a wait, as a
slow destination would; ``--http-ms`` makes each run GET a loopback HTTP
server that answers after that long, with the http adaptor's ``get`` as a job would). ``--claims N`` first prints the queue's
claim rate alone: N runs queued, then claimed (no job, no finish) by 1, 2 and
4 connections at once. PostgreSQL: ``$PYFN_TEST_POSTGRES_URL``, or a
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
    adaptor: {adaptor}
    expression: |
      fn(lambda state: {**state, "data": {"id": state["data"]["id"], "seen": True}})
      {wait}
"""
WAIT = "fn(lambda state: (__import__('time').sleep({s}), state)[1])"
FETCH = "get('{url}')"  # as a job would: the http adaptor, which the workers' forkservers preload


def slow_destination(delay_s: float):
    """A loopback HTTP server answering every GET after ``delay_s`` (threads: waits overlap); its URL."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay_s)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def claim_rate(url: str, runs: int, claimers: int) -> float:
    """Claims per second of the queue alone: ``runs`` queued, then claimed by ``claimers`` connections."""
    import threading

    from runtime.store import open_store

    store = open_store(url)
    try:
        for n in range(runs):
            store.accept("bench", "bench", {"data": {"id": n}})
        taken: list[int] = []

        def claim(worker: str) -> None:
            count = 0
            while store.claim(worker) is not None:
                count += 1
            taken.append(count)

        threads = [threading.Thread(target=claim, args=(f"claimer-{n}",)) for n in range(claimers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    if sum(taken) != runs:
        raise SystemExit(f"claimed {sum(taken)} of {runs} runs")
    return runs / elapsed


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
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--slots", type=int, default=2, help="runs at a time in each worker (its --workers)")
    parser.add_argument("--job-ms", type=int, default=0, help="extra time each run waits (a slow destination)")
    parser.add_argument("--http-ms", type=int, default=0, help="each run GETs a loopback server answering this late")
    parser.add_argument("--claims", type=int, default=0, help="first print the claim rate alone over this many runs")
    options = parser.parse_args(argv)
    from tests.postgres import TempCluster

    with TempCluster() as cluster, tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "workflows").mkdir()
        wait = WAIT.replace("{s}", str(options.job_ms / 1000)) if options.job_ms else ""
        if options.http_ms:
            wait += "\n      " + FETCH.replace("{url}", slow_destination(options.http_ms / 1000))
        text = WORKFLOW.replace("{wait}", wait).replace("{adaptor}", "http" if options.http_ms else "common")
        (project / "workflows" / "bench.yaml").write_text(text)
        for claimers in (1, 2, 4) if options.claims else ():
            url = cluster.create_database("pyfn_bench")
            rate = claim_rate(url, options.claims, claimers)
            print(f"claim rate alone, {claimers} connection(s): {rate:7.1f} claims/s", flush=True)
            cluster.drop_database(url)
        print(f"{options.runs} runs, {options.slots} run(s) at a time per worker, job +{options.job_ms}ms, "
              f"GET +{options.http_ms}ms, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
        for count in options.workers:
            url = cluster.create_database("pyfn_bench")
            rate = measure(project, url, count, options.slots, options.runs)
            print(f"{count} worker(s): {rate:7.1f} runs/s (load {os.getloadavg()[0]:.1f})", flush=True)
            cluster.drop_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
