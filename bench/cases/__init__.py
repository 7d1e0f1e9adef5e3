"""The benchmark cases, one module each; :data:`CASES` is the order ``bench/run.py`` runs them in.

:data:`ON_REQUEST` names the slower cases ``bench/run.py`` runs only when ``--only`` names them.
Each ``run(ctx)`` returns an ``Outcome`` (a row of the table), or a list of them.
"""

from __future__ import annotations

from . import cold_start, commcare_pull, each_fn, history, http_gets, ingest_floor, runs_drain, scale_out, webhook

__all__ = ["CASES", "ON_REQUEST"]

CASES = {
    "cold_start": cold_start.run,
    "each_fn": each_fn.run,
    "http_gets": http_gets.run,
    "commcare_pull": commcare_pull.run,
    "webhook": webhook.run,
    "ingest_floor": ingest_floor.run,
    "history": history.run,
    "runs_drain": runs_drain.run,
    "scale_out": scale_out.run,
}
ON_REQUEST = ("ingest_floor", "history", "runs_drain", "scale_out")
