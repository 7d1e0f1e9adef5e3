"""What the http adaptor raises. Every class carries ``code``, ``fix`` and a JSON-safe ``details``.

```
HTTPAdaptorError              base; details = {message, code, ...}
  URLError                    the URL could not be built: UNEXPECTED_RELATIVE_URL, NO_URL,
                              BASE_URL_MISMATCH (messages exactly OpenFn's)
  HTTPError                   the server answered with an error status (≥ 400, or as the
                              ``errors`` option says): "GET to http://x/y returned 404: Not Found"
  ResponseParseError          "<status>: Error parsing the response body"
  RequestError                no usable answer
    RequestTimeout            no answer within ``timeout``
    ConnectError              could not connect (refused, DNS, TLS handshake: code TLS_ERROR)
```

The runtime writes ``details`` into ``state["errors"][step]["details"]`` and shows ``fix``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConnectError", "HTTPAdaptorError", "HTTPError", "RequestError", "RequestTimeout",
           "ResponseParseError", "URLError"]


class HTTPAdaptorError(Exception):
    """Base of the http adaptor's errors.

    Attributes:
        code: a short machine-readable code (``"BASE_URL_MISMATCH"``), or ``None``.
        fix: a hint for the job author, or ``None``.
        extras: further JSON-safe fields copied into ``details``.
    """

    def __init__(self, message: str, *, code: str | None = None, fix: str | None = None,
                 **extras: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.fix = fix
        self.extras = extras

    @property
    def details(self) -> dict[str, Any]:
        """JSON-safe fields for ``state.errors[step].details``."""
        details: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            details["code"] = self.code
        details.update(self.extras)
        if self.fix is not None:
            details["fix"] = self.fix
        return details


class URLError(HTTPAdaptorError):
    """The request URL is relative without a ``baseUrl``, missing, or on another origin."""


class HTTPError(HTTPAdaptorError):
    """The server answered with an error status.

    The message is OpenFn's, ``"{method} to {url} returned {status}: {reason}"``, unless the
    ``errors`` option gave another. Attributes mirror OpenFn's error fields.

    Attributes:
        status_code: the HTTP status.
        status_message: the standard reason phrase (``"Not Found"``).
        url: the requested URL (before redirects, without the ``query`` option).
        method: the HTTP method.
        duration: milliseconds from sending to the end of reading the body.
        body: the parsed body (JSON, text, or ``None``).
        headers: the response headers, lower-cased names.
    """

    def __init__(self, message: str, *, status_code: int, status_message: str, url: str,
                 method: str, duration: int, body: Any, headers: dict[str, Any]) -> None:
        super().__init__(message)
        self.status_code, self.status_message = status_code, status_message
        self.url, self.method, self.duration = url, method, duration
        self.body, self.headers = body, headers

    @property
    def details(self) -> dict[str, Any]:
        """OpenFn's fields: message, statusCode, statusMessage, url, duration, method, body, headers."""
        return {"message": self.message, "statusCode": self.status_code,
                "statusMessage": self.status_message, "url": self.url,
                "duration": self.duration, "method": self.method, "body": self.body,
                "headers": self.headers}


class ResponseParseError(HTTPAdaptorError):
    """The body could not be read as ``parse_as`` asked (``"200: Error parsing the response body"``)."""


class RequestError(HTTPAdaptorError):
    """The request got no usable answer (the server may never have seen it)."""


class RequestTimeout(RequestError):
    """No answer within the ``timeout`` option."""


class ConnectError(RequestError):
    """Could not connect: refused, unknown host, reset, or a failed TLS handshake."""
