"""The step's connections: one urllib3 connection pool per origin and TLS setting, and responses.

``Pool.open`` sends one request (no redirects, no retries: ``transport.send`` and ``retry`` do
those) and returns a ``Response``, its body read unless ``stream`` is asked for. Connections are
kept alive between requests of a step and closed with ``Pool.close``.

Every request carries ``Accept-Encoding: gzip, deflate`` (bodies are decoded), ``Accept: */*``
and a ``User-Agent``, unless the job sets them; a header given ``None`` is not sent.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any, Iterator
from urllib.parse import urlsplit

import urllib3
from urllib3.util import Retry, Timeout

__all__ = ["Pool", "Response", "DEFAULT_HEADERS"]

DEFAULT_HEADERS = {"User-Agent": "pyfn", "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}
_POOL_SIZE = 10
_NO_TLS: dict[str, Any] = {}
_NO_RETRIES = Retry(False, redirect=False)  # what ``retries=False`` becomes, built once
# scheme, authority, then path and query (the fragment left out); anything else goes through urlsplit
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#\\\s@]*)((?:[/?][^#\s\x00-\x1f\\]*)?)(?:#.*)?\Z", re.DOTALL)


class Response:
    """One HTTP answer: ``status_code``, ``reason``, ``headers`` (case-insensitive, ``getlist``),
    ``content`` (the decoded body, read once) and ``iter_content`` for a streamed body.

    Example:
        response = pool.open("GET", "http://127.0.0.1:8080/x", {}, None, timeout=5)
        response.status_code, response.headers.get("content-type"), response.content
    """

    __slots__ = ("raw", "status_code", "reason", "headers", "_content")

    def __init__(self, raw: urllib3.BaseHTTPResponse) -> None:
        self.raw = raw
        self.status_code: int = raw.status
        self.reason: str | None = raw.reason
        self.headers = raw.headers
        self._content: bytes | None = None

    @property
    def content(self) -> bytes:
        """The whole body (gzip/deflate decoded); the connection goes back to the pool."""
        if self._content is None:
            self._content = self.raw.data or b""
            self.raw.release_conn()
        return self._content

    def iter_content(self, chunk_size: int) -> Iterator[bytes]:
        """The body in decoded chunks of at most ``chunk_size`` bytes, as it arrives."""
        if self._content is not None:
            yield from (self._content[i:i + chunk_size] for i in range(0, len(self._content), chunk_size))
            return
        yield from self.raw.stream(chunk_size, decode_content=True)
        self._content = b""
        self.raw.release_conn()

    def close(self) -> None:
        """Give the connection back: to the pool if the body was read, else closed."""
        if self._content is None:
            self.raw.close()
        self.raw.release_conn()


class Pool:
    """The connection pools of one step, keyed by scheme, host, port and TLS arguments.

    ``tls`` arguments: ``verify`` (``False``, or a CA bundle path) and ``cert`` (a path, or a
    ``(cert, key)`` pair of paths), as ``session.tls_arguments`` builds them.
    """

    def __init__(self) -> None:
        self._pools: dict[tuple, urllib3.HTTPConnectionPool] = {}
        self._timeouts: dict[float, Timeout] = {}

    def open(self, method: str, url: str, headers: dict[str, Any], body: Any, *, timeout: float,
             tls: dict[str, Any] | None = None, stream: bool = False) -> Response:
        """Send one request to ``url`` (absolute, already encoded) and return its response.

        Raises:
            urllib3.exceptions.HTTPError: the request could not be sent or answered.
            ValueError: a URL or header ``http.client`` refuses.
        """
        scheme, host, port, target = _split(url)
        pool = self._pool(scheme, host, port, tls or _NO_TLS)
        if timeout not in self._timeouts:
            self._timeouts[timeout] = Timeout(connect=timeout, read=timeout)
        raw = pool.urlopen(method, target, body=body, headers=merge_headers(headers), retries=_NO_RETRIES,
                           redirect=False, assert_same_host=False, timeout=self._timeouts[timeout],
                           preload_content=not stream, decode_content=True)
        return Response(raw)

    def close(self) -> None:
        """Close every connection of every pool."""
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def _pool(self, scheme: str, host: str | None, port: int | None,
              tls: dict[str, Any]) -> urllib3.HTTPConnectionPool:
        verify, cert = tls.get("verify", True), tls.get("cert")
        key = (scheme, host, port, verify, cert)
        pool = self._pools.get(key)
        if pool is None:
            if scheme not in ("http", "https") or not host:
                raise urllib3.exceptions.LocationValueError(f"not an http(s) URL: {scheme}://{host or ''}")
            if not host.isascii():
                host = host.encode("idna").decode("ascii")
            if scheme == "http":
                pool = urllib3.HTTPConnectionPool(host, port, maxsize=_POOL_SIZE)
            else:
                pool = urllib3.HTTPSConnectionPool(host, port, maxsize=_POOL_SIZE, **_tls_kwargs(verify, cert))
            self._pools[key] = pool
        return pool


def _split(url: str) -> tuple[str, str | None, int | None, str]:
    """``(scheme, host, port, target)`` of ``url`` as ``urlsplit`` gives them, the origin's parse cached."""
    match = _URL.match(url)
    if match is None:
        parts = urlsplit(url)
        return parts.scheme, parts.hostname, parts.port, (parts.path or "/") + ("?" + parts.query if parts.query else "")
    scheme, host, port = _origin(match.group(1), match.group(2))
    path, _, query = match.group(3).partition("?")
    return scheme, host, port, (path or "/") + ("?" + query if query else "")


@functools.lru_cache(maxsize=64)
def _origin(scheme: str, netloc: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(f"{scheme}://{netloc}")
    return parts.scheme, parts.hostname, parts.port


def merge_headers(headers: dict[str, Any]) -> dict[str, str]:
    """The default headers overridden by ``headers`` (names compared case-insensitively); ``None`` drops one."""
    given = {name.lower() for name in headers}
    merged = {name: value for name, value in DEFAULT_HEADERS.items() if name.lower() not in given}
    merged.update((name, value) for name, value in headers.items() if value is not None)
    return merged


def _tls_kwargs(verify: Any, cert: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if verify is False:
        kwargs.update(cert_reqs="CERT_NONE", assert_hostname=False)
    else:
        kwargs.update(cert_reqs="CERT_REQUIRED", ca_certs=verify if isinstance(verify, str) else _default_ca())
    if isinstance(cert, (tuple, list)):
        kwargs.update(cert_file=cert[0], key_file=cert[1])
    elif cert:
        kwargs["cert_file"] = cert
    return kwargs


def _default_ca() -> str | None:
    """certifi's CA bundle when installed (as ``requests`` verified with), else the system's."""
    try:
        import certifi
    except ImportError:
        return None
    path = certifi.where()
    return path if os.path.isfile(path) else None
