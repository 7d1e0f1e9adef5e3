"""A proof that a configuration plainly meets its JSON Schema, without loading ``jsonschema``.

``jsonschema`` (with ``referencing``, ``attrs`` and its metaschemas) is the largest part of an http
job's cold start. Most configurations are valid, and an adaptor's schema uses a few keywords:
:func:`plainly_valid` checks those (draft 7 rules) and answers ``True`` only when the
configuration meets every one. Anything else — a problem, a keyword it does not know, a value
where the rules are subtle (a float standing for an integer) — is ``False``, and ``jsonschema``
decides and names the problems.

Example:
    >>> schema = {"type": "object", "required": ["baseUrl"],
    ...           "properties": {"baseUrl": {"type": "string", "pattern": "^https?://"}}}
    >>> plainly_valid({"baseUrl": "https://x"}, schema), plainly_valid({}, schema)
    (True, False)
"""

from __future__ import annotations

import re
from typing import Any, Callable

__all__ = ["plainly_valid"]

# keywords that never make an instance invalid
_ANNOTATIONS = frozenset(("$schema", "$id", "$comment", "title", "description", "examples", "default",
                          "readOnly", "writeOnly", "format", "deprecated"))
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda value: type(value) is dict,
    "array": lambda value: type(value) is list,
    "string": lambda value: type(value) is str,
    "boolean": lambda value: type(value) is bool,
    "null": lambda value: value is None,
    "integer": lambda value: type(value) is int,
    "number": lambda value: type(value) in (int, float),
}


def plainly_valid(instance: Any, schema: Any) -> bool:
    """Whether ``instance`` surely meets ``schema``; ``False`` also means "ask jsonschema"."""
    if schema is True or schema == {}:
        return True
    if type(schema) is not dict:
        return False
    for keyword, rule in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "additionalProperties":
            if not _additional(instance, rule, schema.get("properties", {})):
                return False
            continue
        check = _KEYWORDS.get(keyword)
        if check is None or not check(instance, rule):
            return False
    return True


def _type(instance: Any, rule: Any) -> bool:
    names = [rule] if isinstance(rule, str) else rule
    return isinstance(names, list) and any(name in _TYPES and _TYPES[name](instance) for name in names)


def _properties(instance: Any, rule: Any) -> bool:
    if type(instance) is not dict:
        return True
    return type(rule) is dict and all(plainly_valid(instance[key], sub) for key, sub in rule.items()
                                      if key in instance)


def _additional(instance: Any, rule: Any, properties: Any) -> bool:
    """Only ``true`` and ``false`` are read (``patternProperties`` is an unknown keyword: not plain)."""
    if type(instance) is not dict or rule is True:
        return True
    return rule is False and type(properties) is dict and all(key in properties for key in instance)


def _required(instance: Any, rule: Any) -> bool:
    return type(instance) is not dict or (type(rule) is list and all(key in instance for key in rule))


def _dependencies(instance: Any, rule: Any) -> bool:
    if type(instance) is not dict:
        return True
    return type(rule) is dict and all(type(needed) is list and all(key in instance for key in needed)
                                      for name, needed in rule.items() if name in instance)


def _items(instance: Any, rule: Any) -> bool:
    if type(instance) is not list:
        return True
    return type(rule) is dict and all(plainly_valid(item, rule) for item in instance)


def _number(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(instance: Any, rule: Any) -> bool:
        if type(instance) not in (int, float):
            return True  # bools and other kinds are not numbers: the keyword does not apply
        return type(rule) in (int, float) and test(instance, rule)
    return check


def _string(test: Callable[[str, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(instance: Any, rule: Any) -> bool:
        return type(instance) is not str or test(instance, rule)
    return check


def _enum(instance: Any, rule: Any) -> bool:
    return type(rule) is list and type(instance) is str and instance in rule


_KEYWORDS: dict[str, Callable[[Any, Any], bool]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "dependencies": _dependencies,
    "items": _items,
    "enum": _enum,
    "minimum": _number(lambda value, bound: value >= bound),
    "maximum": _number(lambda value, bound: value <= bound),
    "exclusiveMinimum": _number(lambda value, bound: value > bound),
    "exclusiveMaximum": _number(lambda value, bound: value < bound),
    "minLength": _string(lambda text, bound: type(bound) is int and len(text) >= bound),
    "maxLength": _string(lambda text, bound: type(bound) is int and len(text) <= bound),
    "pattern": _string(lambda text, pattern: type(pattern) is str and re.search(pattern, text) is not None),
}
