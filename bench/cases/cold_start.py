"""Cold start: a one-operation job, whole process, pyfn vs the OpenFn runtime (targets: time ≤ 0.15×, RSS ≤ 0.5×)."""

from __future__ import annotations

import json

from ..peers import openfn_command
from ..race import JOBS, Context, Outcome, pyfn_command, race

__all__ = ["run"]

STATE = {"data": {"name": "Ann"}, "configuration": {"secret": "s3cret"}}


def run(ctx: Context) -> Outcome:
    """Race ``jobs/trivial.py`` against ``jobs/trivial.js``."""
    state = ctx.workdir / "trivial-state.json"
    state.write_text(json.dumps(STATE))
    ours = pyfn_command(JOBS / "trivial.py", "common", state)
    pyfn, peer = race(ctx, "cold_start", ours, lambda out: openfn_command(JOBS / "trivial.js", state, out))
    return Outcome("cold start, trivial job", pyfn, peer, "OpenFn runtime", time_target=0.15, rss_target=0.5)
