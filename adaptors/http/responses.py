"""Reading a response: its headers, its body as ``parse_as`` says, and streamed bodies.

``parse_as``:

- ``"auto"`` (default): JSON when the content type contains ``application/json``, else text.
- ``"json"``, ``"text"`` (decoded with the charset of the content type, UTF-8 by default).
- ``"base64"``: the raw bytes, base64-encoded (an ASCII string).
- ``"stream"``: a ``ResponseStream``, a binary file-like object reading the body as it
  arrives (gzip decoded), for downloads too large for memory.

As in OpenFn the body is ``None`` for a 204, a ``Content-Length: 0``, or a response without
``Content-Type`` (whatever ``parse_as`` says); a HEAD response has no body either. The operation then
writes no ``data`` key, as OpenFn's ``data: undefined`` leaves none in the saved state.
"""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any, Iterator

import msgspec

from .errors import ResponseParseError
from .pool import Response

__all__ = ["ResponseStream", "has_no_body", "read_body", "read_error_body", "response_headers"]

_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_CHUNK = 64 * 1024
_UTF8 = ("utf-8", "utf8")
_DECODE = msgspec.json.Decoder().decode


def response_headers(response: Response) -> dict[str, Any]:
    """Lower-cased names; a header sent more than once gives a list, as undici does."""
    raw = response.headers
    headers: dict[str, Any] = {}
    for name in raw.keys():
        values = raw.getlist(name)
        headers[name.lower()] = values[0] if len(values) == 1 else list(values)
    return headers


def read_body(response: Response, parse_as: str, method: str) -> Any:
    """The body as ``parse_as`` asks, or ``None`` when there is none.

    Raises:
        ResponseParseError: the body is not what ``parse_as`` expects (invalid JSON).
    """
    if _is_empty(response, method, explicit=parse_as != "auto"):
        response.close()
        return None
    content_type = response.headers.get("content-type", "")
    try:
        if parse_as == "stream":
            return ResponseStream(response)
        if parse_as == "base64":
            return base64.b64encode(response.content).decode("ascii")
        if parse_as == "json" or (parse_as == "auto" and "application/json" in content_type):
            return _json(response)
        return _text(response)
    except ValueError as error:
        raise _parse_error(response, parse_as, error) from error


def read_error_body(response: Response, method: str) -> Any:
    """The body of an error response: JSON or text, never raising (falls back to text)."""
    try:
        return read_body(response, "auto", method)
    except ResponseParseError:
        return _text(response)


def has_no_body(response: Response, parse_as: str, method: str) -> bool:
    """True when the response has no body to read (``read_body`` gives ``None`` for it).

    OpenFn's ``readResponseBody`` then returns ``undefined``, so the next state has no ``data``.
    """
    return _is_empty(response, method, explicit=parse_as != "auto")


def _is_empty(response: Response, method: str, explicit: bool) -> bool:
    length = response.headers.get("content-length")
    if response.status_code == 204 or method == "HEAD" or (length or "").strip() == "0":
        return True
    return not response.headers.get("content-type")


def _json(response: Response) -> Any:
    """The JSON body: UTF-8 bytes decoded in one pass by msgspec (exact integers, as ``json``); what it
    refuses (another charset, invalid UTF-8, a lone surrogate, ``NaN``, a BOM) is read by ``json`` as before."""
    match = _CHARSET.search(response.headers.get("content-type", ""))
    if match is None or match.group(1).lower() in _UTF8:
        try:
            return _DECODE(response.content)
        except msgspec.DecodeError:
            pass
    return json.loads(_text(response))


def _text(response: Response) -> str:
    match = _CHARSET.search(response.headers.get("content-type", ""))
    encoding = match.group(1) if match else "utf-8"
    try:
        return response.content.decode(encoding, errors="replace")
    except LookupError:
        return response.content.decode("utf-8", errors="replace")


def _parse_error(response: Response, parse_as: str, error: Exception) -> ResponseParseError:
    status = response.status_code
    length = response.headers.get("content-length")
    return ResponseParseError(
        f"{status}: Error parsing the response body", code=str(status),
        description="Error parsing the response body", parseAs=parse_as,
        contentType=response.headers.get("content-type"),
        bodyLength=int(length) if (length or "").isdigit() else -1, error=str(error))


class ResponseStream(io.RawIOBase):
    """A response body read as it arrives: a binary file-like object.

    Use it like an open file: ``read(n)``, ``readline()``, iterate over lines, wrap it in
    ``io.TextIOWrapper(stream, encoding="utf-8")`` for text or ``csv``, or call
    ``iter_content(chunk_size)`` for raw chunks. Close it (or leave it to the end of the step:
    ``execute`` closes every stream it opened) to give the connection back.

    Attributes:
        status_code: the HTTP status.
        headers: the response headers (lower-cased names).
    """

    def __init__(self, response: Response) -> None:
        super().__init__()
        self._response = response
        self._chunks: Iterator[bytes] | None = None
        self._buffer = b""
        self.status_code = response.status_code
        self.headers = response_headers(response)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes of the body; 0 at the end."""
        if self.closed:
            raise ValueError("I/O operation on closed ResponseStream")
        while not self._buffer:
            if self._chunks is None:
                self._chunks = self._response.iter_content(_CHUNK)
            self._buffer = next(self._chunks, b"")
            if not self._buffer:
                return 0
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def iter_content(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """The remaining body in chunks of at most ``chunk_size`` bytes."""
        while True:
            chunk = self.read(chunk_size)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        """Release the connection (it returns to the pool if the body was read to the end)."""
        if not self.closed:
            self._response.close()
        super().close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<ResponseStream {self.status_code} {state}>"
