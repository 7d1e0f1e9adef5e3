"""The plumbing of the loopback test servers: recorded requests, canned responses, HTTP/1.1 handling.

``RecordedRequest`` is what a test asserts on; ``Response`` is what a route answers;
``RecordingServer`` with ``RecordingHandler`` is a keep-alive HTTP/1.1 server whose
accepted sockets set ``TCP_NODELAY``; it hands each request to ``server.api.answer``.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable
from urllib.parse import urlsplit

from adaptors.http.urls import parse_query  # Node's querystring shape, as jobs see it

__all__ = ["RecordedRequest", "RecordingHandler", "RecordingServer", "Response", "as_response"]

@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str | list[str]]
    query_string: str
    headers: dict[str, str]
    body: bytes
    client: tuple[str, int]

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", errors="replace")

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def as_dict(self) -> dict[str, Any]:
        """What ``/echo`` answers: the request as JSON-safe data."""
        return {"method": self.method, "path": self.path, "query": self.query,
                "headers": self.headers, "body": self.text if self.body else None,
                "json": self.json}


@dataclass
class Response:
    """An answer. ``body``: bytes or str as is, an iterable of bytes streamed, anything else JSON.

    A header given as ``None`` is not sent (``{"Content-Type": None}``: no content type).
    """

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes | Iterable[bytes], dict[str, str]]:
        """The body to write and the headers, with a content type guessed when missing."""
        headers = dict(self.headers)
        body, content_type = _encode_body(self.body)
        if content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
        return body, headers


def _encode_body(body: Any) -> tuple[bytes | Iterable[bytes], str | None]:
    if body is None:
        return b"", None
    if isinstance(body, (bytes, bytearray)):
        return bytes(body), "application/octet-stream"
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain; charset=utf-8"
    if isinstance(body, (dict, list, int, float, bool)):
        return json.dumps(body).encode("utf-8"), "application/json"
    return body, "application/octet-stream"


def as_response(value: Any) -> Response:
    return value if isinstance(value, Response) else Response(200, value)


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    api: Any  # the DestinationAPI (or any object with answer(request) -> Response)

    def server_bind(self) -> None:
        super().server_bind()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    def close_connections(self) -> None:
        with self.connections_lock:
            for sock in list(self.connections):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up or reject our certificate are not the server's problem


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: RecordingServer

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read api.requests, not stderr

    def _dispatch(self) -> None:
        request = self._read_request()
        self.server.api._record(request)
        try:
            response = self.server.api.answer(request)
        except Exception as error:  # a broken user route answers 500 instead of hanging up
            response = Response(500, {"error": "destination route failed", "detail": repr(error)})
        if response.delay:
            time.sleep(response.delay)
        self._write(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _read_request(self) -> RecordedRequest:
        parts = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return RecordedRequest(self.command, parts.path, parse_query(parts.query), parts.query,
                               headers, self._read_body(), self.client_address)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _write(self, response: Response) -> None:
        body, headers = response.encoded()
        self.send_response(response.status)
        names = {k.lower() for k in headers}
        streamed = not isinstance(body, bytes)
        no_body = response.status < 200 or response.status in (204, 304)
        if streamed and "content-length" not in names:
            headers["Transfer-Encoding"] = "chunked"
        elif not streamed and not no_body and "content-length" not in names:
            headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            if value is not None:
                self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD" or no_body:
            return
        self._write_body(body, chunked=headers.get("Transfer-Encoding") == "chunked")

    def _write_body(self, body: bytes | Iterable[bytes], chunked: bool) -> None:
        if isinstance(body, bytes):
            self.wfile.write(body)
            return
        for piece in body:
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
