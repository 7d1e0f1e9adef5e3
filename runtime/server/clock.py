"""The server's clock for schedules and retention, with a test hook that makes time pass faster or later.

Cron triggers fire by :meth:`ServerClock.now` and retention measures ages by
it. In production it is the system clock. Tests set ``PYFN_TEST_CLOCK`` in the
server's environment (never set it in production):

| value | effect |
|---|---|
| ``speed=120`` | 120 clock seconds pass per real second: ``* * * * *`` fires every half second |
| ``speed=120,origin=1716000000`` | the same, continuous across restarts: the fast clock equals the real one at ``origin`` (a Unix time), so a server stopped for 3 s missed 6 minutes of schedules |
| ``offset=259200`` | the clock runs 3 days ahead: retention sees every run as 3 days older |

Times recorded in the run store (``inserted_at``, ``finished_at``…) stay real;
only cron firings' ``scheduled_at`` are clock times. Retry delays and run
limits are real time.

Example:
    >>> clock = ServerClock(speed=60, origin=1_700_000_000, offset=0)
    >>> clock.real_seconds(60)
    1.0
    >>> ServerClock.parse("offset=86400").offset, ServerClock().is_test
    (86400.0, False)
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass, field
from typing import Mapping

__all__ = ["ServerClock", "ENV"]

ENV = "PYFN_TEST_CLOCK"


@dataclass(frozen=True)
class ServerClock:
    """``now = origin + (real - origin) * speed + offset``; the system clock by default (see the module docstring)."""

    speed: float = 1.0
    origin: float = field(default_factory=time.time)
    offset: float = 0.0

    @classmethod
    def parse(cls, text: str) -> "ServerClock":
        """Read ``speed=…,origin=…,offset=…`` (any of them); raise ``ValueError`` on anything else."""
        values: dict[str, float] = {}
        for part in filter(None, (item.strip() for item in text.split(","))):
            name, _, number = part.partition("=")
            if name not in ("speed", "origin", "offset"):
                raise ValueError(f"{ENV}: unknown setting {name!r} (expected speed, origin, offset)")
            values[name] = float(number)
        if values.get("speed", 1.0) <= 0:
            raise ValueError(f"{ENV}: speed must be greater than 0")
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "ServerClock":
        """The clock ``PYFN_TEST_CLOCK`` asks for, or the system clock."""
        text = environ.get(ENV, "").strip()
        return cls.parse(text) if text else cls()

    @property
    def is_test(self) -> bool:
        return self.speed != 1.0 or self.offset != 0.0

    def now(self) -> _dt.datetime:
        """The clock's current time, an aware UTC datetime."""
        real = time.time()
        seconds = self.origin + (real - self.origin) * self.speed + self.offset
        return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)

    def real_seconds(self, clock_seconds: float) -> float:
        """How long ``clock_seconds`` of this clock take in real time."""
        return clock_seconds / self.speed

    def describe(self) -> str:
        return f"{ENV}: speed {self.speed:g}, offset {self.offset:g}s (a test clock: never in production)"
