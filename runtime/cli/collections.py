"""``pyfn collections list|create|delete|get|set|remove|import|export``: the run store's collections, for people.

Items go in and out as JSON lines (``{"key": ..., "value": ...}``), so a
lookup table is loaded from a file and exported to another project. Every
function returns the exit code: 0 done, 1 an error (printed with its hint).

Example::

    collections_command(Path("."), None, "create", "facilities")
    collections_command(Path("."), None, "import", "facilities", source="facilities.jsonl")
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from adaptors.collections.errors import CollectionError
from adaptors.collections.store import Query, check_key, check_pattern, encode_value, parse_query
from runtime.store import store_location
from runtime.store.collections import StoreCollections
from runtime.store.collections_io import batches, item_line, read_file, read_lines

__all__ = ["collections_command"]


def collections_command(project: Path, db: str | None, action: str, name: str | None = None, **args: Any) -> int:
    """Run one ``pyfn collections`` action on the project's run store; return the exit code."""
    store = StoreCollections(store_location(db, project))
    try:
        return _ACTIONS[action](store, name, **args)
    except CollectionError as error:
        print(f"✘ {error}", file=sys.stderr)
        if error.fix:
            print(f"  {error.fix}", file=sys.stderr)
        return 1
    except (OSError, TypeError) as error:
        print(f"✘ {error}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _list(store: StoreCollections, _: None, as_json: bool = False) -> int:
    found = store.names()
    if as_json:
        print(json.dumps([{"name": c.name, "count": c.count, "created_at": c.created_at} for c in found], indent=2))
        return 0
    rows = [("NAME", "ITEMS", "CREATED")] + [(c.name, str(c.count), c.created_at[:19].replace("T", " ")) for c in found]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _create(store: StoreCollections, name: str) -> int:
    store.create(name)
    print(f"Created collection {name}")
    return 0


def _delete(store: StoreCollections, name: str) -> int:
    count = store.delete(name)
    print(f"Deleted collection {name} and its {count} items")
    return 0


def _get(store: StoreCollections, name: str, query: dict[str, Any], output: Path | None = None) -> int:
    q = parse_query({k: v for k, v in query.items() if v is not None})
    if _write(store, name, q, output) == 0 and q.is_single:
        print(f"✘ Key {q.key!r} not found in {name}", file=sys.stderr)
        return 1
    return 0


def _write(store: StoreCollections, name: str, query: Query, output: Path | None) -> int:
    """Write the matches of ``query`` as JSON lines; how many."""
    count = 0
    with _output(output) as out:
        for key, value, _, _ in store.iterate(name, query):
            out.write(item_line(key, value) + "\n")
            count += 1
    return count


def _set(store: StoreCollections, name: str, key: str, value: str) -> int:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value  # not JSON: stored as a string
    store.set_many(name, [(check_key(key), encode_value(parsed, key))])
    print(f"Set {key} in {name}")
    return 0


def _remove(store: StoreCollections, name: str, pattern: str) -> int:
    count = store.remove(name, parse_query(pattern))
    print(f"Removed {count} items from {name}")
    return 0


def _import(store: StoreCollections, name: str, source: str) -> int:
    store.require(name)  # before reading a line of the input
    items = read_lines(sys.stdin, "stdin") if source == "-" else read_file(source)
    total = sum(store.set_many(name, batch) for batch in batches(items))
    print(f"Imported {total} items into {name}", file=sys.stderr)
    return 0


def _export(store: StoreCollections, name: str, pattern: str = "*", output: Path | None = None) -> int:
    _write(store, name, Query(check_pattern(pattern)), output)
    return 0


class _output:
    """stdout, or a file opened for writing."""

    def __init__(self, path: Path | None):
        self.path, self.stack = path, ExitStack()

    def __enter__(self) -> TextIO:
        return sys.stdout if self.path is None else self.stack.enter_context(open(self.path, "w", encoding="utf-8"))

    def __exit__(self, *exc: Any) -> None:
        self.stack.close()


_ACTIONS = {"list": _list, "create": _create, "delete": _delete, "get": _get, "set": _set, "remove": _remove,
            "import": _import, "export": _export}
