"""The simulator's data: forms, cases and the ``indexed_on`` clock, in memory.

Every write goes through :class:`Store` under its lock and takes a fresh
``indexed_on`` from :class:`Clock`, a microsecond clock that never returns the
same value twice, so no two documents share a timestamp and clients that page
on ``indexed_on_start`` (commcare-export, pyfn) always make progress.

Lists are served from :class:`SortedIndex` (documents by ``indexed_on``) and
from cached *selections* (the ids matching one filter, in one order), which
are dropped on every write; pages are then slices, not scans.

Example:
    >>> store = Store("demo")
    >>> store.put_case({"case_id": "c1", "owner_id": "u", "external_id": None, "indices": {}})["indexed"] > 0
    True
"""

from __future__ import annotations

import contextlib
import json
import threading
from bisect import bisect_left
from typing import Callable, Iterator

from . import dates

__all__ = ["Clock", "SortedIndex", "Store"]

SELECTION_CACHE_SIZE = 16


class Clock:
    """A strictly increasing microsecond clock: ``tick()`` never repeats a value.

    Example:
        >>> clock = Clock()
        >>> a, b = clock.tick(5), clock.tick(5)
        >>> (a, b)
        (5, 6)
    """

    def __init__(self) -> None:
        self.last = 0

    def tick(self, at_least: int | None = None) -> int:
        """Return ``max(at_least or now, last + 1)`` and remember it.

        Example:
            >>> clock = Clock(); clock.tick(10) < clock.tick(0)
            True
        """
        value = max(dates.now() if at_least is None else at_least, self.last + 1)
        self.last = value
        return value


class SortedIndex:
    """Parallel lists of keys (unique ``indexed_on`` values) and ids, kept sorted by key.

    Example:
        >>> index = SortedIndex()
        >>> index.add(2, "b"); index.add(1, "a"); index.remove(2)
        >>> index.ids
        ['a']
    """

    def __init__(self) -> None:
        self.keys: list[int] = []
        self.ids: list[str] = []

    def add(self, key: int, doc_id: str) -> None:
        """Insert ``doc_id`` at ``key`` (appending is the common, O(1) case).

        Example:
            >>> index = SortedIndex(); index.add(5, "b"); index.add(3, "a")
            >>> index.keys
            [3, 5]
        """
        if not self.keys or key > self.keys[-1]:
            self.keys.append(key)
            self.ids.append(doc_id)
            return
        position = bisect_left(self.keys, key)
        self.keys.insert(position, key)
        self.ids.insert(position, doc_id)

    def remove(self, key: int) -> None:
        """Drop the entry at ``key`` if there is one.

        Example:
            >>> index = SortedIndex(); index.add(5, "b"); index.remove(4); index.remove(5)
            >>> index.ids
            []
        """
        position = bisect_left(self.keys, key)
        if position < len(self.keys) and self.keys[position] == key:
            del self.keys[position]
            del self.ids[position]

    def rebuild(self, records: dict) -> None:
        """Rebuild from ``{id: record}`` records carrying an ``indexed`` key.

        Example:
            >>> index = SortedIndex(); index.rebuild({"b": {"indexed": 2}, "a": {"indexed": 1}})
            >>> index.ids
            ['a', 'b']
        """
        pairs = sorted((rec["indexed"], doc_id) for doc_id, rec in records.items())
        self.keys = [key for key, _ in pairs]
        self.ids = [doc_id for _, doc_id in pairs]


class Store:
    """Forms and cases of one project domain, with indexes and JSON caches.

    Records are plain dicts. A form record holds ``doc`` (the API JSON) and
    sort keys (``received``, ``modified``, ``indexed`` in microseconds); a case
    record holds the case fields with dates in microseconds. Readers take
    ``store.lock`` while they slice indexes.

    Example:
        >>> store = Store("demo")
        >>> with store.lock:
        ...     keys, ids = store.select("case", None, None)
        >>> ids
        []
    """

    read_only_cases: str | None = None  # the processing failure of a form with case blocks, if cases are read-only

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.lock = threading.RLock()
        self.clock = Clock()
        self.forms: dict[str, dict] = {}
        self.cases: dict[str, dict] = {}
        self.failed_forms: dict[str, dict] = {}
        self.children: dict[str, set[str]] = {}
        self.by_external_id: dict[str, set[str]] = {}
        self.form_index = SortedIndex()
        self.case_index = SortedIndex()
        self._json: dict[tuple[str, str], str] = {}
        self._selections: dict[tuple, tuple[list, list]] = {}
        self._bulk = False
        self.version = 0  # bumped by every write, for caches outside the store
        self.listeners: list = []  # called as listener(form_record, case_records) after each form

    # -- writes --------------------------------------------------------------------------------

    def put_form(self, rec: dict, at: int | None = None) -> dict:
        """Store a form record with a fresh ``indexed_on`` (never before ``at``).

        Example:
            >>> store = Store("demo")
            >>> rec = store.put_form({"id": "f", "doc": {}}, at=1_000_000)
            >>> rec["doc"]["indexed_on"]
            '1970-01-01T00:00:01.000000Z'
        """
        old = self.forms.get(rec["id"])
        if old is not None and not self._bulk:
            self.form_index.remove(old["indexed"])
        rec["indexed"] = self.clock.tick(at)
        rec["doc"]["indexed_on"] = dates.iso(rec["indexed"])
        self.forms[rec["id"]] = rec
        self.version += 1
        self._json.pop(("form", rec["id"]), None)
        if not self._bulk:
            self.form_index.add(rec["indexed"], rec["id"])
            self._selections.clear()
        return rec

    def put_case(self, rec: dict, at: int | None = None) -> dict:
        """Store a case record with a fresh ``indexed_on``; keeps parent and external-id maps.

        Example:
            >>> store = Store("demo")
            >>> _ = store.put_case({"case_id": "c", "external_id": "E-1", "indices": {}})
            >>> store.by_external_id["E-1"]
            {'c'}
        """
        case_id = rec["case_id"]
        old = self.cases.get(case_id)
        if old is not None:
            if not self._bulk:
                self.case_index.remove(old["indexed"])
            self._unlink(old)
        rec["indexed"] = self.clock.tick(at)
        self.cases[case_id] = rec
        self.version += 1
        self._link(rec)
        self.forget_case_json(case_id)
        if not self._bulk:
            self.case_index.add(rec["indexed"], case_id)
            self._selections.clear()
        return rec

    def _link(self, rec: dict) -> None:
        for index in rec["indices"].values():
            self.children.setdefault(index["case_id"], set()).add(rec["case_id"])
            self.forget_case_json(index["case_id"])
        if rec.get("external_id"):
            self.by_external_id.setdefault(rec["external_id"], set()).add(rec["case_id"])

    def _unlink(self, rec: dict) -> None:
        for index in rec["indices"].values():
            self.children.get(index["case_id"], set()).discard(rec["case_id"])
            self.forget_case_json(index["case_id"])
        if rec.get("external_id"):
            self.by_external_id.get(rec["external_id"], set()).discard(rec["case_id"])

    def forget_case_json(self, case_id: str) -> None:
        """Drop the cached serialisations of one case.

        Example:
            >>> store = Store("demo")
            >>> _ = store.cached_json("v2", "c", lambda: {"a": 1}); store.forget_case_json("c")
            >>> store.cached_json("v2", "c", lambda: {"a": 2})
            '{"a": 2}'
        """
        for fmt in ("v05", "v2", "forward"):
            self._json.pop((fmt, case_id), None)

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Defer index maintenance for a burst of writes (seeding), rebuilding once at the end.

        Example:
            >>> store = Store("demo")
            >>> with store.lock, store.bulk():
            ...     _ = store.put_case({"case_id": "c", "external_id": None, "indices": {}})
            >>> store.case_index.ids
            ['c']
        """
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False
            self.form_index.rebuild(self.forms)
            self.case_index.rebuild(self.cases)
            self._selections.clear()

    def restore(self, forms: list[dict], cases: list[dict], clock: int) -> None:
        """Replace every form and case with saved records, keeping their ``indexed_on`` values.

        Example:
            >>> store = Store("demo")
            >>> store.restore([], [{"case_id": "c", "indexed": 7, "external_id": None, "indices": {}}], clock=9)
            >>> store.case_index.keys, store.clock.tick(0)
            ([7], 10)
        """
        with self.lock:
            self.forms = {rec["id"]: rec for rec in forms}
            self.cases = {rec["case_id"]: rec for rec in cases}
            self.children, self.by_external_id, self._json = {}, {}, {}
            for rec in cases:
                self._link(rec)
            self.form_index.rebuild(self.forms)
            self.case_index.rebuild(self.cases)
            self._selections.clear()
            self.clock.last = max(self.clock.last, clock)
            self.version += 1

    # -- reads ---------------------------------------------------------------------------------

    def cached_json(self, fmt: str, doc_id: str, build: Callable[[], object]) -> str:
        """The JSON text of one document in one format, built once until the document changes.

        Example:
            >>> store = Store("demo")
            >>> store.cached_json("form", "f", lambda: {"id": "f"})
            '{"id": "f"}'
        """
        key = (fmt, doc_id)
        text = self._json.get(key)
        if text is None:
            text = json.dumps(build())  # ASCII, as Django writes JSON: compact in memory too
            self._json[key] = text
        return text

    def cached_texts(self, fmt: str, doc_ids: list[str]) -> list[str | None]:
        """``cached_json`` of many documents where already built (``None`` where not), in one pass.

        Example:
            >>> store = Store("demo"); _ = store.cached_json("v2", "a", lambda: [1])
            >>> store.cached_texts("v2", ["a", "b"])
            ['[1]', None]
        """
        get = self._json.get
        return [get((fmt, doc_id)) for doc_id in doc_ids]

    def select(self, kind: str, signature: object, predicate: Callable[[dict], bool] | None,
               order: str = "indexed", desc: bool = False) -> tuple[list, list]:
        """Return ``(keys, ids)`` of the ``kind`` documents matching ``predicate``, sorted by ``order``.

        ``signature`` is a hashable description of the predicate, used to cache
        the selection until the next write. Ties sort by id. The caller must
        hold ``self.lock`` and must not modify the lists.

        Example:
            >>> store = Store("demo")
            >>> for i, kind in enumerate(["a", "b", "a"]):
            ...     _ = store.put_case({"case_id": f"c{i}", "case_type": kind, "external_id": None, "indices": {}})
            >>> with store.lock:
            ...     store.select("case", ("type", "a"), lambda r: r["case_type"] == "a")[1]
            ['c0', 'c2']
        """
        index = self.form_index if kind == "form" else self.case_index
        if predicate is None and order == "indexed" and not desc:
            return index.keys, index.ids
        cache_key = (kind, signature, order, desc)
        hit = self._selections.get(cache_key)
        if hit is not None:
            return hit
        records = self.forms if kind == "form" else self.cases
        ids = index.ids if predicate is None else [i for i in index.ids if predicate(records[i])]
        if order == "indexed":
            pairs = [(records[i]["indexed"], i) for i in ids]
        else:
            pairs = sorted((records[i][order] or 0, i) for i in ids)
        if desc:
            pairs.reverse()
        selection = ([key for key, _ in pairs], [doc_id for _, doc_id in pairs])
        if len(self._selections) >= SELECTION_CACHE_SIZE:
            self._selections.pop(next(iter(self._selections)))
        self._selections[cache_key] = selection
        return selection
