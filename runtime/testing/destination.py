"""A recording HTTP server on 127.0.0.1 for loopback tests of jobs and adaptors.

``DestinationAPI`` stands in for the systems a job pushes to or pulls from (a CRM, an SMS
gateway, a warehouse). It is a real HTTP/1.1 server with keep-alive, run in a background
thread, so the code under test goes through its real transport (sessions, pools, TLS,
redirects, gzip, timeouts). Every request it receives is kept in ``api.requests``.

Example:
    >>> with DestinationAPI() as api:
    ...     api.route("POST", "/patients", Response(201, {"id": 7}))
    ...     # run the job against {"configuration": {"baseUrl": api.url}} ...
    ...     # assert api.requests[-1].json == {"name": "Ann"}

Built-in routes (any method unless said; a user route on the same path wins):

| path | answer |
|---|---|
| ``/echo[/...]`` | 200, JSON ``{method, path, query, headers, body, json}`` of what was received |
| ``/status/<code>`` | that status, JSON ``{"status": code}`` (no body for 1xx/204/304) |
| ``/redirect/<n>`` | ``?status=`` (302) to ``/redirect/<n-1>``; ``/redirect/0`` echoes |
| ``/slow/<ms>`` | waits ``ms`` then 200 ``{"slept_ms": ms}`` |
| ``/retry-after/<n>`` | 429 (``?status=``) with ``Retry-After: <?seconds=, 1>`` (an HTTP date with ``?date=1``) for the first ``n`` calls per ``?key=`` (default: path and query), then 200 ``{"attempts": k}`` |
| ``/gzip`` | gzip-encoded JSON |
| ``/large/<bytes>`` | ``application/octet-stream`` of that many bytes, streamed |
| ``/xml``, ``/html``, ``/csv`` | small sample documents (``SAMPLE_XML``…) |
| anything else | 404, JSON ``{"error": "not found", "path": path}`` |

HTTPS: pass ``ssl_context=`` (a server-side ``ssl.SSLContext``); ``api.url`` is then ``https://``.
Accepted sockets get ``TCP_NODELAY`` so keep-alive clients never wait on delayed ACKs.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import re
import ssl
import threading
import time
from typing import Any, Callable, Iterator

from runtime.testing.recording import RecordedRequest, RecordingHandler, RecordingServer, Response, as_response

__all__ = ["DestinationAPI", "RecordedRequest", "Response", "SAMPLE_CSV", "SAMPLE_HTML", "SAMPLE_XML"]

SAMPLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<patients xmlns:h="http://example.org/health">
  <patient id="1" status="active"><name>Ann</name><h:age>30</h:age></patient>
  <patient id="2" status="inactive"><name>Bob</name><h:age>41</h:age></patient>
  <patient id="3" status="active"><name>Cy</name><h:age>45</h:age></patient>
</patients>
"""
SAMPLE_HTML = """<!DOCTYPE html>
<html><head><title>Clinics</title><meta charset="utf-8"></head>
<body><h1 id="title">Clinics</h1><br>
<table class="data clinics"><tr><th>Name</th><th>Beds</th></tr>
<tr><td>North</td><td>12</td></tr><tr><td>South<td>7</tr></table>
<ul><li>one<li>two</ul><p>Last <b>updated</b> today</body></html>
"""
SAMPLE_CSV = "name,age\nAnn,30\nBob,41\nCy,45\n"

Handler = Callable[["RecordedRequest"], Any]


class DestinationAPI:
    """A recording HTTP server; use as a context manager or call ``start``/``stop``.

    Args:
        host: interface to bind (loopback by default).
        port: 0 picks a free port.
        ssl_context: a server-side ``ssl.SSLContext`` to serve HTTPS.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.host, self._port, self.ssl_context = host, port, ssl_context
        self.requests: list[RecordedRequest] = []
        self._routes: dict[tuple[str, str], Handler | Response | Any] = {}
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: RecordingServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "DestinationAPI":
        """Bind and serve in a daemon thread; returns ``self``."""
        server = RecordingServer((self.host, self._port), RecordingHandler)
        server.api = self
        if self.ssl_context is not None:
            server.socket = self.ssl_context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="destination-api",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "DestinationAPI":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        assert self._server is not None, "DestinationAPI is not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https`` with an ``ssl_context``), no trailing slash."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    # -- routes and records ----------------------------------------------------------------
    def route(self, method: str, path: str, response: Handler | Response | Any = None, *,
              status: int | None = None, body: Any = None, headers: dict[str, str | None] | None = None) -> None:
        """Answer ``method`` (``"*"`` for any) on ``path`` (query ignored); ``/contacts/*`` is a prefix.

        ``response`` is a ``Response``, a callable ``(RecordedRequest) -> Response | data``
        called per request, or plain data answered as a 200 (dict/list as JSON, str as text).
        Or give ``status=``, ``body=`` (data, str or bytes) and ``headers=`` for a fixed answer.

        Example:
            api.route("POST", "/sms", status=401, body={"error": "bad token"}, headers={"WWW-Authenticate": "Bearer"})
        """
        if status is not None or body is not None or headers is not None:
            if response is not None:
                raise TypeError("route() takes a response or status=/body=/headers=, not both")
            response = Response(200 if status is None else status, body, dict(headers or {}))
        self._routes[(method.upper(), path)] = response

    def reset(self, routes: bool = False) -> None:
        """Forget recorded requests and ``/retry-after`` counters (and user routes if asked)."""
        with self._lock:
            self.requests.clear()
            self._counters.clear()
            if routes:
                self._routes.clear()

    @property
    def last(self) -> RecordedRequest:
        """The most recent request."""
        return self.requests[-1]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _count(self, key: str) -> int:
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def answer(self, request: RecordedRequest) -> Response:
        """The response to ``request``: a user route, else a built-in, else 404."""
        handler = self._route_for(request)
        if handler is not None:
            result = handler(request) if callable(handler) else handler
            return as_response(result)
        for pattern, name in _BUILTINS:
            match = pattern.fullmatch(request.path)
            if match:
                return getattr(self, name)(request, *match.groups())
        return Response(404, {"error": "not found", "path": request.path})

    def _route_for(self, request: RecordedRequest) -> Any:
        for method in (request.method, "*"):
            if (method, request.path) in self._routes:
                return self._routes[(method, request.path)]
        prefixes = [(path, handler) for (method, path), handler in self._routes.items()
                    if path.endswith("*") and method in (request.method, "*")
                    and request.path.startswith(path[:-1])]
        return max(prefixes, key=lambda item: len(item[0]))[1] if prefixes else None

    # -- built-in routes -------------------------------------------------------------------
    def _echo(self, request: RecordedRequest, _rest: str | None = None) -> Response:
        return Response(200, request.as_dict())

    def _status(self, request: RecordedRequest, code: str) -> Response:
        status = int(code)
        if status < 200 or status in (204, 304):
            return Response(status)
        return Response(status, {"status": status, "path": request.path})

    def _redirect(self, request: RecordedRequest, count: str) -> Response:
        remaining = int(count)
        if remaining == 0:
            return self._echo(request)
        status = int(_first(request.query, "status", "302"))
        query = f"?{request.query_string}" if request.query_string else ""
        return Response(status, {"redirect": remaining},
                        {"Location": f"/redirect/{remaining - 1}{query}"})

    def _slow(self, request: RecordedRequest, ms: str) -> Response:
        return Response(200, {"slept_ms": int(ms)}, delay=int(ms) / 1000)

    def _retry_after(self, request: RecordedRequest, failures: str) -> Response:
        key = _first(request.query, "key", f"{request.path}?{request.query_string}")
        attempt = self._count(key)
        if attempt > int(failures):
            return Response(200, {"attempts": attempt})
        seconds = _first(request.query, "seconds", "1")
        value = seconds
        if _first(request.query, "date", ""):
            value = email.utils.formatdate(time.time() + float(seconds), usegmt=True)
        status = int(_first(request.query, "status", "429"))
        return Response(status, {"error": "slow down", "attempt": attempt}, {"Retry-After": value})

    def _gzip(self, request: RecordedRequest) -> Response:
        payload = json.dumps({"gzipped": True, "items": list(range(100))}).encode()
        return Response(200, gzip.compress(payload),
                        {"Content-Type": "application/json", "Content-Encoding": "gzip"})

    def _large(self, request: RecordedRequest, size: str) -> Response:
        total = int(size)
        return Response(200, _pattern_chunks(total), {"Content-Type": "application/octet-stream",
                                                      "Content-Length": str(total)})

    def _xml(self, request: RecordedRequest) -> Response:
        return Response(200, SAMPLE_XML, {"Content-Type": "application/xml; charset=utf-8"})

    def _html(self, request: RecordedRequest) -> Response:
        return Response(200, SAMPLE_HTML, {"Content-Type": "text/html; charset=utf-8"})

    def _csv(self, request: RecordedRequest) -> Response:
        return Response(200, SAMPLE_CSV, {"Content-Type": "text/csv; charset=utf-8"})


_BUILTINS = [(re.compile(p), n) for p, n in [
    (r"/echo(/.*)?", "_echo"), (r"/status/(\d{3})", "_status"), (r"/redirect/(\d+)", "_redirect"),
    (r"/slow/(\d+)", "_slow"), (r"/retry-after/(\d+)", "_retry_after"), (r"/gzip", "_gzip"),
    (r"/large/(\d+)", "_large"), (r"/xml", "_xml"), (r"/html", "_html"), (r"/csv", "_csv")]]


def _first(query: dict[str, str | list[str]], key: str, default: str) -> str:
    value = query.get(key, default)
    return value[0] if isinstance(value, list) else value


def _pattern_chunks(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of a repeating ``0-9a-z`` pattern, ``chunk`` at a time (never all in memory)."""
    block = (b"0123456789abcdefghijklmnopqrstuvwxyz" * (chunk // 36 + 1))[:chunk]
    sent = 0
    while sent < total:
        size = min(chunk, total - sent)
        yield block[:size]
        sent += size


