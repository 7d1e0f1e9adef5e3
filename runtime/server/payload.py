"""A webhook request's body and the run's input state, as Lightning builds them.

The input state is ``{"data": <body>, "request": {"method", "path", "headers",
"query_params"}}``: JSON bodies parsed, XML (``application/xml``, ``text/xml``,
``…+xml``: HQ's ``form_xml``) and other text passed as a string, form-encoded
bodies as a mapping; ``path`` is the list of segments (``["i", "forms"]``) and
the headers are lower-cased, without ``authorization``, ``x-api-key`` and
``cookie``.

Example:
    >>> parse_body(b'{"id": 1}', "application/json")
    {'id': 1}
    >>> parse_body(b"<data/>", "text/xml; charset=utf-8")
    '<data/>'
    >>> parse_body(b"{nope", "application/json")
    Traceback (most recent call last):
    ...
    runtime.server.payload.BadBody: Invalid JSON body: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Iterable
from urllib.parse import parse_qsl

import asyncio
from starlette.responses import JSONResponse

from runtime.server.webhooks import SECRET_HEADERS
from runtime.store import RawJSON
from runtime.state_file import escape_surrogates, parse_json

__all__ = ["BadBody", "BodyTooLarge", "JSONAnswer", "read_body", "parse_body", "input_state", "stored_input"]


class JSONAnswer(JSONResponse):
    """A JSON answer that can carry any stored value: a lone surrogate a body held is written escaped.

    Example:
        >>> JSONAnswer({"a": "x\\ud800"}).body
        b'{"a":"x\\\\ud800"}'
    """

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return escape_surrogates(text).encode("utf-8")


class BadBody(ValueError):
    """A body that cannot be read as its content type says (400, or 415 with ``status``).

    Example:
        >>> BadBody("Unsupported content type", status=415).status
        415
    """

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class BodyTooLarge(Exception):
    """A body over the limit (413).

    Example:
        >>> import asyncio
        >>> async def chunks():
        ...     yield b"x" * 10
        >>> asyncio.run(read_body(None, chunks(), limit=5))
        Traceback (most recent call last):
        ...
        runtime.server.payload.BodyTooLarge
    """


async def read_body(content_length: str | None, chunks: AsyncIterator[bytes], limit: int,
                    timeout_s: float | None = None) -> bytes:
    """The whole body, refusing (without reading it all) one over ``limit`` bytes, or one not received
    within ``timeout_s`` (:class:`BadBody` with status 408).

    Example:
        >>> import asyncio
        >>> async def chunks():
        ...     yield b'{"a": '
        ...     yield b'1}'
        >>> asyncio.run(read_body("9", chunks(), limit=100))
        b'{"a": 1}'
    """
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise BadBody(f"Invalid Content-Length: {content_length!r}") from None
        if declared > limit:
            raise BodyTooLarge()
    received: list[bytes] = []
    try:
        with _Deadline(timeout_s):
            size = 0
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge()
                received.append(chunk)
    except TimeoutError:
        got = sum(map(len, received))
        raise BadBody(f"Request body not received within {timeout_s:g}s ({got} bytes came): upload dropped",
                      status=408) from None
    return b"".join(received)


class _Deadline:
    """Cancels the running task after ``timeout_s`` (``None``: never), seen as :class:`TimeoutError` on leaving.

    One timer on the event loop, armed and cancelled with the block: a body that is already in
    (nearly every webhook's) costs no cancel scope. The timer can only fire while the task waits
    inside the block, so its cancellation is delivered there.
    """

    def __init__(self, timeout_s: float | None):
        self.timeout_s, self.expired, self.timer = timeout_s, False, None

    def __enter__(self) -> "_Deadline":
        if self.timeout_s is not None:
            task = asyncio.current_task()
            self.timer = asyncio.get_running_loop().call_later(self.timeout_s, self._expire, task)
        return self

    def _expire(self, task: asyncio.Task) -> None:
        self.expired = True
        task.cancel()

    def __exit__(self, kind, error, trace) -> bool:
        if self.timer is not None:
            self.timer.cancel()
        if self.expired and kind is asyncio.CancelledError:
            asyncio.current_task().uncancel()
            raise TimeoutError
        return False


def parse_body(body: bytes, content_type: str | None) -> Any:
    """The ``data`` of the input state for a body of ``content_type`` (``{}`` when empty).

    Example:
        >>> parse_body(b"a=1&b=2&b=3", "application/x-www-form-urlencoded"), parse_body(b"", None)
        ({'a': '1', 'b': ['2', '3']}, {})
    """
    media, charset = _media_type(content_type)
    if not body.strip():
        return {}
    if _is_json(media):
        try:
            return parse_json(body)
        except ValueError as error:
            raise BadBody(f"Invalid JSON body: {error}") from None
    if media == "application/x-www-form-urlencoded":
        return _grouped(parse_qsl(_text(body, charset), keep_blank_values=True))
    if media and not (media.startswith("text/") or media.endswith(("/xml", "+xml"))):
        raise BadBody(f"Unsupported content type {media!r}: send JSON, XML, text or a form", status=415)
    return _text(body, charset)


def _is_json(media: str) -> bool:
    return media in ("application/json", "text/json") or media.endswith("+json")


def _media_type(content_type: str | None) -> tuple[str, str]:
    media, *params = (content_type or "").split(";")
    charset = "utf-8"
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    return media.strip().lower(), charset


def _text(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError) as error:
        raise BadBody(f"The body is not valid {charset} text: {error}") from None


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Query or form pairs → ``{name: value}``, a list for a name given several times."""
    grouped: dict[str, Any] = {}
    for name, value in pairs:
        if name not in grouped:
            grouped[name] = value
        elif isinstance(grouped[name], list):
            grouped[name].append(value)
        else:
            grouped[name] = [grouped[name], value]
    return grouped


def input_state(data: Any, method: str, path: str, headers: Iterable[tuple[str, str]],
                query_string: str) -> dict:
    """The run's input state (auth headers removed).

    Example:
        >>> state = input_state({"id": 1}, "POST", "/i/forms", [("Authorization", "Basic x"),
        ...                     ("content-type", "application/json")], "app_id=a")
        >>> state["request"]
        {'method': 'POST', 'path': ['i', 'forms'], 'headers': {'content-type': 'application/json'}, 'query_params': {'app_id': 'a'}}
    """
    kept: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        if name not in SECRET_HEADERS:
            kept[name] = f"{kept[name]}, {value}" if name in kept else value
    request = {"method": method, "path": [part for part in path.split("/") if part], "headers": kept,
               "query_params": _grouped(parse_qsl(query_string, keep_blank_values=True))}
    return {"data": data, "request": request}


def stored_input(state: dict, body: bytes, content_type: str | None) -> dict | RawJSON:
    """The input state as the store is given it: for a JSON body in UTF-8, its own text as ``data``
    (the store keeps the same value without encoding the parsed body again); else ``state`` itself.

    Call it with a ``body`` that :func:`parse_body` accepted (so its text is valid, strict JSON).

    Example:
        >>> state = input_state({"id": 1}, "POST", "/i/f", [], "")
        >>> stored_input(state, b'{"id": 1}', "application/json")
        '{"data":{"id": 1},"request":{"method":"POST","path":["i","f"],"headers":{},"query_params":{}}}'
        >>> stored_input(state, b"id=1", "application/x-www-form-urlencoded") is state
        True
    """
    if not _is_json(_media_type(content_type)[0]) or b"\x00" in body or body.startswith(b"\xef\xbb\xbf"):
        return state  # not JSON, or JSON in UTF-16/32 or with a BOM: encoded again by the store
    try:
        text = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        return state
    if not text:
        return state
    request = escape_surrogates(json.dumps(state["request"], ensure_ascii=False, separators=(",", ":")))
    return RawJSON(f'{{"data":{text},"request":{request}}}')
