"""A generated case data set: case ``i`` of ``count`` is computed from ``i`` and a seed, never stored.

``pyfn commcare serve --generate-cases 1000000`` serves a million cases page by page in the memory
of a few: the case APIs read the cases through :class:`GeneratedStore`, whose ``cases``,
``children``, ``by_external_id`` and index are views computing each record when asked, and whose
JSON is built per request instead of cached. The records have the stored cases' fields, so they are
served by the same code (``records.to_v05``/``to_v2``, v0.5 ``indexed_on_start``/offset paging, the
v2 cursor, filters, ``child_cases__full``) in the same shape.

The data: groups of four, a ``household`` case (external id ``HH-<group>``) and up to three
``patient`` cases indexed to it (``parent``, ``child``); a patient in ten is closed. Case ``i`` is
modified at about 2024-01-01 + 30 s × ``i`` (``date_modified``, then ``server_date_modified`` 10 s
later, then ``indexed_on``), so every order (``indexed_on``, ``server_date_modified``,
``date_modified``) is the order of ``i`` and no two cases share a time. Ids look like uuid4s and
encode ``i``, so a case is found by id without a table. Owners are the project's mobile workers.

The data set is read-only: a form with case blocks is a processing failure (nothing written).

Example:
    >>> cases = CaseGenerator(10, seed=7, domain="demo", owners=["u1"])
    >>> rec = cases.record(1)
    >>> rec["case_type"], rec["indices"]["parent"]["case_id"] == cases.case_id(0), cases.position(rec["case_id"])
    ('patient', True, 1)
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Mapping, Sequence
from typing import Callable, Iterator

from .. import dates
from ..documents import SELECTION_CACHE_SIZE, Store

__all__ = ["CaseGenerator", "GeneratedStore", "READ_ONLY"]

READ_ONLY = ("ReadOnlyCases: the simulator serves a generated case data set (--generate-cases), "
             "which is read-only")
_M64 = (1 << 64) - 1
_ODD = 0x9E3779B97F4A7C15  # odd: i * _ODD is a bijection of 64-bit integers
_UNODD = pow(_ODD, -1, 1 << 64)
_START = dates.parse("2024-01-01T00:00:00Z")
_GAP = 30_000_000  # µs between two cases
_GROUP = 4  # a household and its three members
_FIRST = ["Akinyi", "Baraka", "José", "Zoë", "Chidinma", "Wanjikũ", "Ngozi", "Amina", "Thảo", "Björn", "Σοφία",
          "अनीता", "李娜", "Oluwaseun", "Fatoumata", "Kwame", "Ayşe", "Émile", "Nomvula", "Tupac"]
_LAST = ["Otieno", "Mwangi", "Nguyễn", "Okafor", "Müller", "Ólafsdóttir", "Đặng", "Diallo", "Mensah",
         "Kariuki", "Öztürk", "Dlamini", "García", "O'Brien", "Achieng"]
_VILLAGES = ["Kondele", "Nyalenda", "Manyatta", "Ugunja", "Bondo", "Yala", "Malindi", "Watamu", "Mtwapa",
             "Ukunda", "Msambweni", "Diani"]


def _mix(value: int) -> int:
    """splitmix64's finaliser: 64 well-mixed bits from any integer."""
    value = (value + 0x9E3779B97F4A7C15) & _M64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _M64
    return value ^ (value >> 31)


def _uuid(high: int, low: int) -> str:
    """A uuid4's text from two 64-bit integers (the version digit set)."""
    text = f"{(high & ~(0xF << 12)) | (0x4 << 12):016x}{low:016x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class CaseGenerator:
    """``count`` cases of one domain, each a pure function of its position and ``seed``.

    Example:
        >>> CaseGenerator(8, seed=1, domain="demo", owners=["u"]).record(0)["case_type"]
        'household'
    """

    def __init__(self, count: int, seed: int, domain: str, owners: list[str]) -> None:
        self.count, self.seed, self.domain = count, seed, domain
        self.owners = list(owners) or ["0" * 32]
        self._key = _mix(seed)
        self._offset = _mix(self._key ^ 1)

    def _hash(self, i: int, salt: int = 0) -> int:
        return _mix(self._key ^ (i * 4 + salt))

    def case_id(self, i: int) -> str:
        """The id of case ``i`` (it encodes ``i``: see :meth:`position`).

        Example:
            >>> len(CaseGenerator(8, seed=1, domain="demo", owners=["u"]).case_id(3))
            36
        """
        low = (i * _ODD + self._offset) & _M64
        return _uuid(_mix(self._key ^ low), low)

    def position(self, case_id: str) -> int | None:
        """``i`` of a generated case's id, ``None`` for any other text.

        Example:
            >>> cases = CaseGenerator(8, seed=1, domain="demo", owners=["u"]); cases.position(cases.case_id(5)), cases.position("x")
            (5, None)
        """
        digits = case_id.replace("-", "") if isinstance(case_id, str) and len(case_id) == 36 else ""
        try:
            low = int(digits[16:], 16)
        except ValueError:
            return None
        i = ((low - self._offset) * _UNODD) & _M64
        return i if i < self.count and self.case_id(i) == case_id else None

    def modified(self, i: int) -> int:
        """``date_modified`` of case ``i`` (µs): within the first quarter of its 30 s slot.

        Example:
            >>> cases = CaseGenerator(8, seed=1, domain="demo", owners=["u"]); cases.modified(0) < cases.modified(1)
            True
        """
        return _START + i * _GAP + self._hash(i, 1) % (_GAP // 4)

    def server_modified(self, i: int) -> int:
        """``server_date_modified``: 10 s after ``date_modified``, as a phone syncs.

        Example:
            >>> cases = CaseGenerator(8, seed=1, domain="demo", owners=["u"]); cases.server_modified(2) - cases.modified(2)
            10000000
        """
        return self.modified(i) + 10_000_000

    def indexed(self, i: int) -> int:
        """``indexed_on``: 1.1 s (and some µs) after the server received the case.

        Example:
            >>> cases = CaseGenerator(8, seed=1, domain="demo", owners=["u"]); cases.indexed(3) > cases.server_modified(3)
            True
        """
        return self.server_modified(i) + 1_100_000 + self._hash(i, 2) % 1000

    def key(self, order: str) -> Callable[[int], int]:
        """The sort key of an order (``indexed``, ``server_date_modified``, ``date_modified``).

        Example:
            >>> cases = CaseGenerator(8, seed=1, domain="demo", owners=["u"]); cases.key("indexed")(1) == cases.indexed(1)
            True
        """
        return {"indexed": self.indexed, "server_date_modified": self.server_modified}.get(order, self.modified)

    def members(self, i: int) -> range:
        """The positions of household ``i``'s members (empty for a patient).

        Example:
            >>> list(CaseGenerator(8, seed=1, domain="demo", owners=["u"]).members(4)), list(CaseGenerator(8, seed=1, domain="demo", owners=["u"]).members(5))
            ([5, 6, 7], [])
        """
        return range(i + 1, min(i + _GROUP, self.count)) if i % _GROUP == 0 else range(0)

    def external_id(self, i: int) -> str | None:
        """``HH-<group>`` for a household, ``None`` for a patient.

        Example:
            >>> CaseGenerator(8, seed=1, domain="demo", owners=["u"]).external_id(4)
            'HH-0000002'
        """
        return f"HH-{i // _GROUP + 1:07d}" if i % _GROUP == 0 else None

    def record(self, i: int) -> dict:
        """Case ``i`` as the store keeps a case (dates in µs), the same record on every call.

        Example:
            >>> cases = CaseGenerator(8, seed=1, domain="demo", owners=["u"]); cases.record(2) == cases.record(2)
            True
        """
        household = i - i % _GROUP
        family, mine = self._hash(household), self._hash(i)
        owner = self.owners[family % len(self.owners)]
        surname, village = _LAST[family % len(_LAST)], _VILLAGES[(family >> 8) % len(_VILLAGES)]
        modified, closed = self.modified(i), i != household and mine % 10 == 0
        rec = {"case_id": self.case_id(i), "domain": self.domain, "case_type": "household", "case_name": surname,
               "owner_id": owner, "external_id": self.external_id(i), "user_id": owner, "opened_by": owner,
               "closed_by": owner if closed else None, "closed": closed, "date_opened": modified,
               "date_closed": modified if closed else None, "date_modified": modified,
               "server_date_opened": modified + 10_000_000, "server_date_modified": modified + 10_000_000,
               "indexed": self.indexed(i), "xform_ids": [_uuid(_mix(family), _mix(family ^ 1))],
               "properties": {"village": village, "hh_size": str(len(self.members(household)))}, "indices": {}}
        if i != household:
            sex = ("female", "male")[(mine >> 8) & 1]
            dob = dates.iso(_START - (365 + (mine >> 9) % (79 * 365)) * 86_400_000_000)[:10]
            rec.update(case_type="patient", case_name=f"{_FIRST[(mine >> 24) % len(_FIRST)]} {surname}",
                       properties={"sex": sex, "dob": dob, "village": village,
                                   "status": "closed" if closed else "active",
                                   "phone": f"+2547{(mine >> 32) % 10**8:08d}"},
                       indices={"parent": {"case_id": self.case_id(household), "case_type": "household",
                                           "relationship": "child"}})
        return rec


class _Column(Sequence):
    """A lazy column over positions (all, or a filtered ``array``): ``value(i)`` per item, slices as lists."""

    def __init__(self, value: Callable[[int], object], size: int, positions: array | None = None) -> None:
        self.value, self.size, self.positions = value, size, positions

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, item):
        if isinstance(item, slice):
            return [self[k] for k in range(*item.indices(self.size))]
        if item < 0:
            item += self.size
        if not 0 <= item < self.size:
            raise IndexError(item)
        return self.value(item if self.positions is None else self.positions[item])


class _Cases(Mapping):
    """``case_id -> record`` over the generator (computed on each look-up)."""

    def __init__(self, generator: CaseGenerator) -> None:
        self.generator = generator

    def __getitem__(self, case_id: str) -> dict:
        i = self.generator.position(case_id)
        if i is None:
            raise KeyError(case_id)
        return self.generator.record(i)

    def __iter__(self) -> Iterator[str]:
        return (self.generator.case_id(i) for i in range(self.generator.count))

    def __len__(self) -> int:
        return self.generator.count


class _Children(_Cases):
    """``parent case_id -> {child case_ids}``: a household's members."""

    def __getitem__(self, case_id: str) -> set[str]:
        i = self.generator.position(case_id)
        members = self.generator.members(i) if i is not None else range(0)
        if not members:
            raise KeyError(case_id)
        return {self.generator.case_id(m) for m in members}

    def __iter__(self) -> Iterator[str]:
        return (self.generator.case_id(i) for i in range(0, self.generator.count, _GROUP) if self.generator.members(i))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _ExternalIds(_Cases):
    """``external_id -> {case_id}``: households only."""

    def __getitem__(self, external_id: str) -> set[str]:
        digits = external_id[3:] if isinstance(external_id, str) and external_id.startswith("HH-") else ""
        i = (int(digits) - 1) * _GROUP if digits.isdigit() and len(digits) == 7 else -1
        if not 0 <= i < self.generator.count or self.generator.external_id(i) != external_id:
            raise KeyError(external_id)
        return {self.generator.case_id(i)}

    def __iter__(self) -> Iterator[str]:
        return (self.generator.external_id(i) for i in range(0, self.generator.count, _GROUP))

    def __len__(self) -> int:
        return -(-self.generator.count // _GROUP)


class _Index:
    """The case index's ``keys`` (``indexed_on``) and ``ids``, as lazy columns."""

    def __init__(self, generator: CaseGenerator) -> None:
        self.keys = _Column(generator.indexed, generator.count)
        self.ids = _Column(generator.case_id, generator.count)

    def rebuild(self, records: Mapping) -> None:
        """Nothing to rebuild after a burst of writes (``Store.bulk``): the columns are computed."""


class GeneratedStore(Store):
    """A :class:`Store` whose cases are a :class:`CaseGenerator`'s (forms and the rest as usual).

    Example:
        >>> store = GeneratedStore("demo", CaseGenerator(6, seed=1, domain="demo", owners=["u1"]))
        >>> with store.lock:
        ...     keys, ids = store.select("case", ("type",), lambda r: r["case_type"] == "household")
        >>> len(store.cases), len(ids), ids[1] == store.generator.case_id(4)
        (6, 2, True)
    """

    read_only_cases = READ_ONLY

    def __init__(self, domain: str, generator: CaseGenerator) -> None:
        super().__init__(domain)
        self.generator = generator
        self.cases, self.children = _Cases(generator), _Children(generator)  # type: ignore[assignment]
        self.by_external_id = _ExternalIds(generator)  # type: ignore[assignment]
        self.case_index = _Index(generator)  # type: ignore[assignment]
        self.clock.last = generator.indexed(generator.count - 1) if generator.count else 0

    def cached_json(self, fmt: str, doc_id: str, build: Callable[[], object]) -> str:
        """Forms' JSON as the store caches it; a generated case's is built on each call (nothing kept).

        Example:
            >>> GeneratedStore("demo", CaseGenerator(1, 1, "demo", [])).cached_json("v2", "c", lambda: [1])
            '[1]'
        """
        if fmt in ("v05", "v2", "forward"):
            return json.dumps(build())
        return super().cached_json(fmt, doc_id, build)

    def select(self, kind: str, signature: object, predicate, order: str = "indexed", desc: bool = False):
        """Cases: every order is the order of positions, so an unfiltered selection is two lazy columns and
        a filtered one keeps only the matching positions (8 bytes each), found by one scan and cached.

        Example:
            >>> store = GeneratedStore("demo", CaseGenerator(8, 1, "demo", []))
            >>> len(store.select("case", ("t",), lambda r: r["case_type"] == "patient")[1])
            6
        """
        if kind != "case":
            return super().select(kind, signature, predicate, order, desc)
        cache_key = (kind, signature, order, desc)
        hit = self._selections.get(cache_key)
        if hit is not None:
            return hit
        generator = self.generator
        positions = None
        if predicate is not None or desc:
            found = range(generator.count) if predicate is None else \
                (i for i in range(generator.count) if predicate(generator.record(i)))
            positions = array("q", found)
            if desc:
                positions.reverse()
        size = generator.count if positions is None else len(positions)
        selection = (_Column(generator.key(order), size, positions), _Column(generator.case_id, size, positions))
        if len(self._selections) >= SELECTION_CACHE_SIZE:
            self._selections.pop(next(iter(self._selections)))
        self._selections[cache_key] = selection
        return selection
