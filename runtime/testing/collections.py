"""The ``collections`` fixture's object: a throwaway collections store for one test, with loaders and assertions.

Example::

    store = TestCollections(tmp_path / "collections.db")
    with use_store(store.store):
        store.load("crm-ids", {"case-1": {"crm_id": 7}})
        ...                                   # run a job: its collections operations use this store
        store.assert_item("crm-ids", "case-2", {"crm_id": 8})
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from adaptors.collections.store import Query, check_key, encode_value
from runtime.store.collections import StoreCollections
from runtime.store.collections_io import read_file

__all__ = ["TestCollections", "ANY"]

ANY = object()  # assert_item(name, key) with no expected value: only that the key exists


class TestCollections:
    """Collections in their own SQLite file; ``resolve`` turns a relative preload path into the project's."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, path: str | Path, resolve: Callable[[str | Path], Path] = Path):
        self.store = StoreCollections(path)
        self._resolve = resolve

    def load(self, name: str, items: dict[str, Any] | str | Path) -> None:
        """Create ``name`` if needed and upsert ``items``: a dict ``{key: value}``, or a JSON lines / JSON file.

        Example::

            collections.load("facilities", "tests/data/facilities.jsonl")
        """
        if not self.store.exists(name):
            self.store.create(name)
        if isinstance(items, dict):
            pairs = [(check_key(key), encode_value(value, key)) for key, value in items.items()]
        else:
            pairs = list(read_file(self._resolve(items)))
        self.store.set_many(name, pairs)

    def create(self, name: str) -> None:
        """Create an empty collection."""
        self.store.create(name)

    def items(self, name: str, pattern: str = "*") -> dict[str, Any]:
        """``{key: value}`` of the collection (keys matching ``pattern``), in key order."""
        return {key: json.loads(value) for key, value, _, _ in self.store.iterate(name, Query(pattern))}

    def get(self, name: str, key: str) -> Any:
        """The value of ``key``; ``KeyError`` when it is missing."""
        text = self.store.get(name, key)
        if text is None:
            raise KeyError(f"{key!r} is not in collection {name}")
        return json.loads(text)

    def assert_item(self, name: str, key: str, expected: Any = ANY) -> None:
        """Fail unless ``key`` is in the collection (with the ``expected`` value, when given)."""
        __tracebackhide__ = True
        text = self.store.get(name, key)
        if text is None:
            keys = list(self.items(name))[:10]
            raise AssertionError(f"{key!r} is not in collection {name}; its first keys: {keys}")
        if expected is not ANY and json.loads(text) != expected:
            raise AssertionError(f"{name}[{key!r}] is {json.loads(text)!r}, expected {expected!r}")

    def assert_missing(self, name: str, key: str) -> None:
        """Fail if ``key`` is in the collection."""
        __tracebackhide__ = True
        text = self.store.get(name, key)
        if text is not None:
            raise AssertionError(f"{name}[{key!r}] should be missing; it is {json.loads(text)!r}")

    def assert_items(self, name: str, expected: dict[str, Any]) -> None:
        """Fail unless the collection holds exactly ``expected`` (``{key: value}``)."""
        __tracebackhide__ = True
        actual = self.items(name)
        if actual != expected:
            extra = sorted(set(actual) - set(expected))
            missing = sorted(set(expected) - set(actual))
            changed = sorted(k for k in set(actual) & set(expected) if actual[k] != expected[k])
            raise AssertionError(f"collection {name} differs: extra keys {extra}, missing keys {missing}, "
                                 f"different values at {changed}")

    def close(self) -> None:
        self.store.close()
