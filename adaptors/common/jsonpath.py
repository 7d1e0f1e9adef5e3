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
    return [match.value for match in compile_path(path).find(obj)]


def first(obj: Any, path: str) -> Any:
    """Return the first value in ``obj`` that ``path`` matches, or ``None``.

    Example:
        >>> first({"data": {"items": [1, 2]}}, "$.data.items")
        [1, 2]
    """
    matches = compile_path(path).find(obj)
    return matches[0].value if matches else None
