"""The benchmark cases, one module each; :data:`CASES` is the order ``bench/run.py`` runs them in.

Each ``run(ctx)`` returns an ``Outcome`` (a row of the table), or a list of them.
"""

from __future__ import annotations

from . import cold_start, commcare_pull, each_fn, http_gets, webhook

__all__ = ["CASES"]

CASES = {
    "cold_start": cold_start.run,
    "each_fn": each_fn.run,
    "http_gets": http_gets.run,
    "commcare_pull": commcare_pull.run,
    "webhook": webhook.run,
}
