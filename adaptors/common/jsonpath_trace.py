"""Follow JSONPath steps through a document as jsonpath-plus's ``_trace`` does, filters included.

A match is ``(value, keys, parent, parent_property)``; ``^`` (go to the parent) leaves
a marker that the level above resolves, as jsonpath-plus does.

Example:
    >>> Tracer("$.a[?(@ > 1)]", {"a": [1, 2, 3]}).values(["a", "?(@ > 1)"])
    [2, 3]
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Callable, Iterable

from ._js import UNDEFINED, js_falsy, js_string
from .js_eval import JSEvalError, compile_tree
from .js_members import ABSENT, own_property
from .js_parse import JSSyntaxError, parse
from .jsonpath_parse import JSONPathError

__all__ = ["Tracer", "is_plain", "path_string"]

_SLICE = re.compile(r"^(-?\d*):(-?\d*):?(\d*)$")
_NESTED = re.compile(r"@.?([^?]*)[\['](\??\(.*?\))(?!.\)\])[\]']")
_SPECIAL = {"*", "..", "^", "~", "$"}
_INDEX_KEY = re.compile(r"0|[1-9]\d*")


class _Up:
    """The marker ``^`` leaves: continue with ``rest`` from the parent, at ``keys``."""

    def __init__(self, keys: list, rest: list) -> None:
        self.keys, self.rest = keys, rest


def is_plain(found: tuple) -> bool:
    """True when every step is a name or ``*`` (the loop in :func:`jsonpath._walk` can follow it)."""
    return all(step == "*" or (step not in _SPECIAL and not _SLICE.match(step) and "," not in step
                               and step[:1] not in ("?", "(", "@", "`")) for step in found)


def path_string(keys: list) -> str:
    """jsonpath-plus's ``toPathString``: ``['$', 'people', 1]`` → ``"$['people'][1]"``."""
    text = "$"
    for key in keys[1:]:
        key = js_string(key)
        if key not in ("~", "^") and not (key.startswith("@") and key.endswith("()")):
            text += f"[{key}]" if key and all(c.isdigit() or c == "*" for c in key) else f"['{key}']"
    return text


@lru_cache(maxsize=512)
def _parsed(path: str, code: str) -> Callable[[dict], Any]:
    try:
        return compile_tree(parse(code))
    except JSSyntaxError as error:
        position = max(path.find(code), 0) + error.position
        raise JSONPathError(f"Invalid JSONPath {path!r}: in {code!r}, {error} (position {position})") from None


def _type_matches(kind: str, value: Any) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks = {
        "scalar": lambda: js_falsy(value) or not isinstance(value, (dict, list, tuple)),
        "boolean": lambda: isinstance(value, bool), "string": lambda: isinstance(value, str),
        "undefined": lambda: value is UNDEFINED, "function": lambda: callable(value),
        "integer": lambda: number and math.isfinite(value) and float(value).is_integer(),
        "number": lambda: number and math.isfinite(value), "nonFinite": lambda: number and not math.isfinite(value),
        "object": lambda: isinstance(value, (dict, list, tuple)), "array": lambda: isinstance(value, (list, tuple)),
        "null": lambda: value is None,
    }
    if kind not in checks:
        raise JSONPathError(f"The type selector @{kind}() is not supported (OpenFn requires a callback for it)")
    return checks[kind]()


class Tracer:
    """One evaluation of a path over a document (``root``)."""

    def __init__(self, path: str, root: Any) -> None:
        self.path, self.root, self.has_parent_step = path, root, False

    @staticmethod
    def script(path: str, step: str) -> Callable[[dict], Any]:
        """The compiled expression of a filter (``?(...)``) or script (``(...)``) step, cached."""
        code = re.sub(r"^\?\((.*?)\)$", r"\1", step) if step.startswith("?(") else step
        return _parsed(path, code)

    @staticmethod
    def children(value: Any) -> Iterable:
        """The properties ``*`` visits: a list's items, a dict's values (``Object.keys`` order)."""
        return (value[key] for key in Tracer.keys(value))

    @staticmethod
    def keys(value: Any) -> list:
        if isinstance(value, (list, tuple)):
            return list(range(len(value)))
        if not isinstance(value, dict):
            return []
        indexes = sorted((k for k in value if isinstance(k, str) and _INDEX_KEY.fullmatch(k)), key=int)
        return indexes + [k for k in value if not (isinstance(k, str) and _INDEX_KEY.fullmatch(k))]

    def values(self, found: list) -> list:
        hits = self.trace(found, self.root, ["$"], None, None, False)
        return [hit[0] for hit in hits if not isinstance(hit, _Up)]

    def run(self, step: str, value: Any, name: Any, keys: list, parent: Any, parent_name: Any) -> Any:
        scope = {"@": value, "@property": name, "@parent": parent, "@parentProperty": parent_name,
                 "@root": self.root}
        return self.evaluate(self.script(self.path, step), scope, step, keys)

    def evaluate(self, expression: Callable[[dict], Any], scope: dict, step: str, keys: list) -> Any:
        if "@path" in step:
            scope["@path"] = path_string(keys + [scope["@property"]])
        try:
            return expression(scope)
        except JSEvalError as error:
            code = re.sub(r"^\?\((.*?)\)$", r"\1", step)  # OpenFn's words first, then the path
            failure = JSONPathError(f"jsonPath: {error}: {code} (in the JSONPath {self.path!r})")
            failure.fix = ("A filter that reads inside a value that may be missing fails, as in OpenFn: "
                           "guard it (@.a && @.a.b); only @, @property, @parent, @root and @path are defined.")
            raise failure from None

    def trace(self, found: list, value: Any, keys: list, parent: Any, parent_name: Any, literal: bool) -> list:
        if not found:
            return [(value, keys, parent, parent_name)]
        step, rest = found[0], found[1:]
        hits = self.step(step, rest, value, keys, parent, parent_name, literal)
        if self.has_parent_step and step != "^":  # the level above the "^" resolves its marker
            resolved: list = []
            for hit in hits:
                if isinstance(hit, _Up):
                    resolved.extend(self.trace(hit.rest, value, hit.keys, parent, parent_name, False))
                else:
                    resolved.append(hit)
            hits = resolved
        return hits

    def own(self, value: Any, step: Any) -> Any:
        return ABSENT if js_falsy(value) else own_property(value, js_string(step))

    def step(self, step: Any, rest: list, value: Any, keys: list, parent: Any, parent_name: Any,
             literal: bool) -> list:
        own = self.own(value, step)
        if (not isinstance(step, str) or literal) and own is not ABSENT:
            return self.trace(rest, own, keys + [step], value, step, False)
        if not isinstance(step, str):
                raise JSONPathError(f"JSONPath {self.path!r}: the script gave {js_string(step)}, which the value "
                                "does not have (OpenFn fails the same way)")
        if step == "*":
            return [hit for key in self.keys(value)
                    for hit in self.trace(rest, value[key], keys + [key], value, key, True)]
        if step == "..":
            hits = self.trace(rest, value, keys, parent, parent_name, False)
            for key in self.keys(value):
                if isinstance(value[key], (dict, list, tuple)) or value[key] is None:
                    hits += self.trace(found_again(step, rest), value[key], keys + [key], value, key, False)
            return hits
        if step == "^":
            self.has_parent_step = True
            return [_Up(keys[:-1], rest)]
        if step == "~":
            return [(parent_name, keys + ["~"], parent, None)]
        if step == "$":
            return self.trace(rest, value, keys, None, None, False)
        return self.special(step, rest, value, keys, parent, parent_name, literal, own)

    def special(self, step: str, rest: list, value: Any, keys: list, parent: Any, parent_name: Any,
                literal: bool, own: Any) -> list:
        if _SLICE.match(step):
            return self.slice(step, rest, value, keys, parent, parent_name)
        if step.startswith("?("):
            return self.filter(step, rest, value, keys, parent, parent_name)
        if step.startswith("("):
            name = self.run(step, value, keys[-1], keys[:-1], parent, parent_name)
            return self.trace([name, *rest], value, keys, parent, parent_name, False)
        if step.startswith("@"):
            return [(value, keys, parent, parent_name)] if _type_matches(step[1:-2], value) else []
        if step.startswith("`") and self.own(value, step[1:]) is not ABSENT:
            return self.trace(rest, self.own(value, step[1:]), keys + [step[1:]], value, step[1:], True)
        if "," in step:
            return [hit for part in step.split(",")
                    for hit in self.trace([part, *rest], value, keys, parent, parent_name, False)]
        if not literal and own is not ABSENT:
            return self.trace(rest, own, keys + [step], value, step, True)
        return []

    def slice(self, step: str, rest: list, value: Any, keys: list, parent: Any, parent_name: Any) -> list:
        if not isinstance(value, (list, tuple)):
            return []
        size, parts = len(value), step.split(":")
        jump = int(parts[2]) if len(parts) > 2 and parts[2] and int(parts[2]) else 1
        start = int(parts[0]) if parts[0] and parts[0] != "-" else 0
        end = int(parts[1]) if parts[1] and parts[1] != "-" and int(parts[1]) else size
        start = max(0, start + size) if start < 0 else min(size, start)
        end = max(0, end + size) if end < 0 else min(size, end)
        return [hit for index in range(start, end, jump)
                for hit in self.trace([index, *rest], value, keys, parent, parent_name, False)]

    def filter(self, step: str, rest: list, value: Any, keys: list, parent: Any, parent_name: Any) -> list:
        code = re.sub(r"^\?\((.*?)\)$", r"\1", step)
        nested = _NESTED.search(code)
        expression = None if nested else self.script(self.path, step)
        scope = {"@parent": parent, "@parentProperty": parent_name, "@root": self.root}
        hits: list = []
        for key in self.keys(value):
            item = value[key]
            if nested:
                inner = item if not nested.group(1) else own_property(item, nested.group(1))
                keep = bool(self.trace([nested.group(2)], UNDEFINED if inner is ABSENT else inner, keys,
                                       parent, parent_name, False))
            else:
                scope["@"], scope["@property"] = item, key
                keep = not js_falsy(self.evaluate(expression, scope, step, keys))
            if keep:
                hits += self.trace(rest, item, keys + [key], value, key, True) if rest else [(item,)]
        return hits

def found_again(step: str, rest: list) -> list:
    """``..`` keeps itself at the head of the steps while it descends."""
    return [step, *rest]
