"""Small helpers for tests that talk to servers: a free loopback port, polling with a deadline,
and stopping a server process the way an operator would.

Example:
    >>> port = free_port(); 1024 < port < 65536
    True
    >>> wait_until(lambda: 42)
    42
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from typing import Any, Callable

__all__ = ["free_port", "wait_until", "stop_process"]


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


def stop_process(process: subprocess.Popen | None, timeout: float = 30) -> int:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` s; its exit code (-9 when killed)."""
    if process is None or process.poll() is not None:
        return process.returncode if process else 0
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        return -9
