"""Reading values out of state: JSONPath readers and the path helpers.

Every reader here returns a *lazy value* (a callable of state) except
``json_value``, ``data_path``, ``reference_path`` and ``as_data``, which are
plain functions as in OpenFn.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from . import jsonpath
from .empty_match import said_first, said_query
from .references import resolve_value

__all__ = [
    "as_data",
    "data_path",
    "data_value",
    "index",
    "json_value",
    "last_reference_value",
    "reference_path",
    "source",
    "source_value",
]

_LEADING = re.compile(r"^[$.]*(.+)", re.S)


def _clean(path: str) -> str:
    """Strip leading ``$`` and ``.`` characters, as OpenFn's path helpers do."""
    if not isinstance(path, str) or not path:
        raise TypeError(f"A JSONPath must be a non-empty string, got {path!r}")
    return _LEADING.match(path).group(1)


def json_value(obj: Any, path: str) -> Any:
    """Pick the first value that a JSONPath matches in ``obj``.

    A plain function, not an operation: use it inside ``fn`` or a lazy value.

    Args:
        obj: any JSON-like value (dict, list, ...).
        path: a JSONPath; the leading ``$`` is optional.

    Returns:
        The first match, or ``None`` when nothing matches.

    Example:
        fn(lambda state: {**state, "id": json_value(state["data"], "$.patient.id")})
    """
    return jsonpath.first(obj, path)


def source_value(path: str) -> Callable[[dict], Any]:
    """Pick out a single value from state with a JSONPath.

    If the path matches several values, the first is returned.

    Args:
        path: a JSONPath into the whole state, e.g. ``"$.data.name"``; may be lazy.

    Returns:
        A lazy value: ``state -> first match`` (``None`` when nothing matches).

    Example:
        fields(field("name", source_value("$.data.patient.name")))
    """
    return lambda state: said_first(state, resolve_value(state, path), "source_value")


def source(path: str) -> Callable[[dict], list]:
    """Pick out every value in state that a JSONPath matches.

    Args:
        path: a JSONPath into the whole state; ``"$.data.items"`` matches the
            list itself, ``"$.data.items[*]"`` each of its elements. May be lazy.

    Returns:
        A lazy value: ``state -> list of matches`` (empty when nothing matches).

    Example:
        fn(lambda state: {**state, "ids": source("$.data.patients[*].id")(state)})
    """
    return lambda state: said_query(state, resolve_value(state, path), "source")


def data_path(path: str) -> str:
    """Make a JSONPath point inside ``state["data"]``.

    Leading ``$`` and ``.`` characters are stripped, then ``$.data.`` is put in
    front: ``"$.x"`` and ``".x"`` both become ``"$.data.x"``.

    Args:
        path: a path relative to ``data``.

    Returns:
        The JSONPath string.

    Example:
        source_value(data_path("patient.name"))  # same as source_value("$.data.patient.name")
    """
    return "$.data." + _clean(path)


def data_value(path: str) -> Callable[[dict], Any]:
    """Pick out a single value from ``state["data"]`` with a JSONPath.

    The path is **relative to data** (OpenFn's quirk, kept): ``data_value("x")``
    reads ``state["data"]["x"]``, and ``data_value("$.data.x")`` looks up
    ``data.data.x`` and gives ``None``.

    Args:
        path: a JSONPath relative to ``data``; may be lazy.

    Returns:
        A lazy value: ``state -> first match`` (``None`` when nothing matches).

    Example:
        fields(field("batch", data_value("batch")), field("first", data_value("items[0].name")))
    """
    return lambda state: said_first(state, data_path(resolve_value(state, path)), "data_value")


def reference_path(path: str) -> str:
    """Make a JSONPath point inside ``state["references"]``.

    Leading ``$`` and ``.`` characters are stripped, then ``$.references`` is
    put in front: ``"[0].id"`` becomes ``"$.references[0].id"``.

    Args:
        path: a path relative to ``references``, usually starting with an index.

    Returns:
        The JSONPath string.

    Example:
        source_value(reference_path("[0].id"))

    Differences from OpenFn:
        OpenFn joins the two parts without a dot, so ``referencePath("x")`` gives
        the useless ``"$.referencesx"``. pyfn inserts the dot when the cleaned
        path does not start with ``[``: ``"x"`` gives ``"$.references.x"``. Paths
        starting with ``[`` give the same result as OpenFn.
    """
    cleaned = _clean(path)
    return "$.references" + (cleaned if cleaned.startswith("[") else "." + cleaned)


def last_reference_value(path: str) -> Callable[[dict], Any]:
    """Pick out a value from the first entry of ``state["references"]``.

    **Quirk kept from OpenFn:** this reads ``references[0]``, which is the
    *oldest* entry, because ``compose_next_state`` appends new entries at the
    end. With ``references: [{"foo": 1}, {"foo": 2}]``, ``last_reference_value("foo")``
    gives ``1``.

    Args:
        path: a JSONPath relative to ``references[0]``; may be lazy.

    Returns:
        A lazy value: ``state -> first match`` (``None`` when nothing matches).

    Example:
        fields(field("previous_id", last_reference_value("id")))

    Differences from OpenFn:
        A leading ``$`` or ``.`` in ``path`` is stripped (OpenFn builds
        ``"$.references[0].$.x"``, which matches nothing).
    """

    def lazy(state: dict) -> Any:
        return said_first(state, "$.references[0]." + _clean(resolve_value(state, path)), "last_reference_value")

    return lazy


def index() -> Callable[[dict], Any]:
    """Give the index of the item that ``each`` is currently working on.

    Returns:
        A lazy value: ``state -> state["index"]`` (``None`` outside ``each``).

    Example:
        each("$.data.items[*]", fn(lambda state: {**state, "position": index()(state)}))
    """
    return lambda state: state.get("index")


def as_data(data: Any, state: dict, operation: str = "as_data") -> Any:
    """Turn a data source into its value: a JSONPath, a lazy value or the data itself.

    - a string is a JSONPath into ``state`` and gives **all** its matches (a list);
    - a callable is called with ``state`` (and again while it returns a callable);
    - anything else is returned as it is.

    Args:
        data: the data source.
        state: the current state.

    Returns:
        The resolved data.

    Example:
        fn(lambda state: {**state, "names": [p["name"] for p in as_data("$.data.patients[*]", state)]})
    """
    if isinstance(data, str):
        return said_query(state, data, operation)
    return resolve_value(state, data)
