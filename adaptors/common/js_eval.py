"""Evaluate a parsed filter expression (see :mod:`js_parse`) with JavaScript's meaning, never ``eval``.

The names an expression may read are given in ``scope``: jsonpath-plus offers ``@``
(the value being filtered), ``@property``, ``@parent``, ``@parentProperty``, ``@root``
and ``@path``; any other name is "not defined", as in OpenFn.

Example:
    >>> from adaptors.common.js_parse import parse
    >>> evaluate(parse("@.age > 18 && !@.archived"), {"@": {"age": 30}})
    True
"""

from __future__ import annotations

from typing import Any

from ._js import UNDEFINED, js_falsy, js_string
from .js_members import get_property, own_property, ABSENT
from .js_values import JSRegExp, arithmetic, compare, loose_equals, strict_equals, to_number, typeof

__all__ = ["JSEvalError", "evaluate"]

# Properties jsonpath-plus refuses to read unless the value has them itself.
_BLOCKED = {"constructor", "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__",
            "__lookupSetter__"}


class JSEvalError(ValueError):
    """An expression that fails while running (e.g. reading a property of ``undefined``)."""


def _binary(op: str, left_node: tuple, right_node: tuple, scope: dict) -> Any:
    left = evaluate(left_node, scope)
    if op == "||":
        return left if not js_falsy(left) else evaluate(right_node, scope)
    if op == "&&":
        return left if js_falsy(left) else evaluate(right_node, scope)
    right = evaluate(right_node, scope)
    if op in ("==", "!="):
        return loose_equals(left, right) == (op == "==")
    if op in ("===", "!=="):
        return strict_equals(left, right) == (op == "===")
    if op in ("<", ">", "<=", ">="):
        return compare(op, left, right)
    return arithmetic(op, left, right)


def _unary(op: str, argument: Any) -> Any:
    if op == "!":
        return js_falsy(argument)
    if op == "typeof":
        return typeof(argument)
    if op == "void":
        return UNDEFINED
    if op == "~":
        return arithmetic("^", argument, -1)
    number = to_number(argument)
    return -number if op == "-" else number


def _member(target: Any, key: Any) -> Any:
    name = js_string(key)
    if target is None or target is UNDEFINED or (name in _BLOCKED and own_property(target, name) is ABSENT):
        raise JSEvalError(f"Cannot read properties of {js_string(target)} (reading '{name}')")
    return get_property(target, name)


def _call(node: tuple, scope: dict) -> Any:
    arguments = [evaluate(argument, scope) for argument in node[2]]
    callee = node[1]
    function = evaluate(callee, scope)
    if not callable(function):
        label = f"{_describe(callee[1])}.{js_string(evaluate(callee[2], scope))}" if callee[0] == "member" \
            else _describe(callee)
        raise JSEvalError(f"{label} is not a function")
    return function(*arguments)


def _describe(node: tuple) -> str:
    if node[0] == "name":
        return node[1]
    if node[0] == "member":
        return f"{_describe(node[1])}.{js_string(node[2][1]) if node[2][0] == 'literal' else '[…]'}"
    return "(…)"


def evaluate(node: tuple, scope: dict) -> Any:
    """The value of ``node`` with the names of ``scope``; raises :class:`JSEvalError`."""
    return _KINDS[node[0]](node, scope)


def _name(node: tuple, scope: dict) -> Any:
    if node[1] not in scope:
        raise JSEvalError(f"{node[1]} is not defined")
    return scope[node[1]]


_KINDS = {
    "literal": lambda node, scope: node[1],
    "name": _name,
    "member": lambda node, scope: _member(evaluate(node[1], scope), evaluate(node[2], scope)),
    "binary": lambda node, scope: _binary(node[1], node[2], node[3], scope),
    "unary": lambda node, scope: _unary(node[1], evaluate(node[2], scope)),
    "conditional": lambda node, scope: evaluate(node[2] if not js_falsy(evaluate(node[1], scope)) else node[3],
                                                scope),
    "call": _call,
    "array": lambda node, scope: [evaluate(item, scope) for item in node[1]],
    "regex": lambda node, scope: JSRegExp(node[1], node[2]),
}
