"""JSONPath queries, read as OpenFn's ``jsonpath-plus`` reads them.

Only the operations OpenFn documents as taking JSONPath use this module
(``source_value``, ``source``, ``data_value``, ``last_reference_value``,
``json_value``, ``each``/``as_data``, ``map``, ``merge``, ``join``, ``validate``).

Rules kept from jsonpath-plus (its ``toPathArray`` and ``_trace``, step by step):

- a leading ``$`` is optional: ``"data.items"`` is ``"$.data.items"``;
- ``"$.data.items"`` matches **one** value (the list itself), while
  ``"$.data.items[*]"`` matches each element;
- a list's and a string's own properties are its indexes and ``length``:
  ``"$.people.0.name"`` and ``"$.people.length"`` work;
- filters ``[?(...)]`` and scripts ``[(...)]`` are JavaScript expressions
  (:mod:`js_parse`, :mod:`js_eval`): ``[?(@.age > 18 && @.active)]``,
  ``[?(@.email == null)]`` (a missing email counts), ``[(@.length-1)]``;
- a path that matches nothing gives no matches; a filter that fails while running
  (``@.a.b`` where ``a`` is missing) is an error, as in OpenFn.

Speed: a path made only of names and ``*`` (what jobs write almost always) is walked
in a loop over dicts and lists; 100,000 items cost a few milliseconds. Steps and
filter expressions are parsed once per path text (cached).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ._js import js_falsy
from .js_members import ABSENT, own_property
from .jsonpath_parse import JSONPathError, steps as split_steps, unbalanced
from .jsonpath_trace import Tracer, is_plain

__all__ = ["JSONPathError", "compile_path", "first", "query"]


@lru_cache(maxsize=512)
def compile_path(path: str) -> tuple[str, ...]:
    """Check ``path`` and return its steps (see :func:`jsonpath_parse.steps`).

    Raises:
        JSONPathError: a bracket, parenthesis or quote is not closed, or a filter is not JavaScript.
        TypeError: ``path`` is not a string.

    Example:
        >>> compile_path("$.data.items[*]")
        ('$', 'data', 'items', '*')
    """
    if not isinstance(path, str):
        raise TypeError(f"A JSONPath must be a string, got {type(path).__name__}")
    problem = unbalanced(path)
    if problem:
        raise JSONPathError(f"Invalid JSONPath {path!r}: {problem[0]} (position {problem[1]})")
    found = split_steps(path)
    for step in found:
        if step.startswith("?(") or step.startswith("("):
            Tracer.script(path, step)  # reads the expression now: a mistake is reported before any data
    return found


def query(obj: Any, path: str) -> list:
    """Return every value in ``obj`` that ``path`` matches, in document order.

    Example:
        >>> query({"people": [{"age": 30}, {"age": 12}]}, "$.people[?(@.age > 18)].age")
        [30]
    """
    found = list(compile_path(path))
    if found[0] == "$" and len(found) > 1:
        found.pop(0)
    if js_falsy(obj):  # jsonpath-plus reads nothing in a falsy document
        return []
    if is_plain(tuple(found)):
        return _walk(obj, found)
    return Tracer(path, obj).values(found)


def first(obj: Any, path: str) -> Any:
    """Return the first value in ``obj`` that ``path`` matches, or ``None``.

    Example:
        >>> first({"data": {"items": [1, 2]}}, "$.data.items")
        [1, 2]
    """
    matches = query(obj, path)
    return matches[0] if matches else None


def _walk(obj: Any, found: list[str]) -> list:
    """``Tracer.values`` for paths of names and ``*`` only, in a loop (the literal-priority rule kept).

    ``literal`` follows jsonpath-plus: after a step that was followed by name, a ``*`` is first
    looked up as a key named ``"*"``; each step flips it, and ``*`` over children sets it.
    """
    values, literal = [obj], [False]
    for step in found:
        next_values: list = []
        next_literal: list = []
        for value, was_literal in zip(values, literal):
            if step == "*" and isinstance(value, list):  # the common case, at C speed
                next_values.extend(value)
                next_literal.extend([True] * len(value))
                continue
            own = ABSENT if js_falsy(value) else own_property(value, step)
            if own is not ABSENT and (was_literal or step != "*"):
                next_values.append(own)
                next_literal.append(not was_literal)
            elif step == "*":
                children = list(Tracer.children(value))
                next_values.extend(children)
                next_literal.extend([True] * len(children))
        values, literal = next_values, next_literal
    return values
