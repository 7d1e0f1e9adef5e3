"""The JSON server the recorded http runs (``http_requests.json``) were made against.

``/echo…`` answers ``{method, path, query, contentType, body, x, auth}`` of the request;
``/missing`` a JSON 404; ``/text`` a text body; ``/redirect`` a 302 to ``/echo/after``.
Run it alone with ``python3 http_echo_server.py PORT``; tests start it with :func:`start`.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class EchoHandler(BaseHTTPRequestHandler):
    def _answer(self, status: int, body: bytes, content_type: str | None, location: str | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _go(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        url = urlsplit(self.path)
        if url.path.startswith("/missing"):
            return self._answer(404, json.dumps({"error": "not here"}).encode(), "application/json")
        if url.path.startswith("/text"):
            return self._answer(200, b"hello", "text/plain")
        if url.path.startswith("/redirect"):
            return self._answer(302, b"", None, "/echo/after")
        content_type = self.headers.get("content-type") or ""
        echo = {"method": self.command, "path": url.path, "query": parse_qsl(url.query, keep_blank_values=True),
                "contentType": content_type.split(";")[0],
                "body": body if "multipart" not in content_type else "<multipart>",
                "x": self.headers.get("x-custom"), "auth": self.headers.get("authorization")}
        return self._answer(200, json.dumps(echo).encode(), "application/json")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _go

    def log_message(self, *args) -> None:
        pass


def start() -> ThreadingHTTPServer:
    """Serve on a free port of 127.0.0.1 in a thread; ``shutdown()`` it when done."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), EchoHandler).serve_forever()
