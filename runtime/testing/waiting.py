"""Small helpers for tests that talk to servers: a free loopback port, and polling with a deadline.

Example:
    >>> port = free_port(); 1024 < port < 65536
    True
    >>> wait_until(lambda: 42)
    42
"""

from __future__ import annotations

import socket
import time
from typing import Any, Callable

__all__ = ["free_port", "wait_until"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
               message: str | Callable[[], str] = "timed out") -> Any:
    """Poll ``predicate`` until it returns something truthy and return that; fail after ``timeout`` s.

    ``message`` (or its result, when callable) is the ``AssertionError``'s text, so a test can
    show the server's log when it gives up.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)
