"""``each`` + ``fn`` over 100,000 records (a 5.6 MB input state), pyfn vs the OpenFn runtime (≤ 0.25×)."""

from __future__ import annotations

import json
from pathlib import Path

from ..peers import openfn_command
from ..race import JOBS, Context, Outcome, pyfn_command, race

__all__ = ["records", "write_state", "run"]

DISTRICTS = ("KSM", "NBI", "MSA", "NKR", "ELD")
NAMES = ("amina", "baraka", "chiku", "daudi", "esther", "faraji", "grace", "hamisi")


def records(count: int) -> list[dict]:
    """``count`` case-like records, the same every time (about 56 bytes each as JSON)."""
    return [{"id": f"c{i:05d}", "name": NAMES[i * 3 % 8], "district": DISTRICTS[i * 7 % 5],
             "visits": i * 13 % 10} for i in range(count)]


def write_state(path: Path, count: int) -> Path:
    """Write the input state (``data.records``, a configuration secret) to ``path``."""
    path.write_text(json.dumps({"data": {"records": records(count)}, "configuration": {"secret": "s3cret"}},
                               separators=(",", ":")))
    return path


def run(ctx: Context, count: int = 100_000) -> Outcome:
    """Race ``jobs/each_fn.py`` against ``jobs/each_fn.js`` over ``count`` records."""
    state = write_state(ctx.workdir / "each-state.json", count)
    ours = pyfn_command(JOBS / "each_fn.py", "common", state)
    pyfn, peer = race(ctx, "each_fn", ours, lambda out: openfn_command(JOBS / "each_fn.js", state, out))
    megabytes = state.stat().st_size / 1e6
    return Outcome(f"each + fn, {count:,} records ({megabytes:.1f} MB)", pyfn, peer, "OpenFn runtime",
                   time_target=0.25)
