"""Scale-out on PostgreSQL: runs per second with 1, 2 and 4 ``pyfn worker`` processes, and the claim rate alone.

``bench/scale_workers.py`` runs jobs that GET a loopback HTTP destination answering after 50 ms
(the cores are not meant to be the limit), on a throwaway PostgreSQL cluster, and first claims
queued runs with no job at all (1, 2 and 4 connections). The target: 2 and 4 workers within 20% of
linear (rate(n) ≥ 0.8 × n × rate(1)).
"""

from __future__ import annotations

import os
import re
import sys

from ..measure import BenchError, run_process
from ..race import ROOT, Check, Context, Outcome

__all__ = ["run"]

SCRIPT = ROOT / "bench" / "scale_workers.py"
WORKERS = (1, 2, 4)


def run(ctx: Context, runs: int = 400, claims: int = 2_000) -> Outcome:
    """One pass of ``scale_workers.py``; its figures checked against linear scaling."""
    output = run_process([sys.executable, str(SCRIPT), "--runs", str(runs), "--workers", *map(str, WORKERS),
                          "--http-ms", "50", "--claims", str(claims)], cwd=ROOT).output
    rates = {int(n): float(r) for n, r in re.findall(r"(\d+) worker\(s\):\s+([\d.]+) runs/s", output)}
    claimed = dict(re.findall(r"claim rate alone, (\d+) connection\(s\):\s+([\d.]+) claims/s", output))
    if set(rates) != set(WORKERS):
        raise BenchError(f"scale_workers.py printed no rate for each worker count:\n{output[-2000:]}")
    ctx.log("  scale_out: " + ", ".join(f"{n} worker(s) {rates[n]:.1f} runs/s" for n in WORKERS)
            + "; claims alone " + ", ".join(f"{n} conn {float(r):.0f}/s" for n, r in claimed.items()))
    checks = [Check(f"{n} workers ≥ 0.8 × {n} × 1 worker", f"{rates[n]:.1f} / {n * rates[1]:.1f} runs/s = "
                    f"{rates[n] / (n * rates[1]):.2f} of linear", rates[n] >= 0.8 * n * rates[1])
              for n in WORKERS[1:]]
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    claims_text = ", ".join(f"{float(r):.0f}/s with {n} connection(s)" for n, r in claimed.items())
    return Outcome(f"scale-out on PostgreSQL, jobs waiting 50 ms on loopback HTTP ({runs} runs)", checks=checks,
                   note=f"claim rate alone: {claims_text}; 1 worker {rates[1]:.1f} runs/s; load average {load}")
