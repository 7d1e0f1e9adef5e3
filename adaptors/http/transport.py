"""Send one request through the step's connection pool and turn failures into adaptor errors.

Redirects are followed up to ``max_redirects`` (method and body rules of browsers: a 303, or a
302 to anything but HEAD, or a 301 to a POST, becomes a GET without a body; ``Authorization`` is
dropped on a redirect to another host, port or scheme, except http → https on the default ports;
a ``Cookie`` header is not sent on). As in OpenFn, a redirect beyond the limit is not an error:
that 3xx response is returned.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin

import urllib3
from urllib3 import exceptions as wire

from .body import EncodedBody, payload
from .errors import ConnectError, HTTPAdaptorError, RequestError, RequestTimeout, URLError
from .pool import Pool, Response
from .urls import origin

__all__ = ["Call", "send", "translate"]

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
_SSL_REASON = re.compile(r"\] ([^(]+?)\s*\(_ssl")
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
_BODY_HEADERS = frozenset(("content-length", "content-type", "transfer-encoding", "cookie"))


@dataclass(frozen=True)
class Call:
    """One request, ready to send.

    Attributes:
        method: upper-case HTTP method.
        url: the URL reported in ``response.url`` and errors (the path's own query included).
        send_url: the URL sent, with the merged query.
        body: headers and payload.
        timeout: seconds to wait for the connection and for each read.
        max_redirects: redirects to follow (0: none).
        stream: leave the body unread (``parse_as="stream"``).
        tls: TLS arguments (``verify``, ``cert``) from ``session.tls_arguments``.
    """

    method: str
    url: str
    send_url: str
    body: EncodedBody
    timeout: float
    max_redirects: int
    stream: bool = False
    tls: dict[str, Any] = field(default_factory=dict)


def send(pool: Pool, call: Call) -> Response:
    """Send ``call`` and return the final response (a 3xx when redirects ran out).

    Raises:
        RequestTimeout: no answer within ``call.timeout``.
        ConnectError: refused, reset, unknown host, TLS failure, connect timeout.
        URLError: a URL that cannot be sent.
        RequestError: any other transport failure.
    """
    try:
        if call.tls.get("verify") is not False:
            return _follow(pool, call)
        with warnings.catch_warnings():  # copies the filter list: only where it is needed
            warnings.simplefilter("ignore", wire.InsecureRequestWarning)
            return _follow(pool, call)
    except (wire.HTTPError, ValueError) as error:
        raise translate(error, call) from error


def _follow(pool: Pool, call: Call) -> Response:
    """The response after following up to ``call.max_redirects`` redirects."""
    method, url = call.method, call.send_url
    body, headers = payload(call.body)
    start = _position(body)
    followed = 0
    while True:
        response = pool.open(method, url, headers, body, timeout=call.timeout, tls=call.tls,
                             stream=call.stream)
        location = response.headers.get("location") if response.status_code in _REDIRECTS else None
        if not location or followed >= call.max_redirects:
            return response
        response.content  # read it all: the connection goes back to the pool
        followed += 1
        target = _redirect_target(url, location)
        method, body, headers = _rebuild(response.status_code, method, body, headers, start)
        if _strips_auth(url, target):
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        url = target


def _redirect_target(url: str, location: str) -> str:
    """The absolute URL a ``Location`` header points at (read as UTF-8, unsafe characters quoted)."""
    try:
        location = location.encode("latin1").decode("utf-8")
    except UnicodeError:
        pass
    if location.startswith("//"):
        location = url.split(":", 1)[0] + ":" + location
    return quote(urljoin(url, location), safe="!#$%&'()*+,/:;=?@[]~")


def _rebuild(status: int, method: str, body: Any, headers: dict, start: int | None) -> tuple[str, Any, dict]:
    """Method, body and headers of the redirected request."""
    if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
        method = "GET"
    if status not in (307, 308):
        return method, None, {k: v for k, v in headers.items() if k.lower() not in _BODY_HEADERS}
    if start is not None:
        body.seek(start)
    return method, body, {k: v for k, v in headers.items() if k.lower() != "cookie"}


def _position(body: Any) -> int | None:
    try:
        return body.tell() if hasattr(body, "seek") and hasattr(body, "tell") else None
    except OSError:
        return None


def _strips_auth(old: str, new: str) -> bool:
    """Whether a redirect from ``old`` to ``new`` must not carry ``Authorization``."""
    before, after = origin(old), origin(new)
    if before[1] != after[1]:
        return True
    if before == ("http", before[1], 80) and after == ("https", before[1], 443):
        return False
    return before != after


def translate(error: BaseException, call: Call) -> HTTPAdaptorError:
    """The adaptor error for a transport failure, naming the method, URL and cause."""
    where = f"{call.method} to {call.url}"
    fields = {"url": call.url, "method": call.method}
    if isinstance(error, wire.ConnectTimeoutError) and not isinstance(error, wire.NewConnectionError):
        return ConnectError(f"{where} timed out connecting after {call.timeout:g}s",
                            code="CONNECT_TIMEOUT", timeout=call.timeout, **fields,
                            fix="Check the host is reachable, or raise the timeout option (seconds)")
    if isinstance(error, wire.TimeoutError) and not isinstance(error, wire.NewConnectionError):
        return RequestTimeout(f"{where} timed out after {call.timeout:g}s", code="TIMEOUT",
                              timeout=call.timeout, **fields,
                              fix="Raise the timeout option (in seconds), or ask for less data")
    if isinstance(error, wire.SSLError):
        return ConnectError(f"{where} failed: TLS error ({_reason(error)})", code="TLS_ERROR",
                            **fields, fix="Pass tls={'ca': ...} with the server's CA, or a "
                            "client certificate with tls={'cert': ..., 'key': ...}")
    if isinstance(error, (wire.NewConnectionError, wire.ProtocolError)):
        return ConnectError(f"{where} failed: could not connect ({_reason(error)})",
                            code="CONNECTION_ERROR", **fields)
    if isinstance(error, (wire.LocationValueError, urllib3.exceptions.LocationParseError)):
        return URLError(f"Invalid URL: {call.url}", code="INVALID_URL", **fields)
    return RequestError(f"{where} failed: {_reason(error)}", code="REQUEST_ERROR", **fields)


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the exceptions it wraps (``args[0]``, ``reason``, ``__cause__``)."""
    seen: list[BaseException] = []
    current: Any = error
    while isinstance(current, BaseException) and current not in seen:
        seen.append(current)
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = current.args[0] if current.args else None
        if not isinstance(inner, BaseException):
            inner = current.__cause__ or current.__context__
        current = inner
    return seen


def _reason(error: BaseException) -> str:
    text = str(_chain(error)[-1])
    for pattern in (_SSL_REASON, _ERRNO):
        match = pattern.search(text)
        if match:
            return match.group(1).strip()
    return text
