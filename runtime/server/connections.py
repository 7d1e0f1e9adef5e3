"""Slow and idle clients cannot stop ``pyfn serve`` from answering valid deliveries.

- **Request head deadline**: a connection must send a complete request head (request line and
  headers) within ``head_timeout_s`` of opening, or of its previous answer; otherwise it is
  closed. Closings are logged as one line per second at most:
  ``[SRV] ⚠ closed 1100 connection(s) that sent no complete request within 10s``.
- **Body deadline**: a webhook body must arrive within ``body_timeout_s`` (408 otherwise; the
  request's log line says so) — see ``runtime.server.payload.read_body``.
- **Connection limit**: past ``max_connections`` open connections, a new request gets 503 (the
  sender retries) instead of exhausting the process's file descriptors; the soft limit of open
  files is raised to fit it where the hard limit allows.

The deadline is added to uvicorn's httptools protocol (:func:`guarded_protocol`), the one
pyfn serves with; it also sends each answer's head and body in one write.

Example:
    >>> protocol = guarded_protocol(head_timeout_s=10, on_close=lambda count: None)
    >>> protocol.__name__
    'GuardedHttpToolsProtocol'
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any, Callable

__all__ = ["guarded_protocol", "raise_open_files_limit"]


def guarded_protocol(head_timeout_s: float, on_close: Callable[[int], None]) -> type:
    """uvicorn's httptools protocol with the request head deadline; ``on_close(n)`` reports closings."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    tally = _Tally(on_close)

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_head()

        def on_headers_complete(self) -> None:
            self._disarm_head()
            super().on_headers_complete()
            cycle = self.cycle
            if cycle is not None and not isinstance(cycle.transport, _OneWriteAnswer):
                cycle.transport = held = _OneWriteAnswer(cycle)
                answered = cycle.on_response
                cycle.on_response = lambda: (held.flush(), answered())

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
                self._arm_head()  # waiting for the next request on this connection

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head()
            super().connection_lost(exc)

        def _arm_head(self) -> None:
            self._disarm_head()
            self._head_timer = self.loop.call_later(head_timeout_s, self._head_expired)

        def _disarm_head(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_expired(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()
                tally.add(self.loop)

    return GuardedHttpToolsProtocol


class _OneWriteAnswer:
    """A request's view of the connection: the answer's head goes out with the first body write after it.

    uvicorn writes a response's head and its body separately; on a keep-alive connection with
    ``TCP_NODELAY`` that is two sends, two packets and two wake-ups of the client for every
    webhook answer. The head is held until the body's first write (or the answer's end, or a
    close); anything written before the head (``100 Continue``) goes out at once.
    """

    def __init__(self, cycle: Any):
        self.cycle, self.transport = cycle, cycle.transport
        self.head: bytes | None = None
        self.head_seen = False

    def write(self, data: bytes) -> None:
        if not self.head_seen and self.cycle.response_started:  # the head: wait for the body
            self.head, self.head_seen = data, True
            return
        if self.head is not None:
            data, self.head = self.head + data, None
        self.transport.write(data)

    def flush(self) -> None:
        if self.head is not None:
            self.write(b"")

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class _Tally:
    """Counts closed connections and reports them at most once a second."""

    def __init__(self, report: Callable[[int], None]):
        self.report, self.count, self.pending = report, 0, False

    def add(self, loop: asyncio.AbstractEventLoop) -> None:
        self.count += 1
        if not self.pending:
            self.pending = True
            loop.call_later(1.0, self._flush)

    def _flush(self) -> None:
        count, self.count, self.pending = self.count, 0, False
        if count:
            self.report(count)


def raise_open_files_limit(wanted: int) -> int:
    """Raise the soft limit of open files towards ``wanted`` (within the hard limit); return the limit.

    Example:
        >>> raise_open_files_limit(64) >= 64
        True
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft
