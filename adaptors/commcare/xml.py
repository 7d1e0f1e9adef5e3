"""JSON → XML exactly as js2xmlparser 1.0.0 writes it (what OpenFn's ``submit`` sends).

Rules (``lib/js2xmlparser.js`` 1.0.0, default options):

- Output: ``<?xml version="1.0" encoding="UTF-8"?>`` and a newline, then the elements, one per line,
  indented with a **tab** per level; trailing whitespace is stripped.
- A dict is an element. Its ``"@"`` key, when a dict, gives the attributes in order (any other ``"@"``
  value is ignored). With nothing else it is self-closing (``<x/>``). With only ``"#"`` (and
  ``"="``) besides, ``"#"`` is its text on one line. Otherwise its other keys are child elements
  and ``"#"`` is dropped.
- ``"="`` renames the element; a key named ``"="`` is never an element.
- A list repeats the element once per item (an empty list writes nothing).
- ``None`` gives ``<x></x>``; ``True``/``False`` give ``true``/``false``; numbers as JavaScript
  writes them (``1.0`` → ``1``); an empty dict as text gives ``""``; other dicts ``[object Object]``.
- Text and attribute values escape ``& < > " '``. Names starting with a digit get a ``_`` prefix.
- Keys are visited in JavaScript's order: integer-like keys (``"0"``, ``"12"``) first, ascending,
  then the others as inserted.

Differences from js2xmlparser: a ``datetime``/``date`` is written in ISO 8601 (JavaScript writes
``Date.toString()``, e.g. ``Thu May 02 2024 ...``), and ``bytes`` are decoded as UTF-8.

Example:
    >>> to_xml("data", {"@": {"xmlns": "http://x"}, "name": "Zoë & co"})
    '<?xml version="1.0" encoding="UTF-8"?>\\n<data xmlns="http://x">\\n\\t<name>Zoë &amp; co</name>\\n</data>'
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from adaptors.common._js import js_string

__all__ = ["to_xml"]

ATTRIBUTES, TEXT, ALIAS = "@", "#", "="
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'
_DIGIT = re.compile(r"^\d")
_INDEX = re.compile(r"^(0|[1-9]\d{0,9})$")
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&apos;"))
_DATA_ERROR = "data must be an object (excluding arrays) or a JSON string"


def to_xml(root: str, data: Any) -> str:
    """The XML js2xmlparser 1.0.0 writes for ``js2xmlparser(root, data)``.

    Args:
        root: the root element's name (``"data"`` for a form).
        data: a dict, a JSON text of one, or a number/boolean (written as the root's text).

    Returns:
        The XML text (no trailing newline).

    Raises:
        TypeError: ``root`` is not a non-empty string, or ``data`` is a list or ``None``
            (js2xmlparser's messages).
    """
    if not isinstance(root, str):
        raise TypeError("root element must be a string")
    if root == "":
        raise TypeError("root element cannot be empty")
    if data is None or isinstance(data, (list, tuple)) or not isinstance(data, (dict, str, int, float)):
        raise TypeError(_DATA_ERROR)
    if isinstance(data, str):
        data = json.loads(data)
    out: list[str] = []
    _write({root: data}, out, 0)
    return PROLOG + "\n" + "".join(out).rstrip()


def _keys(obj: dict) -> list:
    """JavaScript's own-property order: array-index keys ascending, then the rest as inserted."""
    indexes = sorted((k for k in obj if isinstance(k, str) and _INDEX.match(k) and int(k) < 2 ** 32 - 1), key=int)
    if not indexes:
        return list(obj)
    chosen = set(indexes)
    return indexes + [k for k in obj if k not in chosen]


def _write(obj: dict, out: list[str], level: int) -> None:
    for key in _keys(obj):
        value = obj[key]
        name = "_" + str(key) if _DIGIT.match(str(key)) else str(key)
        if name == ALIAS:
            continue
        if isinstance(value, dict) and ALIAS in value:
            name = js_string(value[ALIAS])
        if isinstance(value, (list, tuple)):
            for item in value:
                _write({key: item}, out, level)
        elif isinstance(value, dict):
            _element(name, value, out, level)
        else:
            out.append("\t" * level + f"<{name}>{_text(value)}</{name}>\n")


def _element(name: str, value: dict, out: list[str], level: int) -> None:
    out.append("\t" * level + "<" + name)
    remaining = len(value)
    attributes = value.get(ATTRIBUTES)
    if isinstance(attributes, dict):
        remaining -= 1
        out.extend(f' {attr}="{_text(attr_value)}"' for attr, attr_value in attributes.items())
    elif ATTRIBUTES in value:  # js2xmlparser's fix for a non-object "@": it is no child either
        remaining -= 1
    if remaining == 0:
        out.append("/>\n")
    elif (remaining == 1 or (remaining == 2 and ALIAS in value)) and TEXT in value:
        out.append(f">{_text(value[TEXT])}</{name}>\n")
    else:
        out.append(">\n")
        _write({k: v for k, v in value.items() if k not in (ATTRIBUTES, TEXT)}, out, level + 1)
        out.append("\t" * level + f"</{name}>\n")


def _text(value: Any) -> str:
    """js2xmlparser's ``toString``: JavaScript's string of the value, XML-escaped."""
    if value is None or (isinstance(value, dict) and not value):
        text = ""
    elif isinstance(value, datetime) or isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        text = js_string(value)
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text
