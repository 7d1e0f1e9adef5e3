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

from typing import Any, Callable

from ._js import UNDEFINED, js_falsy, js_string
from .js_members import get_property, own_property, ABSENT
from .js_values import JSRegExp, arithmetic, compare, loose_equals, strict_equals, to_number, typeof

__all__ = ["JSEvalError", "compile_tree", "evaluate"]

# Properties jsonpath-plus refuses to read unless the value has them itself.
_BLOCKED = {"constructor", "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__",
            "__lookupSetter__"}


class JSEvalError(ValueError):
    """An expression that fails while running (e.g. reading a property of ``undefined``)."""


_COMPARE = {op: (lambda op: lambda a, b: compare(op, a, b))(op) for op in ("<", ">", "<=", ">=")}
_OPERATORS = {
    "==": loose_equals, "!=": lambda a, b: not loose_equals(a, b),
    "===": strict_equals, "!==": lambda a, b: not strict_equals(a, b), **_COMPARE,
    **{op: (lambda op: lambda a, b: arithmetic(op, a, b))(op)
       for op in ("+", "-", "*", "/", "%", "|", "&", "^", "<<", ">>", ">>>")},
}


def _binary(node: tuple) -> Callable[[dict], Any]:
    op, left, right = node[1], compile_tree(node[2]), compile_tree(node[3])
    if op == "||":
        return lambda scope: (lambda value: right(scope) if js_falsy(value) else value)(left(scope))
    if op == "&&":
        return lambda scope: (lambda value: value if js_falsy(value) else right(scope))(left(scope))
    function = _OPERATORS[op]
    return lambda scope: function(left(scope), right(scope))


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


def _call(node: tuple) -> Callable[[dict], Any]:
    arguments, callee = [compile_tree(argument) for argument in node[2]], node[1]
    function_of = compile_tree(callee)

    def call(scope: dict) -> Any:
        values = [argument(scope) for argument in arguments]
        function = function_of(scope)
        if not callable(function):
            raise JSEvalError(f"{_describe(callee)} is not a function")
        return function(*values)
    return call


def _describe(node: tuple) -> str:
    if node[0] == "name":
        return node[1]
    if node[0] == "member":
        return f"{_describe(node[1])}.{js_string(node[2][1]) if node[2][0] == 'literal' else '[…]'}"
    return "(…)"


def evaluate(node: tuple, scope: dict) -> Any:
    """The value of ``node`` with the names of ``scope``; raises :class:`JSEvalError`."""
    return compile_tree(node)(scope)


def compile_tree(node: tuple) -> Callable[[dict], Any]:
    """``node`` as a function of the scope, to run once per value a filter tests (no tree walk)."""
    return _KINDS[node[0]](node)


def _name(node: tuple) -> Callable[[dict], Any]:
    name = node[1]

    def read(scope: dict) -> Any:
        if name not in scope:
            raise JSEvalError(f"{name} is not defined")
        return scope[name]
    return read


def _member_of(node: tuple) -> Callable[[dict], Any]:
    target, key = compile_tree(node[1]), compile_tree(node[2])
    return lambda scope: _member(target(scope), key(scope))


def _unary_of(node: tuple) -> Callable[[dict], Any]:
    op, argument = node[1], compile_tree(node[2])
    return lambda scope: _unary(op, argument(scope))


def _conditional(node: tuple) -> Callable[[dict], Any]:
    test, yes, no = compile_tree(node[1]), compile_tree(node[2]), compile_tree(node[3])
    return lambda scope: no(scope) if js_falsy(test(scope)) else yes(scope)


def _array(node: tuple) -> Callable[[dict], Any]:
    items = [compile_tree(item) for item in node[1]]
    return lambda scope: [item(scope) for item in items]


_KINDS: dict[str, Callable[[tuple], Callable[[dict], Any]]] = {
    "literal": lambda node: (lambda value: lambda scope: value)(node[1]),
    "name": _name, "member": _member_of, "binary": _binary, "unary": _unary_of,
    "conditional": _conditional, "call": _call, "array": _array,
    "regex": lambda node: lambda scope: JSRegExp(node[1], node[2]),
}
