"""Build the request URL from a path and ``configuration.baseUrl``, as OpenFn's ``parseUrl``.

- An absolute ``http(s)://`` URL is used as is; with a ``baseUrl`` it must have the same
  origin, else ``BASE_URL_MISMATCH``.
- A relative path is joined to the ``baseUrl`` *keeping its path* and collapsing slashes
  (``https://x/api/v1`` + ``/patients`` → ``https://x/api/v1/patients``), like Node's
  ``path.posix.join``.
- Without a ``baseUrl``, a relative path is ``UNEXPECTED_RELATIVE_URL``, no path ``NO_URL``.

The query string already in the URL wins over the ``query`` option; lists become repeated
keys; values are encoded like Node's ``querystring`` (``%20`` for a space).
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from .errors import URLError

__all__ = ["ERROR_URL_MISMATCH", "encode_query", "origin", "parse_query", "resolve_url", "with_query"]

ERROR_URL_MISMATCH = "Target origin does not match baseUrl origin"
_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def resolve_url(path: Any, base_url: str | None) -> tuple[str, dict[str, Any]]:
    """The full URL (with the path's own query string) and that query string parsed.

    Raises:
        URLError: no URL, a relative path without ``base_url``, another origin than
            ``base_url``'s, or a URL that is not http(s).
    """
    path = "" if path is None else str(path)
    if base_url is None or isinstance(base_url, str):
        full, query_string = _resolve(path, base_url)
    else:
        full, query_string = _resolve.__wrapped__(path, base_url)
    return full, parse_query(query_string) if query_string else {}


@functools.lru_cache(maxsize=256)
def _resolve(path: str, base_url: str | None) -> tuple[str, str]:
    """The normalised URL and its raw query string (a job sends the same path again and again)."""
    _assert_url(path, base_url)
    if _ABSOLUTE.match(path):
        if base_url and origin(path) != origin(base_url):
            raise URLError(ERROR_URL_MISMATCH, code="BASE_URL_MISMATCH",
                           description="A request was attempted to an absolute URL, but a "
                           "different base URL was specified. This is a potential security "
                           "violation.", target=path, baseUrl=base_url,
                           fix="Try using a generic HTTP function to access the target URL")
        full = path
    else:
        full = _join(str(base_url), path)
    return _normalize(full), urlsplit(full).query


def _assert_url(path: str, base_url: str | None) -> None:
    if not base_url and path and not _ABSOLUTE.match(path):
        raise URLError("UNEXPECTED_RELATIVE_URL", code="UNEXPECTED_RELATIVE_URL",
                       description="You passed a relative URL but didn't set baseUrl", url=path,
                       fix="Set the baseUrl on state.configuration or use an absolute URL, "
                       f"like https://example.com/api/{path.lstrip('/')}")
    if not base_url and not path:
        raise URLError("NO_URL", code="NO_URL", description="No URL provided",
                       fix="Make sure to pass a URL string into the request. You may need to "
                       "set a baseURL on state.configuration.")


def _join(base_url: str, path: str) -> str:
    base = urlsplit(base_url)
    if base.scheme.lower() not in _DEFAULT_PORTS or not base.netloc:
        raise URLError(f"Invalid baseUrl: {base_url}", code="INVALID_URL", url=base_url,
                       fix="Set configuration.baseUrl to an http:// or https:// URL")
    rel_path, _, rel_query = path.partition("?")
    joined = re.sub(r"/+", "/", f"/{base.path}/{rel_path}")
    normalized = posixpath.normpath(joined)
    if joined.endswith("/") and not normalized.endswith("/"):
        normalized += "/"
    return urlunsplit((base.scheme, base.netloc, normalized, rel_query, ""))


def _normalize(url: str) -> str:
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError as error:
        raise URLError(f"Invalid URL: {url}", code="INVALID_URL", url=url) from error
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=~?[]{}|^`\\")
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` with the default port made explicit, as ``URL.origin`` compares."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError as error:
        raise URLError(f"Invalid URL: {url}", code="INVALID_URL", url=url) from error
    return scheme, (parts.hostname or "").lower(), port


def parse_query(query_string: str) -> dict[str, Any]:
    """Node's ``querystring.parse``: one string per key, a list when a key repeats."""
    query: dict[str, Any] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key not in query:
            query[key] = value
        elif isinstance(query[key], list):
            query[key].append(value)
        else:
            query[key] = [query[key], value]
    return query


def encode_query(query: dict[str, Any]) -> str:
    """``a=1&b=x&b=y``: lists repeat the key, ``None`` gives ``a=``, booleans ``true``/``false``."""
    pairs = []
    for key, value in query.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append(f"{_escape(key)}={_escape(_scalar(item))}")
    return "&".join(pairs)


def with_query(url: str, query: dict[str, Any]) -> str:
    """``url`` with its query string replaced by ``query`` encoded (none when empty)."""
    query_string = encode_query(query)
    return _without_query(url) + ("?" + query_string if query_string else "")


@functools.lru_cache(maxsize=256)
def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _escape(text: Any) -> str:
    text = str(text)
    if text.isascii() and text.isalnum():
        return text  # nothing to quote (the common id or page number)
    return quote(text, safe="!'()*~")
