"""How JavaScript turns values into strings, for the helpers that must match it."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["UNDEFINED", "js_falsy", "js_string"]


class _Undefined:
    """JavaScript's ``undefined``: what reading a missing property gives (``None`` is ``null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED = _Undefined()


def js_string(value: Any) -> str:
    """Return ``String(value)`` as JavaScript writes it (``true``, ``null``, ``1`` for ``1.0``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _js_number(value)
    if isinstance(value, (list, tuple)):
        return ",".join("" if item is None or item is UNDEFINED else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _js_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def js_falsy(value: Any) -> bool:
    """Return True for the values JavaScript counts as false: null, false, 0, NaN and ""."""
    if value is None or value is False or value is UNDEFINED or value == "":
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0 or value != value
    return False
