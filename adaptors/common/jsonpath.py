"""JSONPath queries, as OpenFn's ``jsonpath-plus`` reads them, through jsonpath-ng.

Only the operations OpenFn documents as taking JSONPath use this module
(``source_value``, ``source``, ``data_value``, ``last_reference_value``,
``json_value``, ``each``/``as_data``, ``map``, ``merge``, ``join``, ``validate``).

Rules kept from jsonpath-plus:

- a leading ``$`` is optional: ``"data.items"`` is ``"$.data.items"``;
- ``"$.data.items"`` matches **one** value (the list itself), while
  ``"$.data.items[*]"`` matches each element;
- a path that matches nothing gives no matches (never an error).

Filters (``[?(@.age > 2)]``), slices, recursive descent (``$..id``) and
bracketed keys (``$.data['first name']``) work as in jsonpath-ng's extended
parser. jsonpath-ng is imported on first use, so a job that never uses a
JSONPath does not pay for it; compiled paths are cached by their text.

Speed: jsonpath-ng wraps every match in a ``DatumInContext`` (with its path and
context), which costs about 2 µs per element: 0.2 s for ``$.data.items[*]``
over 100,000 items. A path made only of names, indexes and ``*`` (what jobs
write almost always) is parsed by jsonpath-ng once, then walked directly over
dicts and lists. Anything else, or a value of another type on the way, goes
through jsonpath-ng itself, so the results are always jsonpath-ng's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["JSONPathError", "compile_path", "first", "query"]


class JSONPathError(ValueError):
    """A JSONPath string that jsonpath-ng cannot parse."""

    fix = (
        "Check the path syntax, e.g. \"$.data.items[*]\" or \"data.patients[0].name\"; "
        "quote keys with spaces: \"$.data['first name']\"."
    )


@lru_cache(maxsize=512)
def compile_path(path: str) -> Any:
    """Parse ``path`` once and return the compiled jsonpath-ng expression.

    Args:
        path: a JSONPath string; the leading ``$`` may be left out.

    Raises:
        JSONPathError: the path cannot be parsed.
        TypeError: ``path`` is not a string.
    """
    if not isinstance(path, str):
        raise TypeError(f"A JSONPath must be a string, got {type(path).__name__}")
    from jsonpath_ng.ext import parse

    try:
        return parse(path)
    except Exception as error:  # jsonpath-ng raises bare Exception subclasses
        raise JSONPathError(f"Invalid JSONPath {path!r}: {error}") from None


def query(obj: Any, path: str) -> list:
    """Return every value in ``obj`` that ``path`` matches, in document order.

    Example:
        >>> query({"data": {"items": [1, 2]}}, "$.data.items[*]")
        [1, 2]
    """
    expression = compile_path(path)
    steps = _steps(path)
    if steps is not None:
        try:
            return _walk(obj, steps)
        except _Fallback:
            pass
    return [match.value for match in expression.find(obj)]


def first(obj: Any, path: str) -> Any:
    """Return the first value in ``obj`` that ``path`` matches, or ``None``.

    Example:
        >>> first({"data": {"items": [1, 2]}}, "$.data.items")
        [1, 2]
    """
    matches = query(obj, path)
    return matches[0] if matches else None


class _Fallback(Exception):
    """The direct walk met something only jsonpath-ng knows how to treat."""


_FIELDS, _INDEX, _WILDCARD = 0, 1, 2
_MISSING = object()


@lru_cache(maxsize=512)
def _steps(path: str) -> tuple | None:
    """The compiled path as ``((kind, argument), ...)`` when it is names, indexes and ``*`` only."""
    from jsonpath_ng import jsonpath as ng

    steps: list = []
    wildcard = getattr(ng, "Wildcard", None)  # jsonpath-ng < 1.8 reads [*] as a Slice: left to it

    def flatten(node: Any) -> bool:
        kind = type(node)
        if kind is ng.Child:
            return flatten(node.left) and flatten(node.right)
        if kind is ng.Root:
            return not steps  # only as the first step
        if kind is ng.Fields and "*" not in node.fields:
            steps.append((_FIELDS, node.fields))
        elif kind is ng.Index and hasattr(node, "indices"):
            steps.append((_INDEX, node.indices))
        elif wildcard is not None and kind is wildcard:
            steps.append((_WILDCARD, None))
        else:
            return False
        return True

    return tuple(steps) if flatten(compile_path(path)) else None


def _walk(obj: Any, steps: tuple) -> list:
    """Apply ``steps`` as jsonpath-ng would to plain dicts and lists; raise ``_Fallback`` otherwise."""
    from jsonpath_ng import jsonpath as ng

    if ng.auto_id_field is not None:
        raise _Fallback
    values = [obj]
    for kind, argument in steps:
        found: list = []
        for value in values:
            if kind == _WILDCARD and isinstance(value, (list, tuple)):
                found.extend(value)
            elif kind == _WILDCARD and isinstance(value, dict):
                found.extend(value.values())
            elif kind == _FIELDS and isinstance(value, dict):
                found.extend(v for v in (value.get(name, _MISSING) for name in argument) if v is not _MISSING)
            elif kind == _INDEX and isinstance(value, (list, tuple)):
                size = len(value)
                found.extend(value[i] for i in argument if size and -size <= i < size)
            else:
                raise _Fallback
        values = found
    return values
