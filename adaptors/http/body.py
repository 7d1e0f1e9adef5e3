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

from .options import CONTENT_TYPES

__all__ = ["EncodedBody", "encode_body", "is_replayable", "prepare_body"]


class EncodedBody:
    """What to hand ``requests``: ``headers`` plus ``data`` or ``files``."""

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
