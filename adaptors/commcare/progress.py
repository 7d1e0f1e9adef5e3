"""Progress of a long pull: a bar on a terminal, a log line per page elsewhere.

When stderr is a terminal the bar is redrawn in place (carriage return) and ended with a newline;
otherwise each page logs one INFO line on ``pyfn.adaptor.commcare``, e.g.
``cases: page 12, 12000/100000 (12%), 8450/s``. Counts are documents delivered to the job (the
overlap of an inclusive bound is not counted twice); the total is HQ's estimate and may grow while
the pull runs.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

__all__ = ["Progress"]

log = logging.getLogger("pyfn.adaptor.commcare")
_WIDTH = 30


class Progress:
    """Counts pages and documents of one pull and reports them after each page.

    Args:
        label: what is pulled (``"cases"``, ``"forms"``, a path).
        enabled: ``False`` reports nothing.
        stream: where the bar goes (default ``sys.stderr``); a bar only when it is a terminal.

    Example:
        progress = Progress("cases")
        progress.page(1000, total=20000)
        progress.done()
    """

    def __init__(self, label: str, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.label, self.enabled = label, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.pages = self.count = 0
        self.total: int | None = None
        self.started = time.perf_counter()
        isatty = getattr(self.stream, "isatty", None)
        self.bar = bool(enabled and isatty and isatty())

    def rate(self) -> float:
        """Documents per second since the start."""
        return self.count / max(time.perf_counter() - self.started, 1e-9)

    def line(self) -> str:
        """``cases: page 12, 12000/100000 (12%), 8450/s`` (no total: ``12000``)."""
        if self.total:
            shown = max(self.total, self.count)
            counts = f"{self.count}/{shown} ({self.count * 100 // shown}%)"
        else:
            counts = str(self.count)
        return f"{self.label}: page {self.pages}, {counts}, {self.rate():.0f}/s"

    def page(self, added: int, total: int | None = None) -> None:
        """Record one page of ``added`` documents (``total``: HQ's count of all, when known)."""
        self.pages += 1
        self.count += added
        if total is not None:
            self.total = total
        if not self.enabled:
            return
        if self.bar:
            self._draw()
        else:
            log.info(self.line())

    def _draw(self) -> None:
        filled = _WIDTH * self.count // self.total if self.total else 0
        bar = "#" * min(filled, _WIDTH) + "-" * (_WIDTH - min(filled, _WIDTH))
        self.stream.write(f"\r{self.label} [{bar}] {self.line().split(', ', 1)[1]}")
        self.stream.flush()

    def done(self) -> None:
        """End the bar's line (nothing to do for log lines)."""
        if self.bar and self.pages:
            self.stream.write("\n")
            self.stream.flush()
