"""Split a JSONPath into its steps exactly as OpenFn's jsonpath-plus does (``JSONPath.toPathArray``).

``"$.people[?(@.age > 18)].name"`` becomes ``("$", "people", "?(@.age > 18)", "name")``:
a step is a property name (``"0"`` and ``"length"`` included), ``"*"``, ``".."``, a slice
``"1:3"``, a union ``"a,b"``, a filter ``"?(...)"``, a script ``"(...)"``, a type selector
``"@string()"``, ``"^"`` (parent) or ``"~"`` (property name). jsonpath-plus reads a path
with regular expressions and never rejects one; pyfn also refuses a path whose brackets,
parentheses or quotes are not closed (OpenFn silently reads ``"$.data["`` as ``"$.data"``).

Example:
    >>> steps("people[0].name")
    ('people', '0', 'name')
"""

from __future__ import annotations

import re

__all__ = ["JSONPathError", "steps", "unbalanced"]


class JSONPathError(ValueError):
    """A JSONPath that cannot be read, or whose filter fails while running."""

    fix = (
        "Check the path, e.g. \"$.data.items[*]\", \"data.patients[0].name\" or "
        "\"$.data.items[?(@.age > 18 && @.active)]\" (filters are JavaScript: ===, &&, ||, !, "
        "null); quote keys with spaces: \"$.data['first name']\"."
    )

_TYPE_SELECTOR = re.compile(
    r"@(?:null|boolean|number|string|integer|undefined|nonFinite|scalar|array|object|function|other)\(\)")
_EXPRESSION = re.compile(r"[\['](\??\(.*?\))[\]'](?!.\])")
_QUOTED = re.compile(r"\[['\"]([^'\]]*)['\"]\]")
_SEPARATOR = re.compile(r"['\"]?\.['\"]?(?![^\[]*\])|\[['\"]?")
_PARENTS = re.compile(r"(?:;)?(\^+)(?:;)?")
_EMPTY = re.compile(r";;;|;;")
_TRAILER = re.compile(r";$|'?\]|'$")
_PLACEHOLDER = re.compile(r"#(\d+)")
_CLOSERS = {"[": "]", "(": ")"}


def steps(path: str) -> tuple[str, ...]:
    """The steps of ``path``, as ``JSONPath.toPathArray`` gives them."""
    expressions: list[str] = []

    def keep(match: re.Match) -> str:
        expressions.append(match.group(1))
        return f"[#{len(expressions) - 1}]"

    def protect(match: re.Match) -> str:
        return "['" + match.group(1).replace(".", "%@%").replace("~", "%%@@%%") + "']"

    text = _TYPE_SELECTOR.sub(lambda m: f";{m.group(0)};", path)
    text = _QUOTED.sub(protect, _EXPRESSION.sub(keep, text))
    text = _SEPARATOR.sub(";", text.replace("~", ";~;"))
    text = text.replace("%@%", ".").replace("%%@@%%", "~")
    text = _PARENTS.sub(lambda m: ";" + ";".join(m.group(1)) + ";", text)
    text = _TRAILER.sub("", _EMPTY.sub(";..;", text))
    found = []
    for part in text.split(";"):
        match = _PLACEHOLDER.search(part)
        found.append(expressions[int(match.group(1))] if match and int(match.group(1)) < len(expressions) else part)
    return tuple(found)


def unbalanced(path: str) -> tuple[str, int] | None:
    """``(problem, position)`` when a bracket, parenthesis or quote of ``path`` is left open."""
    stack: list[tuple[str, int]] = []
    quote, quote_at = "", 0
    for position, char in enumerate(path):
        if quote:
            quote = "" if char == quote and path[position - 1] != "\\" else quote
        elif char in "'\"":
            quote, quote_at = char, position
        elif char in _CLOSERS:
            stack.append((char, position))
        elif char in "])":
            if not stack or _CLOSERS[stack[-1][0]] != char:
                return f"{char!r} closes nothing", position
            stack.pop()
    if quote:
        return f"the quote {quote} is never closed", quote_at
    if stack:
        return f"{stack[-1][0]!r} is never closed", stack[-1][1]
    return None
