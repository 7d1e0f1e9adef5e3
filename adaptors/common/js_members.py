"""Properties and methods of JSON values as JavaScript reads them (``.length``, ``"abc".startsWith``).

``own_property`` is ``Object.hasOwn``: a list's and a string's own properties are their
indexes and ``length``. ``get_property`` adds the methods filters commonly call; a method
is returned bound to its value, ready to call.

Example:
    >>> get_property("Ann", "startsWith")("A"), get_property([1, 2], "length")
    (True, 2)
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ._js import UNDEFINED, js_string
from .js_values import JSRegExp, js_type, strict_equals, to_number

__all__ = ["ABSENT", "get_property", "own_property"]

ABSENT = object()


def _index(key: str, size: int) -> int | None:
    if key.isdigit() and (key == "0" or key[0] != "0") and int(key) < size:
        return int(key)
    return None


def own_property(value: Any, key: str) -> Any:
    """``value[key]`` when ``Object.hasOwn(value, key)``, else :data:`ABSENT`."""
    if isinstance(value, dict):
        if key in value:
            return value[key]
        index = _index(key, math.inf)  # a Python job's dict may have integer keys
        return value[index] if index is not None and index in value else ABSENT
    if isinstance(value, (list, tuple, str)):
        if key == "length":
            return len(value)
        index = _index(key, len(value))
        return value[index] if index is not None else ABSENT
    return ABSENT


def _position(value: Any, size: int, default: int = 0) -> int:
    if value is UNDEFINED:
        return default
    number = to_number(value)
    if math.isnan(number):
        return 0
    return int(max(0, size + number) if number < 0 else min(number, size))


def _slice(value: Any, start: Any = UNDEFINED, end: Any = UNDEFINED) -> Any:
    return value[_position(start, len(value)):_position(end, len(value), len(value))]


def _substring(text: str, start: Any = UNDEFINED, end: Any = UNDEFINED) -> str:
    size = len(text)
    low = min(max(0, _int(start)), size)
    high = size if end is UNDEFINED else min(max(0, _int(end)), size)
    return text[min(low, high):max(low, high)]


def _int(value: Any) -> int:
    number = to_number(value)
    return 0 if math.isnan(number) else int(max(-2**53, min(2**53, number)))


def _at(value: Any, index: Any = 0) -> Any:
    position = _int(index)
    position = position + len(value) if position < 0 else position
    return value[position] if 0 <= position < len(value) else UNDEFINED


def _index_of(value: Any, item: Any, start: Any = 0, last: bool = False) -> int:
    if isinstance(value, str):
        item = js_string(item)
        found = value.rfind(item) if last else value.find(item, max(0, _int(start)))
        return found
    positions = range(len(value) - 1, -1, -1) if last else range(max(0, _int(start)), len(value))
    return next((i for i in positions if strict_equals(value[i], item)), -1)


def _includes(value: Any, item: Any, start: Any = 0) -> bool:
    if isinstance(value, str):
        return js_string(item) in value[max(0, _int(start)):]
    nan = isinstance(item, float) and math.isnan(item)
    return any(strict_equals(x, item) or (nan and isinstance(x, float) and math.isnan(x)) for x in value)


def _regex(pattern: Any) -> JSRegExp:
    return pattern if isinstance(pattern, JSRegExp) else JSRegExp(js_string(pattern), "")


def _match(text: str, pattern: Any) -> Any:
    regex = _regex(pattern)
    if "g" in regex.flags:
        found = [m.group(0) for m in regex.compiled.finditer(text)]
        return found or None
    match = regex.compiled.search(text)
    return None if match is None else [match.group(0), *(g if g is not None else UNDEFINED for g in match.groups())]


def _replace(text: str, pattern: Any, replacement: Any, every: bool = False) -> str:
    new = js_string(replacement)
    if isinstance(pattern, JSRegExp):
        count = 0 if every or "g" in pattern.flags else 1
        return pattern.compiled.sub(lambda _: new, text, count=count)
    return text.replace(js_string(pattern), new, -1 if every else 1)


def _split(text: str, separator: Any = UNDEFINED, limit: Any = UNDEFINED) -> list:
    if separator is UNDEFINED:
        parts = [text]
    elif isinstance(separator, JSRegExp):
        parts = separator.compiled.split(text)
    elif js_string(separator) == "":
        parts = list(text)
    else:
        parts = text.split(js_string(separator))
    return parts if limit is UNDEFINED else parts[:max(0, _int(limit))]


def _pad(text: str, length: Any, fill: Any = " ", start: bool = True) -> str:
    fill, missing = js_string(fill), _int(length) - len(text)
    if missing <= 0 or not fill:
        return text
    padding = (fill * (missing // len(fill) + 1))[:missing]
    return padding + text if start else text + padding


def _to_string(value: Any, radix: Any = 10) -> str:
    if js_type(value) == "number" and _int(radix) not in (10, 0) and float(value).is_integer():
        digits, number, base = "", abs(int(value)), _int(radix)
        while True:
            number, rest = divmod(number, base)
            digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
            if not number:
                return ("-" if value < 0 else "") + digits
    return js_string(value)


_TEXT: dict[str, Callable] = {
    "includes": _includes, "indexOf": _index_of, "lastIndexOf": lambda t, s: _index_of(t, s, last=True),
    "startsWith": lambda t, s, p=0: t.startswith(js_string(s), max(0, _int(p))),
    "endsWith": lambda t, s, n=UNDEFINED: t[:len(t) if n is UNDEFINED else max(0, _int(n))].endswith(js_string(s)),
    "toLowerCase": str.lower, "toUpperCase": str.upper, "toLocaleLowerCase": str.lower,
    "toLocaleUpperCase": str.upper, "trim": str.strip, "trimStart": str.lstrip, "trimEnd": str.rstrip,
    "slice": _slice, "substring": _substring, "charAt": lambda t, i=0: (_at(t, i) if _int(i) >= 0 else "") or "",
    "at": _at, "split": _split, "concat": lambda t, *more: t + "".join(js_string(m) for m in more),
    "padStart": _pad, "padEnd": lambda t, n, f=" ": _pad(t, n, f, start=False),
    "repeat": lambda t, n: t * _int(n), "replace": _replace, "replaceAll": lambda t, p, r: _replace(t, p, r, True),
    "match": _match, "search": lambda t, p: (lambda m: -1 if m is None else m.start())(_regex(p).compiled.search(t)),
    "toString": js_string, "valueOf": lambda t: t,
}
_LIST: dict[str, Callable] = {
    "includes": _includes, "indexOf": _index_of, "lastIndexOf": lambda v, x: _index_of(v, x, last=True),
    "join": lambda v, sep=",": (js_string(sep) if sep is not UNDEFINED else ",").join(
        "" if x is None or x is UNDEFINED else js_string(x) for x in v),
    "slice": lambda v, a=UNDEFINED, b=UNDEFINED: list(_slice(v, a, b)), "at": _at,
    "concat": lambda v, *more: [*v, *(x for m in more for x in (m if isinstance(m, (list, tuple)) else [m]))],
    "toString": js_string,
}
_OBJECT: dict[str, Callable] = {"hasOwnProperty": lambda o, k: own_property(o, js_string(k)) is not ABSENT,
                                "toString": js_string}
_NUMBER: dict[str, Callable] = {"toString": _to_string, "toFixed": lambda n, d=0: f"{to_number(n):.{_int(d)}f}",
                                "valueOf": lambda n: n}
_REGEX: dict[str, Callable] = {"test": lambda r, t=UNDEFINED: r.compiled.search(js_string(t)) is not None,
                               "toString": js_string}


def _methods(value: Any) -> dict[str, Callable]:
    if isinstance(value, str):
        return _TEXT
    if isinstance(value, (list, tuple)):
        return _LIST
    if isinstance(value, JSRegExp):
        return _REGEX
    if js_type(value) in ("number", "boolean"):
        return _NUMBER
    return _OBJECT if isinstance(value, dict) else {}


def get_property(value: Any, key: str) -> Any:
    """``value[key]``: an own property, else a method bound to ``value``, else ``undefined``."""
    found = own_property(value, key)
    if found is not ABSENT:
        return found
    if isinstance(value, JSRegExp) and key in ("source", "flags"):
        return getattr(value, key)
    method = _methods(value).get(key)
    if method is None:
        return UNDEFINED
    return lambda *arguments: method(value, *arguments)
