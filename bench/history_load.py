"""The load of the history case (``bench/cases/history.py``): a server on a given store, timed reads of its
API, webhook deliveries at full speed (a rate), and deliveries kept up while something else happens (a
purge), with each delivery's latency.

Example::

    server = serve(project, "state/pyfn.db", port)
    p95_ms(port, "/api/runs?state=failed")        # 12.5
    rate, latencies = ingest(port, 2_000)         # deliveries/s, seconds each
    server.terminate()
"""

from __future__ import annotations

import http.client
import os
import subprocess
import threading
import time
from pathlib import Path

from bench.webhook_ingest import WORKFLOW as INGEST_WORKFLOW, client, countdown, start_server

__all__ = ["TOKEN", "write_project", "serve", "p95", "p95_ms", "ingest", "ingest_while", "percentile"]

TOKEN = "bench-history-token"
_OTHER = "name: {name}\n{policy}steps:\n  - id: map\n    expression: |\n      fn(lambda state: state)\n"
SAMPLES = 20
CLIENTS = 4


def write_project(folder: Path, workflows: tuple[str, ...], history_days: float | None = None) -> Path:
    """A project with the store generator's workflows (``ingest`` takes webhooks); ``history_days`` for all."""
    policy = "" if history_days is None else f"history_days: {history_days}\n"
    (folder / "workflows").mkdir(parents=True, exist_ok=True)
    for name in workflows:
        text = INGEST_WORKFLOW.replace("steps:", policy + "steps:", 1) if name == "ingest" else \
            _OTHER.format(name=name, policy=policy)
        (folder / "workflows" / f"{name}.yaml").write_text(text)
    return folder


def serve(project: Path, location: str, port: int) -> subprocess.Popen:
    """``pyfn serve --workers 0`` on the store at ``location``, its API open with :data:`TOKEN`."""
    os.environ["PYFN_API_TOKEN"], os.environ["PYFN_DB"] = TOKEN, str(location)
    try:
        return start_server(project, port, 0)
    finally:
        del os.environ["PYFN_API_TOKEN"], os.environ["PYFN_DB"]


def percentile(samples: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``samples``.

    Example:
        >>> percentile([float(n) for n in range(1, 101)], 99)
        99.0
    """
    ordered = sorted(samples)
    return ordered[max(0, -(-int(len(ordered) * q) // 100) - 1)]


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank) of ``samples``.

    Example:
        >>> p95([float(n) for n in range(1, 101)])
        95.0
    """
    return percentile(samples, 95)


def p95_ms(port: int, path: str, samples: int = SAMPLES) -> float:
    """p95 of ``GET path`` with the API token, in ms, over one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        times.append((time.perf_counter() - began) * 1000)
    connection.close()
    return p95(times)


def _drive(port: int, more_for_each) -> tuple[list[float], float]:
    latencies: list[float] = []
    errors: list[int] = []
    threads = [threading.Thread(target=client, args=(port, more_for_each(), latencies, [], errors, 120))
               for _ in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} deliveries refused: {sorted(set(errors))}")
    return latencies, time.perf_counter() - began


def ingest(port: int, count: int) -> tuple[float, list[float]]:
    """Post ``count`` forms from :data:`CLIENTS` keep-alive connections: (deliveries/s, latencies in s)."""
    latencies, took = _drive(port, lambda: countdown(count // CLIENTS))
    return len(latencies) / took, latencies


def ingest_while(port: int, busy) -> tuple[float, list[float]]:
    """Post forms from :data:`CLIENTS` connections while ``busy()`` is true: (deliveries/s, latencies in s)."""
    latencies, took = _drive(port, lambda: busy)
    return len(latencies) / took, latencies
