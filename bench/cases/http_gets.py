"""1,000 sequential GETs on one keep-alive connection, pyfn vs the OpenFn runtime (target ≤ 0.4×).

Both runtimes hit the same ``DestinationAPI`` (``bench/servers.py destination``), a process of its
own that sets ``TCP_NODELAY``, so neither side pays 40 ms delayed-ACK stalls.
"""

from __future__ import annotations

import json

from ..peers import openfn_command
from ..race import JOBS, Context, Outcome, pyfn_command, race
from ..servers import serve

__all__ = ["run"]


def run(ctx: Context, count: int = 1000) -> Outcome:
    """Race ``jobs/http_gets.py`` against ``jobs/http_gets.js`` over ``count`` ids."""
    with serve("destination") as url:
        state = ctx.workdir / "gets-state.json"
        state.write_text(json.dumps({"data": {"ids": list(range(1, count + 1))},
                                     "configuration": {"baseUrl": url}}))
        ours = pyfn_command(JOBS / "http_gets.py", "http", state)
        pyfn, peer = race(ctx, "http_gets", ours, lambda out: openfn_command(JOBS / "http_gets.js", state, out))
    return Outcome(f"{count:,} sequential GETs, keep-alive", pyfn, peer, "OpenFn runtime", time_target=0.4)
