"""Read YAML (or JSON, which YAML reads too) keeping the line of every mapping and key.

``load_marked(text, path)`` returns plain Python values in which every mapping
is a :class:`Marked` dict: ``marked.line`` is where it starts and
``marked.key_line(k)`` where key ``k`` is, so validation can say
``workflow.yaml:12: unknown key 'nxet'``.

A file a person could not have meant is refused with its line: a key given twice in one
mapping (YAML would keep the second silently), nesting deeper than :data:`MAX_DEPTH`, and
aliases that expand to more than :data:`MAX_NODES` values (a "billion laughs" file).
"""

from __future__ import annotations

from typing import Any

import yaml

from runtime.errors import UsageError

__all__ = ["Marked", "load_marked", "line_of", "MAX_DEPTH", "MAX_NODES"]

MAX_DEPTH = 100
MAX_NODES = 1_000_000


class Marked(dict):
    """A dict from YAML that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict

    def key_line(self, key: Any) -> int:
        return getattr(self, "key_lines", {}).get(key, self.line)


class _Refused(yaml.MarkedYAMLError):
    """A file YAML would read but pyfn refuses (a repeated key, deep nesting, an alias bomb)."""

    def __init__(self, problem: str, mark: Any, hint: str):
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings are :class:`Marked`, refusing duplicate keys, deep nesting and alias bombs."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", self.peek_event().start_mark,
                               "Flatten the file")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Any:
        node = super().compose_document()
        if _expanded_size(node) > MAX_NODES:
            raise _Refused(f"the aliases expand to more than {MAX_NODES:,} values", node.start_mark,
                           "Write the values out, or use fewer nested aliases (&name / *name)")
        return node


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once every alias is expanded (shared nodes counted each time)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done or not children:
            sizes[id(node)] = min(1 + sum(sizes[id(child)] for child in children), MAX_NODES + 1)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Marked:
    own = {id(key) for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)  # keys merged in with `<<: *base` come first and may be overridden
    marked = Marked()
    marked.line = node.start_mark.line + 1
    marked.key_lines = {}
    explicit: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:  # a list or mapping as a key
            raise _Refused("a key must be a plain value, not a list or mapping", key_node.start_mark,
                           "Use a string or a number as the key") from None
        if id(key_node) in own:
            if key in explicit:
                raise _Refused(f"key {key!r} is given twice in one mapping (lines {explicit[key]} and {line})",
                               key_node.start_mark, "Keep one of them: YAML would silently use the last")
            explicit[key] = line
        marked[key] = loader.construct_object(value_node, deep=True)
        marked.key_lines[key] = line
    return marked


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_marked(text: str, path: str) -> Any:
    """Parse YAML/JSON ``text``; a syntax error is a :class:`UsageError` with line and column.

    Example:
        >>> load_marked("a: 1\\nb: [2]", "x.yaml")
        {'a': 1, 'b': [2]}
        >>> load_marked("a: 1\\na: 2", "x.yaml")
        Traceback (most recent call last):
        ...
        runtime.errors.UsageError: x.yaml:2:1: key 'a' is given twice in one mapping (lines 1 and 2)
    """
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise UsageError(f"{where}: {exc.problem or exc.context}",
                         hint=getattr(exc, "hint", "Fix the YAML syntax (indentation, colons, quotes)")) from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: {exc}") from None
    except RecursionError:
        raise UsageError(f"{path}: nested too deeply to read", hint="Flatten the file") from None


def line_of(value: Any, key: Any = None) -> int | None:
    """The line of ``value`` (or of ``key`` in it) when it came from YAML."""
    if isinstance(value, Marked):
        return value.key_line(key) if key is not None else value.line
    return None
