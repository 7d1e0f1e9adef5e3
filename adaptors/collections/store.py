"""What the collections adaptor needs from storage, and how a run gives it one.

The adaptor never opens a database: the runtime (``pyfn execute``, a worker,
the test kit) puts an object with the :class:`CollectionStore` methods in
:data:`current_store` for the length of a run, with :func:`use_store`.
Operations reach it through :func:`active_store`, which raises a clear
:class:`CollectionsUnavailable` when nothing was plugged in.

Keys and values are checked here, once, for every path in (operations, the
CLI, the HTTP API): a key is a non-empty string of at most
:data:`MAX_KEY_LENGTH` characters without a ``*`` (which only patterns use);
a value is JSON of at most :data:`MAX_VALUE_BYTES` bytes once encoded.

Example:
    >>> check_key("case-1")
    'case-1'
    >>> encode_value({"crm_id": 7})
    '{"crm_id":7}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Iterator, Protocol

from .errors import CollectionsUnavailable, InvalidKey, InvalidQuery, ValueTooLarge
from .plug import current_store, use_store

__all__ = ["CollectionStore", "Query", "Page", "current_store", "use_store", "active_store", "check_key",
           "check_pattern", "encode_value", "parse_query", "iterate", "time_bounds", "MAX_KEY_LENGTH", "MAX_VALUE_BYTES", "PAGE_SIZE"]

MAX_KEY_LENGTH = 255
MAX_VALUE_BYTES = 1_048_576  # 1 MiB of JSON text per value
PAGE_SIZE = 1000  # items per page when the caller does not say (OpenFn's pageSize)

_QUERY_FIELDS = {"key", "created_after", "created_before", "updated_after", "updated_before", "limit", "cursor",
                 "page_size"}
_CAMEL = {"createdAfter": "created_after", "createdBefore": "created_before", "updatedAfter": "updated_after",
          "updatedBefore": "updated_before", "pageSize": "page_size"}


@dataclass(frozen=True)
class Query:
    """Which items of a collection: a key pattern (``*`` matches anything), time bounds, a limit, a cursor.

    Example:
        >>> Query("2024-*", limit=10).is_single
        False
    """

    key: str = "*"
    created_after: str | None = None
    created_before: str | None = None
    updated_after: str | None = None
    updated_before: str | None = None
    limit: int | None = None
    cursor: str | None = None
    page_size: int = PAGE_SIZE

    @property
    def is_single(self) -> bool:
        """One exact key and no filter: OpenFn's "request one" mode."""
        return "*" not in self.key and not any((self.created_after, self.created_before, self.updated_after,
                                                self.updated_before))


@dataclass(frozen=True)
class Page:
    """One page of matches, in key order: ``[(key, value_json, created_at, updated_at)]`` and the next cursor."""

    items: list[tuple[str, str, str, str]]
    cursor: str | None


class CollectionStore(Protocol):
    """The storage a run plugs in (the runtime's implementation keeps it in the run store).

    ``value_json`` is JSON text (see :func:`encode_value`). A missing
    collection raises :class:`~adaptors.collections.errors.CollectionNotFound`.
    """

    def get(self, name: str, key: str) -> str | None:
        """The value of ``key`` as JSON text, ``None`` when there is no such key."""

    def page(self, name: str, query: Query, size: int) -> Page:
        """At most ``size`` matches of ``query`` after ``query.cursor``, in key order."""

    def set_many(self, name: str, items: Iterable[tuple[str, str]]) -> int:
        """Upsert ``(key, value_json)`` pairs in one transaction; how many."""

    def remove(self, name: str, query: Query) -> int:
        """Delete every match of ``query`` (its limit and cursor ignored); how many."""


def active_store() -> CollectionStore:
    """The store plugged in for this run; :class:`CollectionsUnavailable` if none."""
    store = current_store.get()
    if store is None:
        raise CollectionsUnavailable("Collections are not available in this run",
                                     fix="Run the job with pyfn execute, pyfn serve or pyfn worker (they "
                                         "keep collections in the run store), or use the collections "
                                         "fixture in tests")
    return store


def check_key(key: Any) -> str:
    """``key`` if it is a valid key (a string of 1-255 characters without ``*``), else :class:`InvalidKey`."""
    if not isinstance(key, str):
        raise InvalidKey(f"A collection key must be a string, not {type(key).__name__}: {key!r}",
                         fix="Give a string key, or a key function returning one (str(value['id']))")
    if "*" in key:
        raise InvalidKey(f"A collection key cannot contain '*' (patterns use it): {key!r}")
    return check_pattern(key)


def check_pattern(pattern: Any) -> str:
    """A key or key pattern: a non-empty string of at most 255 characters, else :class:`InvalidKey`."""
    if not isinstance(pattern, str) or not pattern:
        raise InvalidKey(f"A collection key or pattern must be a non-empty string, not {pattern!r}")
    if len(pattern) > MAX_KEY_LENGTH:
        raise InvalidKey(f"Collection key is {len(pattern)} characters long; the limit is {MAX_KEY_LENGTH}: "
                         f"{pattern[:40]!r}...", fix="Use a shorter key (a hash of a long one)")
    return pattern


def encode_value(value: Any, key: str = "") -> str:
    """``value`` as compact JSON text; :class:`ValueTooLarge` over 1 MiB, ``TypeError`` if it is not JSON."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"The value of collection key {key!r} is not JSON: {exc}") from None
    size = len(text.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        raise ValueTooLarge(f"The value of collection key {key!r} is {size} bytes of JSON; the limit is "
                            f"{MAX_VALUE_BYTES}", fix="Store smaller values: split the value over several keys")
    return text


def parse_query(query: Any) -> Query:
    """A key, a pattern or a query dict (snake_case, or OpenFn's camelCase names) → :class:`Query`.

    Example:
        >>> parse_query({"key": "a*", "createdAfter": "2024-01-01", "limit": 5}).created_after
        '2024-01-01'
    """
    if query is None:
        return Query()
    if isinstance(query, str):
        return Query(check_pattern(query))
    if not isinstance(query, dict):
        raise InvalidQuery(f"A collection query is a key, a pattern or a dict, not {type(query).__name__}")
    fields = {_CAMEL.get(name, name): value for name, value in query.items()}
    unknown = sorted(set(fields) - _QUERY_FIELDS)
    if unknown:
        raise InvalidQuery(f"Unknown collection query option(s): {', '.join(unknown)}",
                           fix=f"Use {', '.join(sorted(_QUERY_FIELDS))}")
    for name in ("limit", "page_size"):
        if fields.get(name) is not None and (not isinstance(fields[name], int) or fields[name] < 1):
            raise InvalidQuery(f"Collection query option {name} must be a positive integer, not {fields[name]!r}")
    fields["key"] = check_pattern(fields.get("key") or "*")
    fields["page_size"] = fields.get("page_size") or PAGE_SIZE
    return Query(**fields)


def iterate(store: CollectionStore, name: str, query: Query) -> Iterator[tuple[str, str, str, str]]:
    """Every match of ``query``, page by page (flat memory), up to ``query.limit``; the last cursor is returned
    as the generator's value (``StopIteration.value``)."""
    cursor, count = query.cursor, 0
    while query.limit is None or count < query.limit:
        size = query.page_size if query.limit is None else min(query.page_size, query.limit - count)
        page = store.page(name, Query(**{**query.__dict__, "cursor": cursor}), size)
        yield from page.items
        count += len(page.items)
        cursor = page.cursor
        if cursor is None:
            break
    return cursor


def time_bounds(query: Query) -> list[tuple[str, str, str]]:
    """The query's time filters as ``[(column, operator, ISO 8601 UTC text)]`` for SQL.

    A date alone (``2024-01-31``) means its whole day, as Lightning reads it:
    ``created_after`` a date is from the end of that day, ``created_before``
    a date is before its start. A time without a zone is UTC.

    Example:
        >>> time_bounds(Query(created_after="2024-01-31"))
        [('created_at', '>=', '2024-02-01T00:00:00.000000Z')]
    """
    bounds = []
    for name in ("created_after", "created_before", "updated_after", "updated_before"):
        text = getattr(query, name)
        if text is None:
            continue
        moment, whole_day = _parse_time(name, text)
        after = name.endswith("_after")
        if after and whole_day:
            moment += timedelta(days=1)
        operator = (">=" if whole_day else ">") if after else "<"
        bounds.append((name.split("_")[0] + "_at", operator, moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")))
    return bounds


def _parse_time(name: str, text: Any) -> tuple[datetime, bool]:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidQuery(f"Collection query option {name} is not an ISO 8601 date or time: {text!r}",
                           fix="Write dates as 2024-01-31 or 2024-01-31T12:00:00Z") from None
    whole_day = len(str(text)) <= 10
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc), whole_day
