"""Request bodies and the ``Content-Type`` header, as OpenFn's http adaptor sets them.

- ``content_type="form"``: the body dict is sent as ``multipart/form-data`` (OpenFn's
  ``FormData``): ``None`` values skipped, dicts and lists JSON-encoded, file-like values
  uploaded as files, everything else as text. Any ``Content-Type`` header is removed.
- ``content_type="urlencoded"`` (pyfn only): the dict is sent ``application/x-www-form-urlencoded``.
- Otherwise an existing ``Content-Type`` header (any case) is kept, else one is set from
  ``content_type`` (``json`` → ``application/json``, ``xml``, ``string`` → ``text/plain``,
  or the MIME type given) — on every request, GET included, as OpenFn does.

Body encoding: ``None``, ``False``, ``0`` and ``""`` mean no body (JavaScript's falsy values);
``str`` is sent UTF-8 encoded; bytes, file-like objects and iterators of bytes as they are
(iterators chunked); anything else (dicts, **lists**, numbers, ``True``) as compact JSON.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlencode

from urllib3.fields import RequestField
from urllib3.filepost import encode_multipart_formdata

from .options import CONTENT_TYPES

__all__ = ["EncodedBody", "encode_body", "is_replayable", "payload", "prepare_body"]


class EncodedBody:
    """A request's ``headers`` plus ``data`` or ``files`` (multipart fields), before ``payload``.

    ``data``: bytes, a file-like object, an iterator of bytes, or ``(name, value)`` pairs to
    send URL-encoded. ``files``: ``(name, (filename, value[, content_type]))`` pairs, ``filename``
    ``None`` for a plain field, ``value`` text, bytes or a file-like object.
    """

    __slots__ = ("headers", "data", "files")

    def __init__(self, headers: dict[str, str], data: Any = None, files: Any = None) -> None:
        self.headers, self.data, self.files = headers, data, files


def prepare_body(body: Any, content_type: str, headers: dict[str, str]) -> EncodedBody:
    """Encode ``body`` for ``content_type`` and set the ``Content-Type`` header."""
    header = next((name for name in headers if name.lower() == "content-type"), None)
    if content_type == "form":
        kept = {k: v for k, v in headers.items() if k != header}
        return EncodedBody(kept, files=_multipart_fields(body))
    headers = dict(headers)
    if header is None:
        headers["Content-Type"] = CONTENT_TYPES.get(content_type) or content_type
    if content_type == "urlencoded" and isinstance(body, dict):
        return EncodedBody(headers, data=_urlencoded_fields(body))
    return EncodedBody(headers, data=encode_body(body))


def encode_body(body: Any) -> Any:
    """``None`` for a falsy body, bytes, a stream, or compact UTF-8 JSON."""
    if _is_falsy(body):
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)) or hasattr(body, "read"):
        return body
    if hasattr(body, "__next__"):
        return body
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def payload(body: EncodedBody) -> tuple[Any, dict[str, Any]]:
    """``(body, headers)`` as sent: multipart or URL-encoded fields encoded, a file's length set.

    Example:
        payload(EncodedBody({}, data=[("a", "1 2")]))  # (b"a=1+2", {})
    """
    headers = body.headers
    if body.files:
        data, content_type = encode_multipart_formdata([_field(n, v) for n, v in body.files])
        if not any(name.lower() == "content-type" for name in headers):
            headers = {**headers, "Content-Type": content_type}
        return data, headers
    data = body.data
    if isinstance(data, list):
        return urlencode(data).encode("ascii"), headers
    if hasattr(data, "read") and not any(name.lower() in ("content-length", "transfer-encoding")
                                         for name in headers):
        length = _remaining(data)
        if length is not None:
            headers = {**headers, "Content-Length": str(length)}
    return data, headers


def _field(name: str, value: Any) -> RequestField:
    """One multipart part: ``(filename, value[, content_type])`` or a bare value."""
    filename, content_type = None, None
    if isinstance(value, (tuple, list)):
        filename, value, content_type = (list(value) + [None])[:3]
    else:
        filename = os.path.basename(str(getattr(value, "name", name)))
    data = value.read() if hasattr(value, "read") else value
    part = RequestField(name=name, data=data, filename=filename)
    part.make_multipart(content_type=content_type)
    return part


def _remaining(stream: Any) -> int | None:
    """Bytes left in a file-like object, or ``None`` when it cannot tell (sent chunked)."""
    try:
        if hasattr(stream, "fileno"):
            return max(os.fstat(stream.fileno()).st_size - stream.tell(), 0)
    except (OSError, ValueError, AttributeError):
        pass
    try:
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return max(end - here, 0)
    except (OSError, ValueError, AttributeError):
        return None


def is_replayable(body: EncodedBody) -> bool:
    """Whether the body can be sent again (not a one-shot stream or iterator)."""
    values = [body.data] + [value for _, value in body.files or []]
    return not any(hasattr(v, "read") or hasattr(v, "__next__") for v in values)


def _is_falsy(value: Any) -> bool:
    if value is None or value is False or (isinstance(value, str) and value == ""):
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _multipart_fields(body: Any) -> list[tuple[str, Any]]:
    if _is_falsy(body):
        return []
    if not isinstance(body, dict):
        raise TypeError(f"content_type='form' needs a dict body, not {type(body).__name__}")
    fields = []
    for key, value in body.items():
        if value is None:
            continue
        if hasattr(value, "read"):
            fields.append((str(key), (os.path.basename(str(getattr(value, "name", key))), value)))
        else:
            fields.append((str(key), (None, _text_value(value))))
    return fields


def _urlencoded_fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    fields = []
    for key, value in body.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None:
                fields.append((str(key), _text_value(item)))
    return fields


def _text_value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)
