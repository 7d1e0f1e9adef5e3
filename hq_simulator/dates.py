"""Timestamps as HQ writes and reads them.

Inside the simulator every timestamp is an integer count of microseconds since
the Unix epoch (UTC); on the wire it is ISO 8601 with six fraction digits and a
``Z`` (``2024-05-02T10:15:42.530616Z``), as HQ serialises dates.

Example:
    >>> iso(parse("2024-05-02T10:15:42.5Z"))
    '2024-05-02T10:15:42.500000Z'
"""

from __future__ import annotations

import functools
import re
import time
from datetime import datetime, timedelta, timezone

__all__ = ["iso", "parse", "parse_bound", "now"]

_EPOCH = datetime(1970, 1, 1)
_DAY = 86_400_000_000
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now() -> int:
    """Return the current time in microseconds since the epoch.

    Example:
        >>> now() > 1_700_000_000_000_000
        True
    """
    return time.time_ns() // 1000


def iso(us: int | None) -> str | None:
    """Format microseconds since the epoch as HQ's ISO 8601 string (``None`` stays ``None``).

    Example:
        >>> iso(0)
        '1970-01-01T00:00:00.000000Z'
    """
    if us is None:
        return None
    seconds, fraction = divmod(us, 1_000_000)
    return f"{(_EPOCH + timedelta(seconds=seconds)).isoformat()}.{fraction:06d}Z"


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> int:
    """Parse ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]`` to microseconds.

    Raises ``ValueError`` for anything else, which the APIs turn into a 400.

    Example:
        >>> parse("1970-01-02")
        86400000000
    """
    text = text.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text.replace(" ", "T", 1))
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_bound(text: str, upper: bool) -> int:
    """Parse a filter bound; a date-only upper bound covers its whole day (inclusive).

    Example:
        >>> parse_bound("1970-01-01", upper=True)
        86399999999
    """
    value = parse(text)
    if upper and _DATE_ONLY.match(text.strip()):
        return value + _DAY - 1
    return value
