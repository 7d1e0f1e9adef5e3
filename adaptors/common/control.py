"""Control flow: running operations in order, conditionally, in combination."""

from __future__ import annotations

from types import FunctionType
from typing import Any, Callable

from .references import expand_references

__all__ = ["alter_state", "as_", "assert_", "combine", "execute", "fn", "fn_if"]

Operation = Callable[[dict], Any]


def execute(*operations: Operation) -> Operation:
    """Run operations one after the other, each given the state the previous one returned.

    This is how the runtime runs a common job. It starts from the state as
    given: unlike ``http`` and ``commcare``, common adds no ``references`` or
    ``data`` keys.

    Args:
        *operations: the operations to run.

    Returns:
        An operation returning the last operation's state.

    Example:
        execute(fn(lambda state: {**state, "a": 1}), log("done"))
    """

    def operation(state: dict) -> Any:
        for step in operations:
            state = step(state)
        return state

    return operation


def fn(func: Callable[[dict], Any]) -> Operation:
    """Make an operation out of any function of state.

    Whatever ``func`` returns becomes the next state, so return the state.

    Args:
        func: a function taking the state and returning the next state.

    Returns:
        The operation.

    Example:
        fn(lambda state: {**state, "data": {"count": len(state["data"]["items"])}})
    """
    if type(func) is FunctionType:
        return func  # a function of state is the operation as it is: one call less per item of an each

    def operation(state: dict) -> Any:
        return func(state)

    return operation


def alter_state(func: Callable[[dict], Any]) -> Operation:
    """Deprecated alias of ``fn``, kept for old jobs.

    Args:
        func: a function taking the state and returning the next state.

    Returns:
        The operation.

    Example:
        alter_state(lambda state: {**state, "seen": True})
    """
    return fn(func)


def fn_if(condition: Any, operation: Operation) -> Operation:
    """Run an operation only when a condition holds.

    Args:
        condition: a value or a lazy value (``lambda state: ...``), resolved when
            the operation runs; any truthy result counts.
        operation: the operation to run when the condition is truthy.

    Returns:
        An operation returning ``operation(state)``, or the state unchanged.

    Example:
        fn_if(lambda state: state["data"]["age"] > 18, fn(lambda state: {**state, "adult": True}))

    Differences from OpenFn:
        Truthiness is Python's: an empty list or dict counts as false (both
        count as true in JavaScript).
    """

    def conditional(state: dict) -> Any:
        if expand_references(state, condition):
            return operation(state)
        return state

    return conditional


def combine(*operations: Operation) -> Operation:
    """Bundle several operations into one.

    Each operation is given a shallow copy of the state the previous one
    returned; the last operation's state is returned.

    Args:
        *operations: the operations to run in order.

    Returns:
        The combined operation.

    Example:
        fn_if(lambda state: state["data"]["new"], combine(log("new record"), fn(lambda state: state)))
    """

    def combined(state: dict) -> Any:
        for step in operations:
            state = step({**(state or {})})
        return state

    return combined


def as_(key: Any, operation: Operation) -> Operation:
    """Run an operation and keep its ``data`` under another key, leaving ``data`` as it was.

    The operation runs on the state; its result's ``data`` is stored at
    ``state[key]`` and the previous ``data`` is put back. The result's other
    keys (``references``, ``response``...) are kept.

    Args:
        key: the state key to write; may be lazy.
        operation: the operation whose ``data`` to keep.

    Returns:
        The operation.

    Example:
        as_("patients", fn(lambda state: {**state, "data": [{"id": 1}]}))

    Differences from OpenFn:
        pyfn does not modify the state it was given, and ``key`` always receives
        the operation's ``data``, even when the operation's result already had
        that key.
    """

    def operation_as(state: dict) -> dict:
        resolved_key = expand_references(state, key)
        result = dict(operation(state) or {})
        data = result.pop("data", None)
        return {**state, **result, resolved_key: data}

    return operation_as


def assert_(expression: Any, error_message: Any = None) -> Operation:
    """Stop the step with an error unless an expression is truthy.

    Args:
        expression: a value or lazy value to check.
        error_message: the error's message; may be lazy. When not given, the
            message is ``assertion statement failed with <value>``.

    Returns:
        An operation returning the state unchanged when the expression holds.

    Raises:
        AssertionError: when the operation runs and the expression is falsy.

    Example:
        assert_(lambda state: len(state["data"]["items"]) > 0, "no items to import")

    Differences from OpenFn:
        The error is a Python ``AssertionError`` (OpenFn throws a plain ``Error``),
        and a value in the default message is written as Python writes it
        (``False``, ``None``). Truthiness is Python's: an empty list or dict
        fails the assertion (JavaScript counts both as true).
    """

    def check(state: dict) -> dict:
        value = expand_references(state, expression)
        if not value:
            message = expand_references(state, error_message)
            raise AssertionError(message or f"assertion statement failed with {value}")
        return state

    return check
