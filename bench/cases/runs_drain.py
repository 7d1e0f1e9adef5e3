"""Runs completed per second: ``pyfn serve`` with one worker per core, from delivery to ``success`` in the store.

``bench/webhook_ingest.py --drain`` posts 3,000 forms (a one-step mapping workflow) and waits until
every run has ended; it prints the runs per second from the first delivery to the last run's end,
and the CPU of the whole server (the server, its forkserver and every run's process) per delivery
and run. The target is 4× the 72 runs/s measured before this round on this machine (2 cores).
"""

from __future__ import annotations

import os
import re
import sys

from ..measure import BenchError, run_process
from ..race import ROOT, Check, Context, Outcome

__all__ = ["run"]

SCRIPT = ROOT / "bench" / "webhook_ingest.py"
OVERHEAD = ROOT / "bench" / "run_overhead.py"
BEFORE = 72.0  # runs/s before this round (2 workers on 2 cores)
TARGET = 4 * BEFORE


def _figures(output: str) -> tuple[float, float]:
    rate = re.search(r"\(([\d,.]+) runs/s\)", output)
    cpu = re.search(r"CPU: ([\d.]+) ms per delivery", output)
    if rate is None or cpu is None or "lost: 0 of" not in output:
        raise BenchError(f"webhook_ingest.py --drain printed no runs/s, CPU or lost figure:\n{output[-2000:]}")
    return float(rate.group(1).replace(",", "")), float(cpu.group(1))


def run(ctx: Context, count: int = 3_000) -> Outcome:
    """``max(1, ctx.runs // 2)`` drains; the median's runs/s and CPU per run."""
    samples = sorted(_figures(run_process([sys.executable, str(SCRIPT), "--count", str(count), "--drain"],
                                          cwd=ROOT).output) for _ in range(max(1, ctx.runs // 2)))
    rate, cpu = samples[len(samples) // 2]
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    ctx.log(f"  runs_drain: {rate:,.1f} runs/s, {cpu:.1f} ms CPU per delivery and run (load {load})")
    parts = run_process([sys.executable, str(OVERHEAD)], cwd=ROOT).output.strip().splitlines()[-1]
    ctx.log(f"  runs_drain: {parts}")
    checks = [Check(f"≥ {TARGET:.0f} runs/s (4× {BEFORE:.0f})", f"{rate:,.1f} runs/s = {rate / BEFORE:.2f}× before",
                    rate >= TARGET)]
    return Outcome(f"runs completed per second, delivery to success ({count:,} runs, {os.cpu_count()} workers)",
                   checks=checks, note=f"CPU per delivery and run, whole server: {cpu:.1f} ms; load average {load}; {parts}")
