"""HTTP plumbing: the router, authentication, fault injection and the threading server.

The server is the standard library's ``ThreadingHTTPServer`` speaking
HTTP/1.1 with keep-alive and ``TCP_NODELAY``. Each route is a method, a path
regex and a handler ``handler(request) -> Response``; a route's ``auth`` says
whether it needs an account with access to the ``domain`` in its path
(``"domain"``), any account (``"account"``) or nothing (``"none"``), and its
``style`` how errors look (``"tastypie"``: empty bodies, ``"json"``:
``{"error": ...}``, ``"xml"``: OpenRosa). A path that routes nowhere but would
with a trailing slash is answered 301 to the slashed path, as Django's
``APPEND_SLASH`` does on HQ.

Example:
    >>> app = App(accounts=None, faults=None)
    >>> app.route("GET", r"/ping/", lambda request: Response.json({"ok": True}), auth="none")
    >>> app.handle(Request("GET", "/ping/", "", {}, b"")).status
    200
"""

from __future__ import annotations

import logging
import re
import socket
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import unquote

from .messages import HTTPError, Request, Response

__all__ = ["App", "HTTPServer", "error_response"]

logger = logging.getLogger("pyfn.simulator")


@dataclass
class _Route:
    method: str
    pattern: re.Pattern
    handler: Callable[[Request], Response]
    auth: str
    style: str


def error_response(style: str, status: int, message: str, headers: dict | None = None) -> Response:
    """An error in a route's style: empty (tastypie), ``{"error": ...}`` (json) or OpenRosa (xml).

    Example:
        >>> error_response("json", 404, "Case 'x' not found").status
        404
    """
    if not message:
        return Response.empty(status, headers)
    if style == "json":
        return Response.json({"error": message}, status, headers)
    if style == "xml":
        from .submissions import openrosa_response
        return openrosa_response(status, "submit_error", message)
    if status == 400:  # Tastypie answers a bad filter in plain text
        return Response.text(message, status)
    return Response.empty(status, headers)


class App:
    """The router: matches a request to a route, authenticates it, applies faults, runs the handler.

    Example:
        >>> app = App(None, None)
        >>> app.route("GET", r"/x/", lambda request: Response.empty(204), auth="none")
        >>> app.handle(Request("POST", "/x/", "", {}, b"")).headers
        {'Content-Type': 'application/json', 'Allow': 'GET'}
    """

    def __init__(self, accounts, faults) -> None:
        self.accounts = accounts
        self.faults = faults
        self.routes: list[_Route] = []

    def route(self, method: str, pattern: str, handler: Callable, auth: str = "domain",
              style: str = "tastypie") -> None:
        """Add a route; ``pattern`` is a regex matched against the whole path.

        Example:
            >>> app = App(None, None)
            >>> app.route("GET", r"/a/(?P<domain>[^/]+)/ping/", lambda request: Response.json(request.match), auth="none")
            >>> app.handle(Request("GET", "/a/demo/ping/", "", {}, b"")).body
            b'{"domain": "demo"}'
        """
        self.routes.append(_Route(method, re.compile(pattern + r"\Z"), handler, auth, style))

    def _find(self, request: Request) -> tuple[_Route | None, list[str]]:
        allowed = []
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            if route.method == request.method:
                request.match = {k: unquote(v) for k, v in match.groupdict().items()}
                return route, allowed
            allowed.append(route.method)
        return None, allowed

    def _append_slash(self, request: Request) -> Response:
        """Django's ``APPEND_SLASH`` (``CommonMiddleware``, as HQ runs it): a path that routes nowhere but
        would with a slash is answered 301 to the slashed path, the query kept, whatever the method."""
        path = request.path + "/"
        if request.path.endswith("/") or not any(route.pattern.match(path) for route in self.routes):
            return Response.empty(404)
        location = path + (f"?{request.query_string}" if request.query_string else "")
        return Response(301, b"", {"Location": location})

    def _authorise(self, route: _Route, request: Request) -> Response | None:
        if route.auth == "none":
            return None
        request.account = self.accounts.authenticate(request.method, request.header("authorization"))
        if request.account is None:
            return error_response(route.style, 401, "", {"WWW-Authenticate": self.accounts.challenge()})
        domain = request.match.get("domain")
        if route.auth == "domain" and domain not in request.account["domains"]:
            return error_response(route.style, 403, f"You do not have access to the project '{domain}'.")
        return None

    def handle(self, request: Request) -> Response | None:
        """Answer a request; ``None`` means "drop the connection" (a fault).

        Example:
            >>> App(None, None).handle(Request("GET", "/nowhere/", "", {}, b"")).status
            404
        """
        if self.faults is not None and request.path.startswith("/a/"):
            verdict = self.faults.verdict()
            if verdict == "drop":
                return None
            if verdict is not None:
                status, headers = verdict
                return Response(status, b"" if status == 429 else b"Internal Server Error", headers)
        route, allowed = self._find(request)
        if route is None:
            if allowed:
                return Response.json({"error": "Request method not allowed"}, 405, {"Allow": ", ".join(allowed)})
            return self._append_slash(request)
        denied = self._authorise(route, request)
        if denied is not None:
            return denied
        try:
            return route.handler(request)
        except HTTPError as error:
            return error_response(route.style, error.status, error.message)
        except Exception:  # a bug in a handler must not kill the connection silently
            logger.error("simulator error on %s %s\n%s", request.method, request.path, traceback.format_exc())
            return Response.text("Internal Server Error", 500)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CommCareHQSimulator/1.0"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        logger.debug("%s - %s", self.address_string(), format % args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, path, query, headers, self._read_body(), self.client_address[0])
        response = self.server.app.handle(request)
        if response is None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _dispatch


class HTTPServer(ThreadingHTTPServer):
    """A threading HTTP/1.1 server bound to ``(host, port)`` (port 0 picks a free one) serving ``app``.

    Example:
        >>> server = HTTPServer(("127.0.0.1", 0), App(None, None))
        >>> server.server_address[1] > 0
        True
        >>> server.server_close()
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, _Handler)
