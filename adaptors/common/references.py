"""Lazy values and the state-composition rule shared by every adaptor.

A *lazy value* is any callable taking one argument, the state. Operations
resolve their arguments with :func:`expand_references` at run time, so a job
can write ``post("/x", {"id": state["data"]["id"]})`` (the compiler turns the
argument into ``lambda state: ...``) or pass ``data_value("id")`` anywhere in a
nested dict or list.
"""

from __future__ import annotations

from typing import Any

__all__ = ["expand_references", "resolve_value", "compose_next_state"]

_PASS_THROUGH = (str, bytes, bytearray, int, float, bool, type(None))


def expand_references(state: dict, value: Any) -> Any:
    """Resolve every lazy value (callable of state) inside ``value``.

    Callables are called with ``state`` and their result is expanded again;
    lists, tuples and dicts are rebuilt element by element; strings are never
    interpreted (``"$.data.x"`` stays a string), and file-like objects
    (anything with ``read``) are returned as they are.

    Args:
        state: the state lazy values are called with.
        value: any value, possibly holding lazy values at any depth.

    Returns:
        ``value`` with every lazy value replaced by what it resolves to.

    Example:
        fn(lambda state: {**state, "body": expand_references(state, {"id": data_value("id"), "tags": ["a"]})})
    """
    if isinstance(value, _PASS_THROUGH):
        return value
    if isinstance(value, dict):
        return {k: expand_references(state, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(expand_references(state, v) for v in value)
    if callable(value) and not hasattr(value, "read"):
        return expand_references(state, value(state))
    return value


def resolve_value(state: dict, value: Any) -> Any:
    """Resolve a top-level lazy value without walking into containers.

    Calls ``value`` with ``state`` for as long as it is callable (a lazy value
    may return another lazy value). Lists and dicts are returned as they are,
    not rebuilt: this is how OpenFn's ``asData`` treats a function data source,
    and it keeps large item lists from being copied.

    Args:
        state: the state lazy values are called with.
        value: a value or a lazy value.

    Returns:
        The resolved value.

    Example:
        fn(lambda state: {**state, "rows": resolve_value(state, lambda s: s["data"]["rows"])})
    """
    while callable(value) and not hasattr(value, "read"):
        value = value(state)
    return value


def compose_next_state(state: dict, data: Any) -> dict:
    """Return a new state whose ``data`` is ``data``; the old data is appended to ``references``.

    As OpenFn's ``composeNextState``: the previous ``data`` goes to the *end* of
    ``references`` (created when missing); other keys are kept. The given state
    is not modified.

    Args:
        state: the current state.
        data: the new ``data``.

    Returns:
        The next state: ``{**state, "data": data, "references": [*references, old data]}``.

    Example:
        fn(lambda state: compose_next_state(state, {"count": len(state["data"])}))
    """
    references = state.get("references") or []
    return {**state, "data": data, "references": [*references, state.get("data")]}
