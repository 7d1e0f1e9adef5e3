"""Webhook ingest against its bare floor: ``pyfn serve`` (no worker) and Starlette + SQLite alone, side by side.

Both are driven by the same clients (``bench/webhook_ingest.py``'s: 4 keep-alive connections, the
same form payloads) and run alternately, so load on the machine hits both alike. The floor is
``bench/ingest_floor.py``: the same stack committing one SQLite row per delivery and nothing else.
The target is pyfn's rate ≥ 0.8× the floor's.
"""

from __future__ import annotations

import sys

from ..measure import run_process
from ..race import ROOT, Check, Context, Outcome
from .webhook import SCRIPT, parse

__all__ = ["run"]

FLOOR = ROOT / "bench" / "ingest_floor.py"
TARGET = 0.8


def _median_rate(samples: list[dict[str, float]]) -> dict[str, float]:
    return sorted(samples, key=lambda figures: figures["rate"])[len(samples) // 2]


def run(ctx: Context, count: int = 10_000) -> Outcome:
    """Alternate pyfn's ingest (``--workers 0``) and the floor ``max(3, ctx.runs)`` times; the ratio of medians."""
    ours, floor = [], []
    for _ in range(max(3, ctx.runs)):
        ours.append(parse(run_process([sys.executable, str(SCRIPT), "--count", str(count), "--workers", "0"],
                                      cwd=ROOT).output))
        floor.append(parse(run_process([sys.executable, str(FLOOR), "--count", str(count)], cwd=ROOT).output))
    pyfn, bare = _median_rate(ours), _median_rate(floor)
    ratio = pyfn["rate"] / bare["rate"]
    lost = sum(figures["lost"] for figures in ours + floor)
    ctx.log(f"  ingest_floor: pyfn {pyfn['rate']:,.0f}/s (p99 {pyfn['p99']} ms) | floor {bare['rate']:,.0f}/s "
            f"(p99 {bare['p99']} ms) | ratio {ratio:.2f}×")
    checks = [Check(f"rate ≥ {TARGET}× the floor", f"{pyfn['rate']:,.0f} / {bare['rate']:,.0f} /s = {ratio:.2f}×",
                    ratio >= TARGET),
              Check("0 lost", f"{lost:.0f}", lost == 0)]
    return Outcome(f"webhook ingest vs its bare floor, Starlette + SQLite ({count:,} deliveries)", checks=checks,
                   note="median of alternate runs; pyfn serve --workers 0 against bench/ingest_floor.py")
