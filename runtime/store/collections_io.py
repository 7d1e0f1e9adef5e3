"""Collections as JSON lines, in and out: one ``{"key": ..., "value": ...}`` object per line.

``pyfn collections import`` and ``export``, the HTTP API and the test kit's
``collections`` fixture all read and write this one format, so a lookup
table exported from one project loads into another. A JSON file holding one
object ``{key: value}`` loads too (the fixture's preload files).

Example:
    >>> list(read_lines(['{"key": "case-1", "value": {"crm_id": 7}}', '']))
    [('case-1', '{"crm_id":7}')]
    >>> item_line("case-1", '{"crm_id":7}')
    '{"key":"case-1","value":{"crm_id":7}}'
"""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator

from adaptors.collections.errors import InvalidQuery
from adaptors.collections.store import check_key, encode_value

__all__ = ["read_lines", "read_file", "item_line", "batches"]


def read_lines(lines: Iterable[str], source: str = "input") -> Iterator[tuple[str, str]]:
    """``(key, value_json)`` from JSON lines (blank lines skipped); a bad line is an error naming it."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise InvalidQuery(f"{source} line {number} is not JSON: {exc}") from None
        if not isinstance(item, dict) or "key" not in item or "value" not in item:
            raise InvalidQuery(f'{source} line {number} is not an object with "key" and "value": {line[:80]}')
        yield check_key(item["key"]), encode_value(item["value"], item["key"])


def read_file(path: str | Path) -> Iterator[tuple[str, str]]:
    """The items of a JSON lines file, or of a JSON file holding one ``{key: value}`` object."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        first = handle.read(1)
        while first.isspace():
            first = handle.read(1)
        handle.seek(0)
        if first == "{" and path.suffix == ".json":
            try:
                whole = json.load(handle)
            except ValueError as exc:
                raise InvalidQuery(f"{path} is not one JSON object {{key: value}}: {exc}",
                                   fix="Write one object in a .json file, or one {\"key\": ..., \"value\": ...} "
                                       "per line in a .jsonl file") from None
            for key, value in whole.items():
                yield check_key(key), encode_value(value, key)
            return
        yield from read_lines(handle, str(path))


def item_line(key: str, value_json: str) -> str:
    """One item as a JSON line (``value_json`` is inserted as it is stored)."""
    return f'{{"key":{json.dumps(key, ensure_ascii=False)},"value":{value_json}}}'


def batches(items: Iterable[Any], size: int = 1000) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size`` (one transaction each when imported)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
