"""Objects: building them from key/value pairs, merging fields into items, splitting keys."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .empty_match import said_first, said_query
from .references import expand_references, resolve_value

__all__ = ["field", "fields", "join", "merge", "split_keys"]


def field(key: str, value: Any) -> tuple:
    """Make one key/value pair for ``fields``.

    The value is left lazy: whoever consumes the pair (``fields`` inside
    ``merge``, an adaptor's ``submit``...) resolves it against the state.

    Args:
        key: the key to set.
        value: the value, a lazy value (``data_value("x")``, ``lambda state: ...``) or data.

    Returns:
        The pair ``(key, value)``.

    Example:
        fields(field("org", "acme"), field("batch", data_value("batch")))
    """
    return (key, value)


def fields(*pairs: Iterable) -> dict:
    """Zip key/value pairs (usually made by ``field``) into a dict.

    Later pairs win when a key repeats. Values are kept as they are (still lazy).

    Args:
        *pairs: ``(key, value)`` pairs.

    Returns:
        A new dict.

    Raises:
        TypeError: an argument is not a two-item pair.

    Example:
        merge("$.data.patients[*]", fields(field("org", "acme"), field("batch", data_value("batch"))))

    Differences from OpenFn:
        lodash's ``fromPairs`` quietly accepts malformed pairs (``["k"]`` gives
        ``{k: undefined}``); pyfn raises a ``TypeError`` naming the bad argument.
    """
    result = {}
    for position, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(
                f"fields() argument {position + 1} must be a (key, value) pair "
                f"such as field('name', 'x'), got {pair!r}"
            )
        result[pair[0]] = pair[1]
    return result


def _matches(state: dict, data_source: Any, operation: str) -> list:
    data_source = resolve_value(state, data_source)
    if isinstance(data_source, str):
        return said_query(state, data_source, operation)
    if data_source is None:
        return []
    return list(data_source)


def merge(data_source: Any, fields: dict) -> Callable[[dict], list]:
    """Merge the same fields into every item a JSONPath matches.

    Note that this returns a **list**, not a state: it is meant to be a data
    source, typically for ``each``. ``fields`` is resolved against the whole
    state, then each item becomes ``{**item, **fields}``.

    Args:
        data_source: a JSONPath into state, e.g. ``"$.data.patients[*]"``.
        fields: the dict to merge into each item; its values may be lazy.

    Returns:
        A lazy value: ``state -> list of merged dicts``.

    Example:
        each(
            merge("$.data.patients[*]", fields(field("org", "acme"), field("batch", data_value("batch")))),
            fn(lambda state: {**state, "last": state["data"]}),
        )

    Differences from OpenFn:
        ``data_source`` may also be a list or a lazy value giving a list (OpenFn
        only takes a JSONPath). An item that is not a dict becomes a copy of
        ``fields`` (what JavaScript's spread does with a number or null).
    """

    def lazy(state: dict) -> list:
        extra = expand_references(state, fields) or {}
        return [{**item, **extra} if isinstance(item, dict) else dict(extra)
                for item in _matches(state, data_source, "merge")]

    return lazy


def join(target_path: str, source_path: str, target_key: str) -> Callable[[dict], list]:
    """Add one value from state to every item a JSONPath matches.

    Each item of ``source(target_path)`` becomes ``{target_key: value, **item}``,
    where ``value`` is the first match of ``source_path`` in state. The item's
    own keys win over ``target_key``. Returns a list, like ``merge``.

    Args:
        target_path: JSONPath of the items, e.g. ``"$.data.visits[*]"``.
        source_path: JSONPath of the value to add, e.g. ``"$.data.clinic_id"``.
        target_key: the key to add to each item.

    Returns:
        A lazy value: ``state -> list of dicts``.

    Example:
        each(join("$.data.visits[*]", "$.data.clinic_id", "clinic"), fn(lambda state: state))
    """

    def lazy(state: dict) -> list:
        value = said_first(state, resolve_value(state, source_path), "join")
        key = resolve_value(state, target_key)
        return [{key: value, **item} if isinstance(item, dict) else {key: value}
                for item in _matches(state, target_path, "join")]

    return lazy


def split_keys(obj: dict, keys: Iterable[str]) -> tuple[dict, dict]:
    """Split a dict in two: the keys not listed, and the keys listed.

    Args:
        obj: the dict to split.
        keys: the keys to move into the second dict.

    Returns:
        ``(without_keys, only_keys)``; both keep ``obj``'s key order.

    Example:
        fn(lambda state: {**state, "data": split_keys(state["data"], ["password"])[0]})
    """
    wanted = set(keys)
    keep, split = {}, {}
    for key, value in obj.items():
        (split if key in wanted else keep)[key] = value
    return keep, split
