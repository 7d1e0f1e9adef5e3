"""Send one prepared request through the step's session and turn failures into adaptor errors.

Redirects are followed up to ``max_redirects`` (method and body rules of browsers: a 303, or a
301/302 to a POST, becomes a GET; ``Authorization`` is dropped on a redirect to another host).
As in OpenFn, a redirect beyond the limit is not an error: that 3xx response is returned.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3

from .body import EncodedBody
from .errors import ConnectError, HTTPAdaptorError, RequestError, RequestTimeout, URLError

__all__ = ["Call", "send"]

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
_SSL_REASON = re.compile(r"\] ([^(]+?)\s*\(_ssl")


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
        tls: ``requests`` TLS arguments (``verify``, ``cert``).
    """

    method: str
    url: str
    send_url: str
    body: EncodedBody
    timeout: float
    max_redirects: int
    stream: bool = False
    tls: dict[str, Any] = field(default_factory=dict)


def send(session: requests.Session, call: Call) -> requests.Response:
    """Send ``call`` and return the final response (a 3xx when redirects ran out).

    Raises:
        RequestTimeout: no answer within ``call.timeout``.
        ConnectError: refused, reset, unknown host, TLS failure, connect timeout.
        URLError: a URL ``requests`` cannot send.
        RequestError: any other transport failure.
    """
    session.max_redirects = max(call.max_redirects, 1)
    try:
        with warnings.catch_warnings():
            if call.tls.get("verify") is False:
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            return session.request(
                call.method, call.send_url, headers=call.body.headers, data=call.body.data,
                files=call.body.files or None, timeout=call.timeout,
                allow_redirects=call.max_redirects > 0, stream=call.stream, **call.tls)
    except requests.TooManyRedirects as error:
        return error.response
    except requests.RequestException as error:
        raise translate(error, call) from error


def translate(error: requests.RequestException, call: Call) -> HTTPAdaptorError:
    """The adaptor error for a ``requests`` failure, naming the method, URL and cause."""
    where = f"{call.method} to {call.url}"
    fields = {"url": call.url, "method": call.method}
    if isinstance(error, requests.ConnectTimeout):
        return ConnectError(f"{where} timed out connecting after {call.timeout:g}s",
                            code="CONNECT_TIMEOUT", timeout=call.timeout, **fields,
                            fix="Check the host is reachable, or raise the timeout option (seconds)")
    if isinstance(error, requests.Timeout) or _caused_by(error, urllib3.exceptions.ReadTimeoutError):
        return RequestTimeout(f"{where} timed out after {call.timeout:g}s", code="TIMEOUT",
                              timeout=call.timeout, **fields,
                              fix="Raise the timeout option (in seconds), or ask for less data")
    if isinstance(error, requests.exceptions.SSLError):
        return ConnectError(f"{where} failed: TLS error ({_reason(error)})", code="TLS_ERROR",
                            **fields, fix="Pass tls={'ca': ...} with the server's CA, or a "
                            "client certificate with tls={'cert': ..., 'key': ...}")
    if isinstance(error, requests.ConnectionError):
        return ConnectError(f"{where} failed: could not connect ({_reason(error)})",
                            code="CONNECTION_ERROR", **fields)
    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                          requests.exceptions.InvalidSchema)):
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


def _caused_by(error: BaseException, kind: type) -> bool:
    return any(isinstance(link, kind) for link in _chain(error))


def _reason(error: BaseException) -> str:
    text = str(_chain(error)[-1])
    for pattern in (_SSL_REASON, _ERRNO):
        match = pattern.search(text)
        if match:
            return match.group(1).strip()
    return text
