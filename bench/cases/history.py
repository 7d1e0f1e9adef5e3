"""Cost as the history grows: reading the run history of a SQLite store holding 10k, 100k and 1M runs.

The store is filled by ``bench/store_fill.py`` (grown in place: 10k, then +90k, then +900k), and at
each size this case measures, 20 times each, the p95 of:

- ``pyfn runs list`` as a whole process, alternately with the same on an empty store (what the history adds);
- ``GET /api/runs`` (first page), and filtered by workflow and state, from ``pyfn serve --workers 0``;
- ``GET /api/runs/{id}``: one run's page (a run from the middle of the history).

The target is under 50 ms p95 for each HTTP answer and for what the history adds to ``pyfn runs list``.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from ..race import ROOT, Check, Context, Outcome

__all__ = ["run", "p95"]

SIZES = (10_000, 100_000, 1_000_000)
SAMPLES = 20
TOKEN = "bench-history-token"
WORKFLOW = "name: {name}\nsteps:\n  - id: map\n    expression: |\n      fn(lambda state: state)\n"
LIMIT_MS = 50.0


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank) of ``samples``.

    Example:
        >>> p95([float(n) for n in range(1, 101)])
        95.0
    """
    ordered = sorted(samples)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def _project(folder: Path) -> Path:
    from bench.store_fill import WORKFLOWS

    (folder / "workflows").mkdir(parents=True, exist_ok=True)
    for name in WORKFLOWS:
        (folder / "workflows" / f"{name}.yaml").write_text(WORKFLOW.format(name=name))
    return folder


def _cli_ms(project: Path, db: Path, empty: Path) -> tuple[float, float]:
    """p95 of ``pyfn runs list`` on ``db`` and on the ``empty`` store, sampled alternately (same load)."""
    samples: dict[Path, list[float]] = {db: [], empty: []}
    for _ in range(SAMPLES):
        for store in (db, empty):
            args = [sys.executable, "-m", "runtime.cli", "runs", "list", str(project), "--db", str(store), "-n", "20"]
            began = time.perf_counter()
            subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            samples[store].append((time.perf_counter() - began) * 1000)
    return p95(samples[db]), p95(samples[empty])


def _http_ms(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    samples = []
    for _ in range(SAMPLES):
        began = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        samples.append((time.perf_counter() - began) * 1000)
    connection.close()
    return p95(samples)


def _serve(project: Path, db: Path, port: int) -> subprocess.Popen:
    from bench.webhook_ingest import start_server

    os.environ["PYFN_API_TOKEN"], os.environ["PYFN_DB"] = TOKEN, str(db)
    try:
        return start_server(project, port, 0)
    finally:
        del os.environ["PYFN_API_TOKEN"], os.environ["PYFN_DB"]


def _measure(project: Path, db: Path, empty: Path) -> tuple[dict[str, float], float]:
    import sqlite3

    from runtime.testing.waiting import free_port

    reader = sqlite3.connect(db)
    (total,), = reader.execute("SELECT COUNT(*) FROM runs").fetchall()
    (middle,), = reader.execute("SELECT id FROM runs ORDER BY inserted_at LIMIT 1 OFFSET ?", (total // 2,)).fetchall()
    reader.close()
    full_cli, empty_cli = _cli_ms(project, db, empty)
    figures = {"runs list (added to an empty store's)": full_cli - empty_cli}
    port = free_port()
    server = _serve(project, db, port)
    try:
        figures["GET /api/runs"] = _http_ms(port, "/api/runs")
        figures["GET /api/runs?workflow&state"] = _http_ms(port, "/api/runs?workflow=ingest&state=failed")
        figures["GET /api/runs/{id}"] = _http_ms(port, f"/api/runs/{middle}")
    finally:
        server.terminate()
        server.wait(timeout=60)
    return figures, empty_cli


def run(ctx: Context, sizes: tuple[int, ...] = SIZES) -> list[Outcome]:
    """Grow one store through ``sizes``; one row per size, each figure checked against 50 ms p95."""
    from bench.store_fill import fill

    project = _project(ctx.workdir / "project")
    db = ctx.workdir / "history.db"
    empty = ctx.workdir / "empty.db"
    fill(empty, 0)
    outcomes, held = [], 0
    for size in sizes:
        began = time.perf_counter()
        held = fill(db, size - held)
        ctx.log(f"  history: filled to {held:,} runs in {time.perf_counter() - began:.1f} s")
        figures, empty_cli = _measure(project, db, empty)
        ctx.log("  history: " + ", ".join(f"{name} p95 {ms:.1f} ms" for name, ms in figures.items()))
        checks = [Check(f"{name} p95 < {LIMIT_MS:g} ms", f"{ms:.1f} ms", ms < LIMIT_MS)
                  for name, ms in figures.items()]
        outcomes.append(Outcome(f"run history, SQLite, {held:,} runs", checks=checks,
                                note=f"pyfn runs list on an empty store: p95 {empty_cli:.0f} ms (whole process)"))
    return outcomes
