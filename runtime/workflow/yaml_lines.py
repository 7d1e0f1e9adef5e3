"""Read YAML (or JSON, which YAML reads too) keeping the line of every mapping and key.

``load_marked(text, path)`` returns plain Python values in which every mapping
is a :class:`Marked` dict: ``marked.line`` is where it starts and
``marked.key_line(k)`` where key ``k`` is, so validation can say
``workflow.yaml:12: unknown key 'nxet'``.
"""

from __future__ import annotations

from typing import Any

import yaml

from runtime.errors import UsageError

__all__ = ["Marked", "load_marked", "line_of"]


class Marked(dict):
    """A dict from YAML that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict

    def key_line(self, key: Any) -> int:
        return getattr(self, "key_lines", {}).get(key, self.line)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings are :class:`Marked`."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Marked:
    loader.flatten_mapping(node)
    marked = Marked()
    marked.line = node.start_mark.line + 1
    marked.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        marked[key] = loader.construct_object(value_node, deep=True)
        marked.key_lines[key] = key_node.start_mark.line + 1
    return marked


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_marked(text: str, path: str) -> Any:
    """Parse YAML/JSON ``text``; a syntax error is a :class:`UsageError` with line and column."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise UsageError(f"{where}: {exc.problem or exc.context}",
                         hint="Fix the YAML syntax (indentation, colons, quotes)") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: {exc}") from None


def line_of(value: Any, key: Any = None) -> int | None:
    """The line of ``value`` (or of ``key`` in it) when it came from YAML."""
    if isinstance(value, Marked):
        return value.key_line(key) if key is not None else value.line
    return None
