"""``pyfn serve`` on a test clock: ``python tests/server/serve_on_clock.py CLOCK serve PROJECT [OPTIONS]``.

CLOCK is ``speed=120``, ``speed=120,origin=1716000000`` or ``offset=259200`` (any of the three
settings of :class:`runtime.server.clock.ServerClock`); the rest is ``pyfn``'s command line. The
server tests start a server this way to make schedules fire every second or runs look days old.
"""

from __future__ import annotations

import sys

from runtime.cli import app
from runtime.server.clock import ServerClock


def parse_clock(text: str) -> ServerClock:
    """``speed=…,origin=…,offset=…`` (any of them) → the clock; ``ValueError`` on anything else.

    Example:
        >>> parse_clock("offset=86400").offset
        86400.0
    """
    values: dict[str, float] = {}
    for part in filter(None, (item.strip() for item in text.split(","))):
        name, _, number = part.partition("=")
        if name not in ("speed", "origin", "offset"):
            raise ValueError(f"unknown clock setting {name!r} (expected speed, origin, offset)")
        values[name] = float(number)
    return ServerClock(**values)


if __name__ == "__main__":
    sys.exit(app(args=sys.argv[2:], prog_name="pyfn", standalone_mode=True, obj=parse_clock(sys.argv[1])))
