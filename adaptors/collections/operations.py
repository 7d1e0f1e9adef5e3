"""``get``, ``set``, ``remove`` and ``each``: OpenFn's collections operations, on the store a run plugs in."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from adaptors.common.iteration import positional_count
from adaptors.common.references import expand_references

from .errors import InvalidKey
from .store import active_store, check_key, encode_value, iterate, parse_query

__all__ = ["get", "set", "remove", "each"]

_log = logging.getLogger("pyfn.adaptor.collections")
_SET_BATCH = 1000


def get(name: Any, query: Any = None) -> Callable[[dict], dict]:
    """Fetch one value, or every value whose key matches a pattern, from a collection.

    With an exact key, ``state["data"]`` becomes the value (``{}`` when the key
    is missing, as OpenFn). With a pattern (``*`` matches any characters) or a
    query dict, ``state["data"]`` becomes a list of ``{"key", "value"}`` in key
    order, and ``state["collection_cursor"]`` the cursor to fetch the next page
    from (``None`` when nothing is left). For large collections use ``each``.

    Args:
        name: the collection's name.
        query: a key, a key pattern (``"2024-*"``) or a dict with ``key``,
            ``created_after``, ``created_before``, ``updated_after``,
            ``updated_before`` (ISO 8601 dates or times), ``limit``,
            ``cursor`` and ``page_size`` (OpenFn's camelCase names work too).

    Returns:
        The operation.

    Example:
        collections.get("crm-ids", state["data"]["case_id"])
        collections.get("crm-ids", {"key": "2024-*", "created_after": "2024-01-31", "limit": 100})

    Differences from OpenFn:
        The cursor of a pattern get is in ``state["collection_cursor"]`` (OpenFn
        hangs it on the JavaScript array as ``state.data.cursor``).
    """

    def run_get(state: dict) -> dict:
        resolved_name, resolved = expand_references(state, [name, query])
        q = parse_query(resolved)
        store = active_store()
        if q.is_single:
            text = store.get(resolved_name, check_key(q.key))
            if text is None:
                _log.warning(f'Key "{q.key}" not found in "{resolved_name}"')
            return {**state, "data": {} if text is None else _decode(text)}
        generator = iterate(store, resolved_name, q)
        items = []
        while True:
            try:
                key, text, _, _ = next(generator)
            except StopIteration as end:
                cursor = end.value
                break
            items.append({"key": key, "value": _decode(text)})
        _log.info(f'Fetched {len(items)} values from "{resolved_name}"')
        return {**state, "data": items, "collection_cursor": cursor}

    return run_get


def set(name: Any, key: Any, values: Any) -> Callable[[dict], dict]:  # noqa: A001 - OpenFn's name
    """Add or replace values in a collection: one key and value, or a key function over a list of values.

    Every value of one call is written in one transaction: a run that fails
    half-way leaves none of them. Two runs setting the same key: the last
    writer wins, and no other key is lost. ``state`` is returned unchanged.

    Args:
        name: the collection's name.
        key: a key (string, or read from state: ``state["data"]["id"]``) for
            a single value, or a function ``key(value, state, index)`` returning
            each value's key (it may take fewer arguments:
            ``lambda patient: patient["case_id"]``; a function of one argument
            named ``state`` is read as a lazy key instead).
        values: the value (any JSON), or a list of values when ``key`` is a
            function. A string key with a list stores the list as one value.

    Returns:
        The operation.

    Example:
        collections.set("crm-ids", lambda item: item["case_id"], state["data"]["patients"])
        collections.set("cursors", "registrations", {"last_seen": "2024-05-01T00:00:00Z"})
    """

    def run_set(state: dict) -> dict:
        resolved_name, resolved = expand_references(state, [name, values])
        pairs = list(_pairs(key(state) if _is_lazy(key) else key, resolved, state))
        count = active_store().set_many(resolved_name, pairs)
        _log.info(f'Set {count} values in "{resolved_name}"')
        return state

    return run_set


def _is_lazy(key: Any) -> bool:
    """A lazy key (``state["data"]["id"]`` in a job, compiled to ``lambda state: ...``), not a key function."""
    code = getattr(key, "__code__", None)
    return code is not None and code.co_argcount == 1 and code.co_varnames[:1] == ("state",)


def _pairs(key: Any, values: Any, state: dict):
    if isinstance(key, str):
        check_key(key)
        yield key, encode_value(values, key)
        return
    if not callable(key):
        raise InvalidKey(f"The key of collections.set must be a string or a function, not {type(key).__name__}")
    items = values if isinstance(values, list) else [values]
    count = positional_count(key)
    for index, value in enumerate(items):
        made = key(*(value, state, index)[:max(count, 1)])
        if not isinstance(made, str):
            raise InvalidKey(f"The key function returned {made!r} for item {index}; keys are strings",
                             fix="Return a string from the key function: lambda item: str(item['id'])")
        yield check_key(made), encode_value(value, made)


def remove(name: Any, query: Any) -> Callable[[dict], dict]:
    """Remove one key, or every key matching a pattern or query, from a collection.

    Args:
        name: the collection's name.
        query: a key, a key pattern (``"2023-*"``) or a query dict (as ``get``;
            ``limit`` and ``cursor`` are ignored).

    Returns:
        The operation (``state`` unchanged).

    Example:
        collections.remove("crm-ids", state["data"]["case_id"])
        collections.remove("sent-forms", {"key": "*", "created_before": "2024-01-01"})
    """

    def run_remove(state: dict) -> dict:
        resolved_name, resolved = expand_references(state, [name, query])
        count = active_store().remove(resolved_name, parse_query(resolved))
        _log.info(f'Removed {count} values from "{resolved_name}"')
        return state

    return run_remove


def each(name: Any, query: Any, callback: Callable[..., Any]) -> Callable[[dict], dict]:
    """Call ``callback(state, value, key)`` for every matching item, streaming: memory stays flat at any size.

    Items come one at a time in key order, fetched a page (``page_size``,
    1000) at a time. The callback may change ``state`` in place. Afterwards
    ``state["data"]`` is ``{"cursor": ...}``: where a ``limit`` stopped (``None``
    when every match was seen).

    Args:
        name: the collection's name.
        query: a key pattern or a query dict (as ``get``).
        callback: called as ``callback(state, value, key)``.

    Returns:
        The operation.

    Example:
        collections.each("visits", "2024-05-*", lambda state, value, key: state.update(total=state.get("total", 0) + value["cost"]))
    """

    def run_each(state: dict) -> dict:
        resolved_name, resolved = expand_references(state, [name, query])
        generator = iterate(active_store(), resolved_name, parse_query(resolved))
        while True:
            try:
                key, text, _, _ = next(generator)
            except StopIteration as end:
                state["data"] = {"cursor": end.value}
                return state
            callback(state, _decode(text), key)

    return run_each


def _decode(text: str) -> Any:
    return json.loads(text)
