"""The HTTP verbs a job calls: ``request``, ``get``, ``post``, ``put``, ``patch``, ``delete``.

Each returns an operation; the pipeline is in ``request.py``. Options (all optional, all
may be lazy, camelCase spellings accepted):

- ``headers``: dict. ``query``: dict, lists sent as repeated keys; the URL's own query wins.
- ``body``: the request body (post/put/patch take it as ``data``).
- ``content_type``: ``"json"`` (default), ``"form"`` (multipart), ``"urlencoded"``,
  ``"xml"``, ``"string"``, or a MIME type.
- ``parse_as``: ``"auto"`` (default), ``"json"``, ``"text"``, ``"base64"``, ``"stream"``.
- ``errors``: ``{404: False}`` (not an error), ``{404: "Custom message"}``, ``{200: True}``;
  ``False``: never raise.
- ``timeout``: seconds (default 300). ``max_redirects``: default 5.
- ``tls``: ``{"ca", "cert", "key", "verify"}`` (paths or PEM text); default ``configuration.tls``.
- ``retries``: ``True``, a number of retries, or ``{"max": 3, "backoff": "exponential",
  "base_delay": 1, "max_delay": 60, "on": [429, 502, 503, 504], "methods": [...]}``;
  default ``configuration.retries``, else off. Idempotent methods only unless ``methods``
  lists others; ``Retry-After`` is honoured.
"""

from __future__ import annotations

from typing import Any, Callable

from .request import operation

__all__ = ["delete", "get", "patch", "post", "put", "request"]

Operation = Callable[[dict], dict]


def request(method: str, path: Any, options: Any = None) -> Operation:
    """Send an HTTP request with any method.

    ``state["data"]`` becomes the parsed response body, the previous data is appended to
    ``state["references"]``, and ``state["response"]`` holds ``url``, ``method``,
    ``statusCode``, ``statusMessage``, ``headers``, ``duration`` (ms) and ``query``. A status
    ≥ 400 raises ``HTTPError`` ("GET to https://x/y returned 404: Not Found") unless the
    ``errors`` option says otherwise.

    Args:
        method: the HTTP method (``"GET"``, ``"POST"``, ``"OPTIONS"``...).
        path: a path joined to ``configuration.baseUrl``, or an absolute URL (same origin as
            ``baseUrl`` when one is set).
        options: ``headers``, ``query`` (lists repeat the key), ``body``,
            ``content_type`` (``json``, ``form``, ``urlencoded``, ``xml``, ``string`` or a
            MIME type), ``parse_as`` (``auto``, ``json``, ``text``, ``base64``, ``stream``),
            ``errors`` (``{404: False}``, ``{404: "message"}``, or ``False``), ``timeout``
            (seconds, default 300), ``max_redirects`` (default 5), ``tls`` (``ca``, ``cert``,
            ``key``, ``verify``), ``retries`` (``{"max": 5, "on": [429, 503]}``; off by
            default).

    Returns:
        An operation.

    Example:
        request("OPTIONS", "/patients", {"headers": {"X-Trace": "1"}})

    Differences from OpenFn:
        ``timeout`` is in seconds (OpenFn: milliseconds). A list body is sent as JSON (OpenFn
        sends its items concatenated or fails). Retries are available (off by default).
    """
    return operation(method, path, options)


def get(path: Any, options: Any = None) -> Operation:
    """Send a GET request; the parsed body becomes ``state["data"]``.

    Args:
        path: a path joined to ``configuration.baseUrl``, or an absolute URL.
        options: ``query``, ``headers``, ``parse_as``, ``errors``... (see ``request``).

    Returns:
        An operation.

    Example:
        get("/patients", {"query": {"district": state["data"]["district"], "page": 1}})

    Differences from OpenFn:
        ``timeout`` is in seconds; retries are available with ``retries``.
    """
    return operation("GET", path, options)


def post(path: Any, data: Any = None, options: Any = None) -> Operation:
    """Send a POST request with ``data`` as the body (JSON unless ``content_type`` says otherwise).

    Args:
        path: a path joined to ``configuration.baseUrl``, or an absolute URL.
        data: the body: a dict or list (sent as JSON), a string, bytes, or a file object.
        options: ``headers``, ``query``, ``content_type``, ``errors``... (see ``request``);
            an explicit ``body`` option wins over ``data``, as in OpenFn.

    Returns:
        An operation.

    Example:
        post("/patients", {"name": state["data"]["name"], "age": state["data"]["age"]})

    Differences from OpenFn:
        A list body is JSON-encoded (OpenFn mishandles arrays). POST is not retried unless
        ``retries.methods`` lists it.
    """
    return operation("POST", path, options, body=data, has_body=True)


def put(path: Any, data: Any = None, options: Any = None) -> Operation:
    """Send a PUT request with ``data`` as the body.

    Args:
        path: a path joined to ``configuration.baseUrl``, or an absolute URL.
        data: the body (see ``post``).
        options: see ``request``.

    Returns:
        An operation.

    Example:
        put(f"/patients/{state['data']['id']}", {"status": "active"})

    Differences from OpenFn:
        A list body is JSON-encoded (OpenFn mishandles arrays).
    """
    return operation("PUT", path, options, body=data, has_body=True)


def patch(path: Any, data: Any = None, options: Any = None) -> Operation:
    """Send a PATCH request with ``data`` as the body.

    Args:
        path: a path joined to ``configuration.baseUrl``, or an absolute URL.
        data: the body (see ``post``).
        options: see ``request``.

    Returns:
        An operation.

    Example:
        patch("/patients/7", {"phone": state["data"]["phone"]}, {"errors": {404: False}})

    Differences from OpenFn:
        A list body is JSON-encoded (OpenFn mishandles arrays).
    """
    return operation("PATCH", path, options, body=data, has_body=True)


def delete(path: Any, options: Any = None) -> Operation:
    """Send a DELETE request (OpenFn's ``del``; a body can still go in ``options["body"]``).

    Args:
        path: a path joined to ``configuration.baseUrl``, or an absolute URL.
        options: see ``request``.

    Returns:
        An operation.

    Example:
        delete(f"/patients/{state['data']['id']}", {"errors": {404: False}})

    Differences from OpenFn:
        Named ``delete`` because ``del`` is a Python keyword.
    """
    return operation("DELETE", path, options)
