"""The ``util`` namespace: base64, UUIDs, lazy values and natural-language dates.

As OpenFn's ``util`` (also importable as ``@openfn/language-common/util``);
its HTTP helpers belong to the ``http`` adaptor in pyfn.

Example:
    fn(lambda state: {**state, "token": util.encode({"user": "ann"}), "id": util.uuid()})
"""

from __future__ import annotations

from typing import Any

from .cursors import parse_date
from .references import expand_references

__all__ = ["decode", "encode", "expand_references", "make_basic_auth_header", "parse_date", "uuid"]


def encode(data: Any, parse_json: bool = True) -> str:
    """Encode data as base64 (UTF-8).

    Args:
        data: a string, bytes, or (with ``parse_json``) any JSON value, which is
            written as compact JSON first.
        parse_json: JSON-encode values that are not strings or bytes.

    Returns:
        The base64 text.

    Raises:
        TypeError: ``data`` is not a string or bytes and ``parse_json`` is false.

    Example:
        fn(lambda state: {**state, "payload": util.encode(state["data"])})
    """
    import base64

    if isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
    elif isinstance(data, str):
        raw = data.encode("utf-8")
    elif parse_json:
        import json

        raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    else:
        raise TypeError(f"util.encode needs a string or bytes when parse_json is false, got {type(data).__name__}")
    return base64.b64encode(raw).decode("ascii")


def decode(base64_data: str, parse_json: bool = True) -> Any:
    """Decode base64 text (UTF-8); JSON is parsed when the text starts with ``[`` or ``{``.

    Like Node's decoder, padding may be missing and URL-safe characters
    (``-`` and ``_``) are accepted.

    Args:
        base64_data: the base64 text.
        parse_json: parse the result as JSON when it starts with ``[`` or ``{``.

    Returns:
        The decoded string, or the parsed JSON value.

    Example:
        fn(lambda state: {**state, "data": util.decode(state["data"]["content"])})
    """
    import base64

    text = base64_data.strip().replace("-", "+").replace("_", "/")
    decoded = base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    if parse_json and decoded[:1] in ("[", "{"):
        import json

        return json.loads(decoded)
    return decoded


def uuid() -> str:
    """Make a random UUID (version 4), as ``crypto.randomUUID``.

    Returns:
        The UUID text, e.g. ``"3b241101-e2bb-4255-8caf-4136c566a962"``.

    Example:
        fn(lambda state: {**state, "data": {**state["data"], "id": util.uuid()}})
    """
    import uuid as uuid_module

    return str(uuid_module.uuid4())


def make_basic_auth_header(username: str, password: str) -> dict:
    """Build a Basic ``Authorization`` header.

    Args:
        username: the user name.
        password: the password.

    Returns:
        ``{"Authorization": "Basic <base64 of username:password>"}``.

    Example:
        fn(lambda state: {**state, "headers": util.make_basic_auth_header("ann", "secret")})
    """
    return {"Authorization": "Basic " + encode(f"{username}:{password}")}
