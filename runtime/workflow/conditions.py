"""Edge conditions: OpenFn's named conditions and Python expressions over ``state``.

``on_job_success``, ``on_job_failure``, ``always`` (and ``on_upstream_success``
/ ``on_upstream_fail``) are OpenFn's aliases. Any other string is a Python
expression evaluated against the upstream step's output, with the names
``state`` and ``upstream`` (the upstream step's id) and a few safe builtins.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any, Callable

__all__ = ["compile_condition", "NAMED"]

Condition = Callable[[Any, str], bool]


def _errors(state: Any) -> dict:
    errors = state.get("errors") if isinstance(state, dict) else None
    return errors if isinstance(errors, dict) else {}


NAMED: dict[str, Condition] = {
    "always": lambda state, upstream: True,
    "on_job_success": lambda state, upstream: not _errors(state).get(upstream),
    "on_job_failure": lambda state, upstream: bool(_errors(state).get(upstream)),
}
NAMED["on_upstream_success"] = NAMED["on_job_success"]
NAMED["on_upstream_fail"] = NAMED["on_job_failure"]

SAFE_BUILTINS = {name: getattr(builtins, name) for name in ("abs", "all", "any", "bool", "dict", "float", "int", "isinstance", "len",
                              "list", "max", "min", "round", "set", "sorted", "str", "sum", "tuple")}


def compile_condition(expression: str, where: str) -> Condition:
    """Compile a condition; raise ``SyntaxError``/``ValueError`` with a readable message if it can't."""
    if expression in NAMED:
        return NAMED[expression]
    tree = ast.parse(expression.strip(), filename=where, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ValueError(f"private attribute '{node.attr}' is not allowed in a condition")
        if isinstance(node, (ast.Lambda, ast.NamedExpr)):
            raise ValueError("lambdas and assignments are not allowed in a condition")
    code = compile(tree, where, "eval")

    def condition(state: Any, upstream: str) -> bool:
        scope = {"__builtins__": SAFE_BUILTINS, "state": state, "upstream": upstream}
        return bool(eval(code, scope))  # noqa: S307 - restricted builtins, no private attributes

    return condition
