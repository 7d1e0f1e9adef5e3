"""JavaScript's operators on JSON values: types, ``==``/``===``, comparison, arithmetic.

``None`` is ``null`` and :data:`UNDEFINED` is ``undefined`` (a missing property);
dicts and lists are objects, compared by identity as JavaScript does.

Example:
    >>> loose_equals(None, UNDEFINED), strict_equals(None, UNDEFINED), loose_equals("7", 7)
    (True, False, True)
"""

from __future__ import annotations

import math
import re
from typing import Any

from ._js import UNDEFINED, js_string

__all__ = ["JSRegExp", "arithmetic", "compare", "js_type", "loose_equals", "strict_equals", "to_number",
           "to_primitive", "typeof"]

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Infinity")
_RADIX = {"0x": 16, "0o": 8, "0b": 2}
_PLAIN_NUMBERS = (int, float)


class JSRegExp:
    """A regular expression literal (``/^A/i``), matched with Python's ``re``."""

    def __init__(self, pattern: str, flags: str) -> None:
        options = (re.IGNORECASE if "i" in flags else 0) | (re.MULTILINE if "m" in flags else 0)
        options |= (re.DOTALL if "s" in flags else 0) | (0 if "u" in flags else re.ASCII)
        self.source, self.flags = pattern, flags
        self.compiled = re.compile(pattern, options)

    def __str__(self) -> str:
        return f"/{self.source}/{self.flags}"


def js_type(value: Any) -> str:
    """The JavaScript type of ``value``: undefined, null, boolean, number, string, object or function."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "function" if callable(value) else "object"


def typeof(value: Any) -> str:
    """``typeof value``: as :func:`js_type`, but ``typeof null`` is ``"object"``."""
    kind = js_type(value)
    return "object" if kind == "null" else kind


def to_primitive(value: Any) -> Any:
    """An object as JavaScript turns it into a primitive: lists join, dicts are ``[object Object]``."""
    return js_string(value) if js_type(value) in ("object", "function") else value


def to_number(value: Any) -> int | float:
    """``Number(value)``: ``null`` is 0, ``undefined`` NaN, ``"12 "`` 12, ``"x"`` NaN."""
    value = to_primitive(value)
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if isinstance(value, (int, float)):
        return value
    if not isinstance(value, str):
        return math.nan
    text = value.strip()
    if not text:
        return 0
    if text[:2].lower() in _RADIX:
        try:
            return int(text[2:], _RADIX[text[:2].lower()])
        except ValueError:
            return math.nan
    if not _NUMBER.fullmatch(text):
        return math.nan
    number = float(text.replace("Infinity", "inf"))
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def strict_equals(left: Any, right: Any) -> bool:
    """``left === right``."""
    if type(left) is type(right) and type(left) in (str, int, bool):
        return left == right
    kind = js_type(left)
    if kind != js_type(right):
        return False
    if kind in ("object", "function"):
        return left is right
    return left == right


def loose_equals(left: Any, right: Any) -> bool:
    """``left == right``: ``null == undefined``, ``"7" == 7``, ``true == 1``, ``[] == ""``."""
    left_kind, right_kind = js_type(left), js_type(right)
    if left_kind == right_kind:
        return strict_equals(left, right)
    nullish = ("null", "undefined")
    if left_kind in nullish or right_kind in nullish:
        return left_kind in nullish and right_kind in nullish
    if left_kind == "boolean" or right_kind == "boolean":
        return loose_equals(to_number(left) if left_kind == "boolean" else left,
                            to_number(right) if right_kind == "boolean" else right)
    if left_kind in ("object", "function") or right_kind in ("object", "function"):
        return loose_equals(to_primitive(left), to_primitive(right))
    return to_number(left) == to_number(right)


def compare(op: str, left: Any, right: Any) -> bool:
    """``left < right`` (and ``>``, ``<=``, ``>=``): strings by characters, anything else as numbers."""
    if not (type(left) in _PLAIN_NUMBERS and type(right) in _PLAIN_NUMBERS):
        left, right = to_primitive(left), to_primitive(right)
        if not (isinstance(left, str) and isinstance(right, str)):
            left, right = to_number(left), to_number(right)
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    return left >= right


def _int32(value: Any, unsigned: bool = False) -> int:
    number = to_number(value)
    if math.isnan(number) or math.isinf(number):
        return 0
    number = int(number) % 2**32
    return number if unsigned or number < 2**31 else number - 2**32


def _divide(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1, right)
    return left / right


def _remainder(left: float, right: float) -> float:
    if right == 0 or math.isinf(left) or math.isnan(left) or math.isnan(right):
        return math.nan
    return left if math.isinf(right) else math.fmod(left, right)


_NUMERIC = {
    "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _divide, "%": _remainder,
}
_BITWISE = {
    "|": lambda a, b: _int32(a) | _int32(b), "&": lambda a, b: _int32(a) & _int32(b),
    "^": lambda a, b: _int32(a) ^ _int32(b), "<<": lambda a, b: _int32(_int32(a) << (_int32(b, True) & 31)),
    ">>": lambda a, b: _int32(a) >> (_int32(b, True) & 31), ">>>": lambda a, b: _int32(a, True) >> (_int32(b, True) & 31),
}


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """``left op right`` for ``+ - * / %`` and the bitwise operators."""
    if op in _BITWISE:
        return _BITWISE[op](left, right)
    if op == "+":
        left, right = to_primitive(left), to_primitive(right)
        if isinstance(left, str) or isinstance(right, str):
            return js_string(left) + js_string(right)
        return _tidy(to_number(left) + to_number(right))
    return _tidy(_NUMERIC[op](to_number(left), to_number(right)))


def _tidy(number: Any) -> Any:
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number
