"""A cron trigger's ``carry:``: which keys of a run's final state become the next run's input.

::

    triggers:
      - type: cron
        schedule: "0 * * * *"
        state: {cursor: "2024-01-01T00:00:00Z"}      # the first run's input
        carry:
          cursor: "$.references.cursor"              # next input key: a JSONPath into the final state
          since: "$.data.lastRunAt"

``carry: [cursor, since]`` is short for ``{cursor: "$.cursor", since: "$.since"}``. The next
input holds exactly the declared keys (with the trigger's ``state:`` under them): each takes the
first value its path finds in the final state of the workflow's latest successful run, whichever
leaf ran; a path that finds nothing there keeps the key's value from that run's input, so a branch
that does not touch the cursor leaves it where it was. The paths read the dialect of jobs
(``adaptors.common.jsonpath``).

Example:
    >>> carried_input({"cursor": "$.references.cursor"}, {"cursor": 0},
    ...               final={"data": [], "references": {"cursor": 7}}, previous={"cursor": 3})
    {'cursor': 7}
    >>> carried_input({"cursor": "$.cursor"}, {"cursor": 0}, final={"data": []}, previous={"cursor": 3})
    {'cursor': 3}
"""

from __future__ import annotations

import copy
from typing import Any

from runtime.workflow.yaml_lines import line_of

__all__ = ["parse_carry", "carried_input"]


def parse_carry(raw: dict, add) -> dict[str, str] | None:
    """The trigger's ``carry:`` as ``{input key: JSONPath}``; ``add(line, message)`` for each mistake.

    Example:
        >>> found = []
        >>> parse_carry({"carry": ["cursor", 7]}, lambda line, message: found.append(message))
        {'cursor': '$.cursor'}
        >>> found
        ['carry: each entry must be a key name (a string), not 7']
    """
    value = raw.get("carry")
    if value is None:
        return None
    if isinstance(value, list):
        entries = {}
        for item in value:
            if isinstance(item, str) and item.strip():
                entries[item] = f"$.{item}" if item.isidentifier() else f"$[{item!r}]"
            else:
                add(line_of(raw, "carry"), f"carry: each entry must be a key name (a string), not {item!r}")
        return _checked(raw, entries, add)
    if not isinstance(value, dict) or not value:
        add(line_of(raw, "carry"), "carry must be a mapping of input keys to JSONPaths into the final state "
                                   "({cursor: \"$.references.cursor\"}) or a list of keys ([cursor])")
        return None
    entries = {}
    for key, path in value.items():
        if not isinstance(path, str) or not path.strip():
            add(line_of(value, key) or line_of(raw, "carry"),
                f"carry: {key}: must be a JSONPath string such as \"$.cursor\", not {path!r}")
        else:
            entries[str(key)] = path
    return _checked(raw, entries, add)


def _checked(raw: dict, entries: dict[str, str], add) -> dict[str, str] | None:
    from adaptors.common.jsonpath import JSONPathError, compile_path  # the JSONPath dialect of jobs

    carry = raw.get("carry")
    for key, path in list(entries.items()):
        try:
            compile_path(path)
        except JSONPathError as error:
            where = line_of(carry, key) if isinstance(carry, dict) else None
            add(where or line_of(raw, "carry"), f"carry: {key}: {error}")
            entries.pop(key)
    if raw.get("cursor_step") is not None:
        add(line_of(raw, "carry"), "carry and cursor_step both say what the next input is: keep one")
    return entries or None


def carried_input(carry: dict[str, str], state: dict | None, final: Any, previous: Any) -> dict:
    """The next input: ``state`` (or ``{}``) with each carried key from ``final``, else from ``previous``.

    ``final`` and ``previous`` are the latest successful run's final state and input (``None``
    when there is no such run yet: the input is then ``state``).

    Example:
        >>> carried_input({"n": "$.data.n"}, {"n": 0}, final=None, previous=None)
        {'n': 0}
    """
    from adaptors.common.jsonpath import query

    result = copy.deepcopy(state) if isinstance(state, dict) else {}
    if final is None:
        return result
    for key, path in carry.items():
        found = query(final, path) if isinstance(final, (dict, list)) else []
        if found:
            result[key] = copy.deepcopy(found[0])
        elif isinstance(previous, dict) and key in previous:
            result[key] = copy.deepcopy(previous[key])
    return result
