"""Webhook ingest against its bare floor: ``pyfn serve`` (without and with workers) and Starlette + SQLite alone.

Both are driven by the same clients (``bench/webhook_ingest.py``'s: 4 keep-alive connections, the
same form payloads) and run alternately, so load on the machine hits both alike. The floor is
``bench/ingest_floor.py``: the same stack committing one SQLite row per delivery and nothing else.
The targets: pyfn's rate ≥ 0.8× the floor's alone, ≥ 0.5× with its runs executing meanwhile.
"""

from __future__ import annotations

import os
import sys

from ..measure import run_process
from ..race import ROOT, Check, Context, Outcome
from .webhook import SCRIPT, parse

__all__ = ["run"]

FLOOR = ROOT / "bench" / "ingest_floor.py"
TARGET = 0.8
TARGET_SHARED = 0.5  # with the runs executing on the same cores


def _median_rate(samples: list[dict[str, float]]) -> dict[str, float]:
    return sorted(samples, key=lambda figures: figures["rate"])[len(samples) // 2]


def run(ctx: Context, count: int = 10_000) -> list[Outcome]:
    """Alternate pyfn's ingest alone (``--workers 0``), pyfn with its runs executing (one worker per core)
    and the floor, ``max(3, ctx.runs)`` times; the ratios of medians."""
    alone, shared, floor = [], [], []
    for _ in range(max(3, ctx.runs)):
        for extra, samples in ((["--workers", "0"], alone), ([], shared)):
            samples.append(parse(run_process([sys.executable, str(SCRIPT), "--count", str(count), *extra],
                                             cwd=ROOT).output))
        floor.append(parse(run_process([sys.executable, str(FLOOR), "--count", str(count)], cwd=ROOT).output))
    bare = _median_rate(floor)
    lost = sum(figures["lost"] for figures in alone + shared + floor)
    rows = []
    for label, samples, target, who in (("ingest alone", alone, TARGET, "--workers 0"),
                                        ("runs executing", shared, TARGET_SHARED, "one worker per core")):
        pyfn = _median_rate(samples)
        ratio = pyfn["rate"] / bare["rate"]
        ctx.log(f"  ingest_floor ({label}): pyfn {pyfn['rate']:,.0f}/s (p99 {pyfn['p99']} ms) | floor "
                f"{bare['rate']:,.0f}/s (p99 {bare['p99']} ms) | ratio {ratio:.2f}×")
        checks = [Check(f"rate ≥ {target}× the floor", f"{pyfn['rate']:,.0f} / {bare['rate']:,.0f} /s = {ratio:.2f}×",
                        ratio >= target),
                  Check("0 lost", f"{lost:.0f}", lost == 0)]
        rows.append(Outcome(f"webhook ingest vs its bare floor, {label} ({count:,} deliveries)", checks=checks,
                            note=f"median of alternate runs; pyfn serve ({who}) against bench/ingest_floor.py; "
                                 f"load average {_load()}"))
    return rows


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())
