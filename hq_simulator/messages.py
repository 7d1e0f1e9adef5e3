"""Requests, responses and HTTP errors as the simulator's handlers see them.

Example:
    >>> request = Request("GET", "/a/demo/api/v0.5/case/", "limit=5", {"host": "127.0.0.1:8000"}, b"")
    >>> request.param("limit"), Response.json({"ok": True}).status
    ('5', 200)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qs

__all__ = ["Request", "Response", "HTTPError", "Part"]


@dataclass
class Part:
    """One part of a ``multipart/form-data`` body.

    Example:
        >>> Part("file", "cases.xlsx", "application/octet-stream", b"...").filename
        'cases.xlsx'
    """

    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Request:
    """An HTTP request as handlers see it: ``query`` maps each name to all its values.

    Example:
        >>> Request("GET", "/x/", "a=1&a=2&b=", {}, b"").param("a")
        '2'
    """

    method: str
    path: str
    query_string: str
    headers: dict
    body: bytes
    client_ip: str = "127.0.0.1"
    account: dict | None = None
    match: dict = field(default_factory=dict)
    query: dict = field(init=False)

    def __post_init__(self) -> None:
        self.query = parse_qs(self.query_string, keep_blank_values=True)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter (as Django's ``QueryDict.get``).

        Example:
            >>> Request("GET", "/", "limit=5", {}, b"").param("offset", "0")
            '0'
        """
        values = self.query.get(name)
        return values[-1] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, case-insensitively.

        Example:
            >>> Request("GET", "/", "", {"user-agent": "pyfn"}, b"").header("User-Agent")
            'pyfn'
        """
        return self.headers.get(name.lower(), default)

    @property
    def base_url(self) -> str:
        """``http://<Host>``: how the client reached us, for absolute URLs.

        Example:
            >>> Request("GET", "/", "", {"host": "localhost:8000"}, b"").base_url
            'http://localhost:8000'
        """
        return "http://" + self.header("host", "127.0.0.1")

    def json(self) -> object:
        """The body parsed as JSON (raises ``ValueError`` when it is not).

        Example:
            >>> Request("POST", "/", "", {}, b'{"a": 1}').json()
            {'a': 1}
        """
        return json.loads(self.body.decode("utf-8"))

    def json_body(self, kind: type | None = None) -> object:
        """The body as JSON, or 400 ``Payload must be valid JSON`` (or ``... a JSON object`` when ``kind=dict``).

        Example:
            >>> Request("POST", "/", "", {}, b"[1]").json_body(dict)
            Traceback (most recent call last):
            ...
            hq_simulator.messages.HTTPError: Payload must be a JSON object
        """
        try:
            body = self.json()
        except ValueError:
            raise HTTPError(400, "Payload must be valid JSON") from None
        if kind is not None and not isinstance(body, kind):
            raise HTTPError(400, f"Payload must be a JSON {'object' if kind is dict else 'list'}")
        return body

    def form(self) -> dict[str, Part]:
        """The parts of a ``multipart/form-data`` (or url-encoded) body, by field name.

        Example:
            >>> body = b'--b\\r\\nContent-Disposition: form-data; name="t"\\r\\n\\r\\npatient\\r\\n--b--\\r\\n'
            >>> Request("POST", "/", "", {"content-type": "multipart/form-data; boundary=b"}, body).form()["t"].data
            b'patient'
        """
        content_type = self.header("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            pairs = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
            return {k: Part(k, None, "text/plain", v[-1].encode()) for k, v in pairs.items()}
        if not content_type.startswith("multipart/"):
            return {}
        raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + self.body
        message = BytesParser(policy=policy.HTTP).parsebytes(raw)
        parts = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition") or ""
            parts[name] = Part(name, part.get_filename(), part.get_content_type(),
                               part.get_payload(decode=True) or b"")
        return parts


@dataclass
class Response:
    """An HTTP response; the class methods build the common kinds.

    Example:
        >>> Response.json({"a": 1}).body
        b'{"a": 1}'
    """

    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)

    @classmethod
    def json(cls, data: object, status: int = 200, headers: dict | None = None) -> "Response":
        """A JSON response from a value, or from ready JSON text when ``data`` is a ``str``."""
        text = data if isinstance(data, str) else json.dumps(data)
        return cls(status, text.encode("utf-8"), {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> "Response":
        """A text response."""
        return cls(status, text.encode("utf-8"), {"Content-Type": content_type})

    @classmethod
    def empty(cls, status: int, headers: dict | None = None) -> "Response":
        """A response with no body (Tastypie's 401/403/404)."""
        return cls(status, b"", dict(headers or {}))


class HTTPError(Exception):
    """Raised by a handler to answer ``status`` with ``message`` in the route's error style.

    Example:
        >>> HTTPError(400, "Bad query parameter").status
        400
    """

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
