"""Faults the simulator injects on HQ's API paths (``/a/...``), switchable at run time.

Settings (all off by default):

- ``rate_limit``: at most N requests per second; the rest get 429 with ``Retry-After``.
- ``retry_after``: seconds announced in ``Retry-After`` (default 1).
- ``throttle_next`` / ``fail_next`` / ``drop_next``: the next N requests get 429 / 500 / a dropped
  connection (deterministic, for tests).
- ``error_rate``: the share (0..1) of requests answered 500.
- ``drop_rate``: the share of requests whose connection is closed without an answer.
- ``latency``: seconds added before every answer.

Example:
    >>> faults = Faults()
    >>> faults.set(fail_next=1)["fail_next"]
    1
    >>> faults.verdict(), faults.verdict()
    ((500, {}), None)
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque

__all__ = ["Faults", "DEFAULTS"]

DEFAULTS = {"rate_limit": None, "retry_after": 1, "throttle_next": 0, "fail_next": 0, "drop_next": 0,
            "error_rate": 0.0, "drop_rate": 0.0, "latency": 0.0}


class Faults:
    """The current fault settings and the decision, per request, of which fault (if any) applies.

    Example:
        >>> Faults().set(latency=0.01)["latency"]
        0.01
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._settings = dict(DEFAULTS)
        self._random = random.Random(seed)
        self._recent: deque[float] = deque()

    def set(self, **changes) -> dict:
        """Change some settings (unknown names raise ``ValueError``) and return them all.

        Example:
            >>> Faults().set(rate_limit=10, retry_after=2)["retry_after"]
            2
        """
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        with self._lock:
            for name, value in changes.items():
                if name == "rate_limit":
                    self._settings[name] = None if value is None else int(value)
                else:
                    self._settings[name] = type(DEFAULTS[name])(value)
            return dict(self._settings)

    def clear(self) -> dict:
        """Switch every fault off.

        Example:
            >>> faults = Faults(); _ = faults.set(error_rate=0.5)
            >>> faults.clear()["error_rate"]
            0.0
        """
        with self._lock:
            self._settings = dict(DEFAULTS)
            self._recent.clear()
            return dict(self._settings)

    def settings(self) -> dict:
        """A copy of the current settings.

        Example:
            >>> Faults().settings()["rate_limit"] is None
            True
        """
        with self._lock:
            return dict(self._settings)

    def _rate_limited(self, now: float) -> bool:
        limit = self._settings["rate_limit"]
        if limit is None:
            return False
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= limit:
            return True
        self._recent.append(now)
        return False

    def _take(self, name: str) -> bool:
        if self._settings[name] > 0:
            self._settings[name] -= 1
            return True
        return False

    def verdict(self) -> tuple[int, dict] | str | None:
        """Sleep the latency, then return ``None``, ``"drop"`` or ``(status, headers)`` for this request.

        Example:
            >>> faults = Faults(); _ = faults.set(throttle_next=1, retry_after=5)
            >>> faults.verdict()
            (429, {'Retry-After': '5'})
        """
        latency = self._settings["latency"]
        if latency:
            time.sleep(latency)
        with self._lock:
            throttled = (429, {"Retry-After": str(self._settings["retry_after"])})
            if self._take("drop_next"):
                return "drop"
            if self._take("throttle_next"):
                return throttled
            if self._take("fail_next"):
                return (500, {})
            if self._rate_limited(time.monotonic()):
                return throttled
            if self._settings["drop_rate"] and self._random.random() < self._settings["drop_rate"]:
                return "drop"
            if self._settings["error_rate"] and self._random.random() < self._settings["error_rate"]:
                return (500, {})
        return None
