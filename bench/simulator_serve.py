"""How fast the CommCare HQ simulator seeds and serves 100k cases (so client benchmarks measure the client).

Run: .venv/bin/python bench/simulator_serve.py [--cases 100000]
Prints seeding time, the v2 cursor walk rate, the slowest page, and the first 1000-form page.
"""

from __future__ import annotations

import argparse
import time

import requests

from hq_simulator import CommCareSimulator


def walk_v2(hq: CommCareSimulator, session: requests.Session) -> tuple[int, float, float]:
    url, params, seen, slowest = f"{hq.url}/a/demo/api/case/v2/", {"limit": 5000}, 0, 0.0
    started = time.perf_counter()
    while url:
        began = time.perf_counter()
        page = session.get(url, params=params).json()
        slowest = max(slowest, time.perf_counter() - began)
        seen, url, params = seen + len(page["cases"]), page.get("next"), None
    return seen, time.perf_counter() - started, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    cases = parser.parse_args().cases
    started = time.perf_counter()
    hq = CommCareSimulator(seed=cases)
    seeding = time.perf_counter() - started
    with hq, requests.Session() as session:
        session.headers.update(hq.auth_header)
        seen, walk, slowest = walk_v2(hq, session)
        began = time.perf_counter()
        session.get(f"{hq.url}/a/demo/api/v0.5/form/", params={"limit": 1000, "order_by": "indexed_on"}).json()
        form_page = time.perf_counter() - began
    print(f"seeded {cases:,} cases in {seeding:.1f} s")
    print(f"v2 cursor walk: {seen:,} cases in {walk:.1f} s ({seen / walk:,.0f} cases/s), "
          f"slowest 5000-case page {slowest * 1000:.0f} ms")
    print(f"first 1000-form page: {form_page * 1000:.0f} ms")


if __name__ == "__main__":
    main()
