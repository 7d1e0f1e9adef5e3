"""The server's clock for schedules and retention: the system clock, or one that runs faster or ahead.

Cron triggers fire by :meth:`ServerClock.now` and retention measures ages by
it. ``pyfn serve`` uses the system clock; a program that starts the server
itself may hand it another (``serve(options, clock=...)``, or the CLI's
context object ``app(args, obj=ServerClock(...))``), as pyfn's own tests do to
make a day pass in a second:

| clock | effect |
|---|---|
| ``ServerClock(speed=120)`` | 120 clock seconds pass per real second: ``* * * * *`` fires every half second |
| ``ServerClock(speed=120, origin=1716000000)`` | the same, continuous across restarts: the fast clock equals the real one at ``origin`` (a Unix time), so a server stopped for 3 s missed 6 minutes of schedules |
| ``ServerClock(offset=259200)`` | the clock runs 3 days ahead: retention sees every run as 3 days older |

Times recorded in the run store (``inserted_at``, ``finished_at``…) stay real;
only cron firings' ``scheduled_at`` are clock times. Retry delays and run
limits are real time.

Example:
    >>> clock = ServerClock(speed=60, origin=1_700_000_000, offset=0)
    >>> clock.real_seconds(60)
    1.0
    >>> ServerClock(offset=86400).is_test, ServerClock().is_test
    (True, False)
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field

__all__ = ["ServerClock"]


@dataclass(frozen=True)
class ServerClock:
    """``now = origin + (real - origin) * speed + offset``; the system clock by default (see the module docstring)."""

    speed: float = 1.0
    origin: float = field(default_factory=time.time)
    offset: float = 0.0

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("a clock's speed must be greater than 0")

    @property
    def is_test(self) -> bool:
        """Whether this clock differs from the system clock (the server warns at start)."""
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
        """The warning the server logs for a clock that is not the system's.

        Example:
            >>> ServerClock(speed=2).describe()
            'clock: speed 2, offset 0s (not the system clock: for tests, never in production)'
        """
        return (f"clock: speed {self.speed:g}, offset {self.offset:g}s "
                f"(not the system clock: for tests, never in production)")
