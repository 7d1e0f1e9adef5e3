"""Benchmark: pull 100k cases from the CommCare HQ simulator with the commcare adaptor, streaming pages.

Starts the simulator in its own process (``python -m hq_simulator serve``, so it does not share
this process's GIL or memory), warms its JSON caches with one pull of each API, then runs each pull
in a fresh child process and prints its time, cases per second, the child's peak RSS and the
tracemalloc peak of a second, traced run:

- ``list_cases``: Case API v2, following the cursor, pages handed to ``each_page`` and forgotten;
- ``fetch_cases``: the incremental pull (v0.5, ``order_by=indexed_on``), streamed the same way;
- ``fetch_cases (resume)``: the next run, resuming from the cursor the previous one left (nothing new);
- ``list_cases (kept)``: every case kept in ``state["data"]``, for comparison.

Usage::

    .venv/bin/python bench/commcare_pull.py [--cases 100000] [--page-size 5000] [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
import tracemalloc

PHASES = ("list_cases", "fetch_cases", "fetch_cases (resume)", "list_cases (kept)")


def _configuration(url: str) -> dict:
    return {"hostUrl": url, "domain": "demo", "appId": "demo-app", "username": "demo@example.com",
            "apiKey": "demo-api-key"}


def _operation(phase: str, page_size: int):
    from adaptors.commcare import fetch_cases, list_cases

    def count(state: dict) -> dict:
        return {**state, "seen": state.get("seen", 0) + len(state["data"])}

    if phase == "list_cases":
        return list_cases({"limit": page_size}, each_page=count, progress=False)
    if phase.startswith("fetch_cases"):
        return fetch_cases(limit=page_size, each_page=count, progress=False)
    return list_cases({"limit": page_size}, progress=False)


def _pull(phase: str, url: str, page_size: int, state: dict) -> tuple[int, float, dict]:
    import adaptors.commcare as commcare

    started = time.perf_counter()
    result = commcare.execute(_operation(phase, page_size))({**state, "configuration": _configuration(url)})
    elapsed = time.perf_counter() - started
    count = len(result["data"]) if isinstance(result["data"], list) else result["data"]["count"]
    return count, elapsed, result


def run_phase(phase: str, url: str, page_size: int, state: dict) -> dict:
    """One phase in this process: a timed run, then a tracemalloc-traced run."""
    count, elapsed, result = _pull(phase, url, page_size, state)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cursor = {k: v for k, v in result.items() if k.startswith("cursor")}
    del result
    tracemalloc.start()
    _pull(phase, url, page_size, state)
    traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return {"phase": phase, "cases": count, "seconds": round(elapsed, 2),
            "cases_per_s": round(count / elapsed) if elapsed else 0, "peak_rss_mb": round(rss_mb, 1),
            "tracemalloc_peak_mb": round(traced_mb, 1), "state": cursor}


def _start_simulator(cases: int) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "hq_simulator", "serve", "--port", "0", "--seed", str(cases)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    for line in process.stdout:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return process, match.group(1)
        if time.monotonic() > deadline:
            break
    process.terminate()
    raise RuntimeError("the simulator did not start")


def _child(phase: str, url: str, page_size: int, state: dict | None = None) -> dict:
    command = [sys.executable, __file__, "--phase", phase, "--url", url, "--page-size", str(page_size),
               "--state", json.dumps(state or {})]
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--url", help="an HQ (simulator) already running, instead of starting one")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--state", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.url, args.page_size, json.loads(args.state))))
        return
    simulator, url = (None, args.url) if args.url else _start_simulator(args.cases)
    try:
        print(f"HQ simulator at {url}; page size {args.page_size}; warming its JSON caches...")
        for phase in ("list_cases", "fetch_cases"):
            _child(phase, url, args.page_size)
        print(f"{'pull':<22}{'cases':>9}{'seconds':>9}{'cases/s':>10}{'peak RSS MB':>13}{'tracemalloc MB':>16}")
        cursor: dict = {}
        for phase in PHASES:
            r = _child(phase, url, args.page_size, cursor if phase == "fetch_cases (resume)" else None)
            cursor = r["state"] if phase == "fetch_cases" else cursor
            print(f"{r['phase']:<22}{r['cases']:>9}{r['seconds']:>9}{r['cases_per_s']:>10}"
                  f"{r['peak_rss_mb']:>13}{r['tracemalloc_peak_mb']:>16}")
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(timeout=30)


if __name__ == "__main__":
    main()
