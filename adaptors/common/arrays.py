"""Lists: chunking, wrapping a value in a list, joining a list into a string."""

from __future__ import annotations

from typing import Any

from ._js import js_string

__all__ = ["array_to_string", "chunk", "to_array"]


def chunk(array: list, size: int) -> list[list]:
    """Split a list into lists of at most ``size`` items.

    Args:
        array: the list to split.
        size: the largest chunk size (at least 1).

    Returns:
        A list of lists; the last one may be shorter.

    Raises:
        ValueError: ``size`` is less than 1.

    Example:
        each(lambda state: chunk(state["data"]["rows"], 100), fn(lambda state: state))

    Differences from OpenFn:
        OpenFn loops forever when the size is 0 or negative; pyfn raises
        ``ValueError('chunk size must be at least 1')``.
    """
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size!r}")
    items = list(array)
    return [items[start:start + size] for start in range(0, len(items), size)]


def to_array(value: Any) -> list:
    """Wrap a value in a list, unless it already is one.

    As JavaScript's ``[].concat(value)``: a list (or tuple) gives a shallow copy,
    anything else (``None`` included) gives a one-item list.

    Args:
        value: any value.

    Returns:
        A new list.

    Example:
        each(lambda state: to_array(state["data"]["patient"]), fn(lambda state: state))
    """
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def array_to_string(arr: list, separator: str = ",") -> str:
    """Join the items of a list into one string.

    Items are written as JavaScript writes them: ``None`` becomes an empty
    string, ``True`` becomes ``true``, ``1.0`` becomes ``1``.

    Args:
        arr: the list to join.
        separator: put between items; ``","`` when not given, as in JavaScript.

    Returns:
        The joined string.

    Example:
        fields(field("tags", lambda state: array_to_string(state["data"]["tags"], ", ")))

    Differences from OpenFn:
        OpenFn builds the list with ``Array.apply(null, arr)``, so a list holding
        one number ``n`` turns into ``n`` empty slots (``[3]`` gives ``",,"``);
        pyfn joins the items as given (``[3]`` gives ``"3"``).
    """
    sep = "," if separator is None else js_string(separator)
    return sep.join("" if item is None else js_string(item) for item in arr)
