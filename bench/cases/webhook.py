"""Webhook ingest, durable: ``pyfn serve`` accepting forwarded forms (no peer; targets are absolute).

The benchmark itself is ``bench/webhook_ingest.py`` (the trigger server's own, kept by its author);
this case runs it as a script and reads the figures it prints: accepted deliveries per second,
latency percentiles, and how many accepted deliveries are missing from the run store. It runs twice:
``--workers 0`` (deliveries accepted and stored durably, no run executed: ingest alone), and with
the server's default workers (one per core) executing the runs meanwhile on the same cores.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from ..measure import BenchError, run_process
from ..race import ROOT, Check, Context, Outcome

__all__ = ["run", "parse"]

SCRIPT = ROOT / "bench" / "webhook_ingest.py"
PATTERNS = {
    "rate": r"throughput: ([\d,.]+) accepted deliveries/s",
    "p50": r"latency: p50 ([\d.]+) ms",
    "p99": r"p99 ([\d.]+) ms",
    "lost": r"lost: (\d+) of",
}


def parse(output: str) -> dict[str, float]:
    """The figures ``webhook_ingest.py`` printed; raises :class:`BenchError` if one is missing."""
    figures = {}
    for name, pattern in PATTERNS.items():
        match = re.search(pattern, output)
        if match is None:
            raise BenchError(f"webhook_ingest.py printed no {name} figure:\n{output[-2000:]}")
        figures[name] = float(match.group(1).replace(",", ""))
    return figures


def _measure(ctx: Context, count: int, workers: int | None, label: str) -> Outcome:
    """Run ``webhook_ingest.py`` ``max(3, ctx.runs)`` times; the median run's figures, checked."""
    extra = [] if workers is None else ["--workers", str(workers)]
    results = []
    for _ in range(max(3, ctx.runs)):
        sample = run_process([sys.executable, str(SCRIPT), "--count", str(count), *extra], cwd=ROOT)
        results.append(parse(sample.output))
    results.sort(key=lambda figures: figures["rate"])
    median = results[len(results) // 2]
    lost = sum(figures["lost"] for figures in results)
    rates = f"{results[0]['rate']:,.0f}–{results[-1]['rate']:,.0f}"
    ctx.log(f"  webhook ({label}): {median['rate']:,.0f} deliveries/s ({rates}), p99 {median['p99']} ms, "
            f"lost {lost:.0f}")
    checks = [Check("≥ 2,000 deliveries/s", f"{median['rate']:,.0f}/s ({rates})", median["rate"] >= 2000),
              Check("p99 < 50 ms", f"{median['p99']:.1f} ms", median["p99"] < 50),
              Check("0 lost", f"{lost:.0f} of {count * len(results):,}", lost == 0)]
    return Outcome(f"webhook ingest, durable, {label} ({count:,} deliveries)", checks=checks)


def run(ctx: Context, count: int = 10_000) -> list[Outcome]:
    """Ingest alone (``--workers 0``), then with the runs executing meanwhile on the same cores."""
    if not Path(SCRIPT).exists():
        return [Outcome("webhook ingest, durable", note="bench/webhook_ingest.py is missing")]
    alone = _measure(ctx, count, 0, "ingest alone")
    shared = _measure(ctx, count, None, "runs executing on the same cores")
    shared.note = (f"the load generator, the server and one worker per core (running every delivery's job) "
                   f"share {os.cpu_count()} cores; ingest alone is the row above")
    return [alone, shared]
