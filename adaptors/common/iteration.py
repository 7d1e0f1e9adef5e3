"""Iteration: running an operation per item (``each``), mapping items, grouping them."""

from __future__ import annotations

import re
from typing import Any, Callable

from .empty_match import said_query
from ._js import js_falsy, js_string
from .references import expand_references, resolve_value
from .values import as_data

__all__ = ["each", "group", "map"]

_PATH_PART = re.compile(r"[^.\[\]]+")


def _items(value: Any, name: str) -> Any:
    """Check that ``value`` is a sequence of items, as the JavaScript ``reduce``/``for of`` need."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        error = TypeError(f"{name} needs a list of items, got {type(value).__name__}")
        error.fix = 'Point the data source at a list, e.g. "$.data.items[*]" or lambda state: state["data"]["items"]'
        raise error
    return value


def each(data_source: Any, operation: Callable[[dict], Any]) -> Callable[[dict], Any]:
    """Run an operation once per item of a data source.

    For item ``i``, ``operation`` gets ``{**state, "data": item, "index": i}``;
    the state it returns is the state the next item starts from.

    **Quirk kept from OpenFn:** afterwards ``data`` is whatever the last run
    left (usually the last item) and ``index`` stays set to the last index; the
    original ``data`` is not put back. With no items the state is unchanged.

    Args:
        data_source: a JSONPath giving **all** its matches (``"$.data.items[*]"``),
            a list, or a lazy value giving a list (e.g. ``merge(...)``).
        operation: the operation to run per item.

    Returns:
        The operation.

    Raises:
        TypeError: at once, when ``data_source`` is missing (None, False, "" or 0):
            ``dataSource argument for each operation is invalid.``; when the
            operation runs, if the data source is not a list.

    Example:
        each("$.data.patients[*]", fn(lambda state: {**state, "seen": [*state.get("seen", []), state["data"]["name"]]}))
    """
    if js_falsy(data_source):
        raise TypeError("dataSource argument for each operation is invalid.")

    def run_each(state: dict) -> Any:
        for position, item in enumerate(_items(as_data(data_source, state, "each"), "each")):
            state = operation({**(state or {}), "data": item, "index": position})
        return state

    return run_each


def positional_count(func: Callable) -> int:
    """How many of ``(item, index, state)`` to pass, so ``lambda item: ...`` works as in JavaScript."""
    target, bound = getattr(func, "__func__", func), int(hasattr(func, "__func__"))
    if not hasattr(target, "__code__") and hasattr(type(func), "__call__") and hasattr(type(func).__call__, "__code__"):
        target, bound = type(func).__call__, 1  # a callable object
    code = getattr(target, "__code__", None)
    if code is None:
        return _signature_count(func)
    if code.co_flags & 0x04:  # *args
        return 3
    return max(0, min(3, code.co_argcount - bound))


def _signature_count(func: Callable) -> int:
    """Builtins and classes (``int``, ``str.upper``): ask ``inspect``, or pass the item alone."""
    import inspect

    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = [parameter.kind for parameter in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return 3
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return max(1, min(3, sum(kind in positional for kind in kinds)))


def map(path: Any, callback: Callable[..., Any]) -> Callable[[dict], dict]:
    """Call a function on each item and write the results to ``data``.

    Works like a list comprehension: ``callback(item, index, state)`` is called
    for each item in order, and the list of results becomes ``state["data"]``.
    ``references`` are not touched. The callback may take fewer arguments
    (``lambda item: ...``).

    Args:
        path: a JSONPath into state giving all its matches (``"$.data.items[*]"``),
            a list, or a lazy value giving a list (``lambda state: state["data"]["items"]``).
        callback: called as ``callback(item, index, state)``; returns the new item.

    Returns:
        The operation.

    Example:
        map("$.data.patients[*]", lambda patient, i, state: {"id": i, "name": patient["name"].upper()})

    Differences from OpenFn:
        OpenFn's ``map`` does not resolve a lazy ``path``, so its documented form
        ``map($.items, ...)`` fails with ``values is not iterable``. pyfn resolves it.
    """
    count = positional_count(callback)

    def run_map(state: dict) -> dict:
        if isinstance(path, str):
            items = said_query(state, path, "map")
        else:
            items = _items(resolve_value(state, path), "map")
        results = [callback(*(item, position, state)[:count]) for position, item in enumerate(items)]
        return {**state, "data": results}

    return run_map


def _get(item: Any, path: Any) -> Any:
    """lodash ``_.get``: a direct key first, then a dot/bracket path (``"a.b[0].c"``) or a list of keys."""
    if isinstance(item, dict) and not isinstance(path, (list, tuple)) and path in item:
        return item[path]
    if isinstance(path, str):
        parts = _PATH_PART.findall(path)
    else:
        parts = list(path) if isinstance(path, (list, tuple)) else [path]
    value = item
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part if part in value else str(part))
        elif isinstance(value, (list, tuple)) and str(part).lstrip("-").isdigit():
            position = int(part)
            value = value[position] if 0 <= position < len(value) else None
        else:
            return None
    return value


def group(array_of_objects: Any, key_path: Any, callback: Callable[[dict], Any] | None = None) -> Callable[[dict], Any]:
    """Group a list of objects by the value at a key path, into ``state["data"]``.

    ``data`` becomes ``{key: [items...]}`` in first-seen order. Keys are strings,
    as in the JavaScript object OpenFn builds (``1`` becomes ``"1"``, ``True``
    becomes ``"true"``). Items without a value at the path are dropped.

    Args:
        array_of_objects: the items, or a lazy value giving them.
        key_path: a key or dot/bracket path (``"address.city"``, ``"tags[0]"``); may be lazy.
        callback: optional; called with the new state, and its result is returned.

    Returns:
        The operation.

    Example:
        group(lambda state: state["data"]["visits"], "patient.id")

    Differences from OpenFn:
        An item whose key is ``None`` (JSON ``null``) is dropped; OpenFn keeps
        it under the key ``"null"`` and only drops items with no key at all.
    """

    def run_group(state: dict) -> Any:
        items, path = expand_references(state, [array_of_objects, key_path])
        groups: dict = {}
        for item in _items(items if items is not None else [], "group"):
            key = _get(item, path)
            if key is not None:
                groups.setdefault(js_string(key), []).append(item)
        next_state = {**state, "data": groups}
        return callback(next_state) if callback else next_state

    return run_group
