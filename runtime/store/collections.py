"""Collections kept in the run store: the storage behind the collections adaptor, the CLI and the API.

:class:`StoreCollections` opens its own connection to the run store's
database — the SQLite file (``state/pyfn.db``) or the PostgreSQL URL — the
first time it is used, so a run that never touches collections never opens
it. It implements the adaptor's :class:`~adaptors.collections.store.CollectionStore`
(``get``, ``page``, ``set_many``, ``remove``) and the administration the
CLI and the API need (``names``, ``create``, ``delete``, ``iterate``).

Example:
    >>> store = StoreCollections(":memory:")
    >>> store.create("crm-ids")
    >>> store.set_many("crm-ids", [("case-1", '{"crm_id":7}')])
    1
    >>> store.get("crm-ids", "case-1")
    '{"crm_id":7}'
    >>> [(c.name, c.count) for c in store.names()]
    [('crm-ids', 1)]
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from adaptors.collections.errors import CollectionExists, CollectionNotFound, InvalidKey, InvalidQuery
from adaptors.collections.store import MAX_KEY_LENGTH, Page, Query, check_key, iterate, time_bounds
from runtime.store import is_database_url, iso, now_iso
from runtime.store.files import private_file
from runtime.store.collections_sql import (POSTGRES, SQLITE, SQLITE_SCHEMA, decode_cursor, encode_cursor,
                                           where_clause)

__all__ = ["StoreCollections", "CollectionInfo", "check_name"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class CollectionInfo:
    """A collection as ``pyfn collections list`` shows it."""

    name: str
    count: int
    created_at: str


def check_name(name: Any) -> str:
    """A collection name: letters, digits, ``-``, ``_`` and ``.``, at most 255 characters (as URLs carry them).

    Example:
        >>> check_name("crm-ids")
        'crm-ids'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_KEY_LENGTH:
        raise InvalidKey(f"Not a collection name: {name!r}",
                         fix="Name collections with letters, digits, '-', '_' and '.' (crm-ids)")
    return name


class StoreCollections:
    """Collections in the SQLite file or PostgreSQL database at ``location``, opened on first use.

    Safe to share between threads (one connection under a lock); every
    process opens its own. A run passes its masker's ``mask``: every secret of
    the run in a key or value it sets is stored as ``****``, as in its logs.
    """

    def __init__(self, location: str | Path, mask: Callable[[str], str] | None = None):
        self.location = str(location)
        self._mask = mask
        self.dialect = POSTGRES if is_database_url(self.location) else SQLITE
        self._db: Any = None
        self._lock = threading.RLock()

    # -- connection ----------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self.dialect is POSTGRES:
            from runtime.store.migrate import upgrade
            from runtime.store.pgconn import connect

            db = connect(self.location)
            upgrade(db)
            return db
        import sqlite3  # here: pyfn execute of a job without collections never loads it

        path = self.location.removeprefix("sqlite:///")
        if path != ":memory:":
            private_file(path)  # as the run store's own file: its owner only
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SQLITE_SCHEMA)
        return db

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
        with self._lock:
            if self._db is None:
                self._db = self._connect()
            if self.dialect is POSTGRES:
                with self._db.transaction():
                    yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._transaction(write=False) as db:
            return db.execute(self.dialect.sql(sql), tuple(params)).fetchall()

    def close(self) -> None:
        """Close the connection (opened again if used afterwards)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- administration --------------------------------------------------------------------------
    def names(self) -> list[CollectionInfo]:
        """Every collection with its item count, by name."""
        rows = self._rows("SELECT c.name, c.created_at, (SELECT COUNT(*) FROM collection_items i "
                          "WHERE i.collection = c.name) FROM collections c ORDER BY c.name")
        return [CollectionInfo(name, count, _text(created)) for name, created, count in rows]

    def create(self, name: str) -> None:
        """Create an empty collection; :class:`CollectionExists` if the name is taken."""
        with self._transaction() as db:
            if self._exists(db, check_name(name)):
                raise CollectionExists(f"Collection '{name}' exists already")
            db.execute(self.dialect.sql(f"INSERT INTO collections (name, created_at) VALUES (?, {self.dialect.time})"),
                       (name, now_iso()))

    def delete(self, name: str) -> int:
        """Delete a collection and its items; how many items went."""
        with self._transaction() as db:
            self._require(db, name)
            count = db.execute(self.dialect.sql("DELETE FROM collection_items WHERE collection = ?"), (name,)).rowcount
            db.execute(self.dialect.sql("DELETE FROM collections WHERE name = ?"), (name,))
            return count

    def exists(self, name: str) -> bool:
        """Whether the collection exists."""
        with self._transaction(write=False) as db:
            return self._exists(db, name)

    def require(self, name: str) -> None:
        """:class:`CollectionNotFound` (with the command that creates it) unless the collection exists."""
        with self._transaction(write=False) as db:
            self._require(db, name)

    def iterate(self, name: str, query: Query) -> Iterator[tuple[str, str, str, str]]:
        """Every match of ``query`` as ``(key, value_json, created_at, updated_at)``, a page at a time."""
        return iterate(self, name, query)

    # -- the adaptor's CollectionStore --------------------------------------------------------
    def get(self, name: str, key: str) -> str | None:
        with self._transaction(write=False) as db:
            self._require(db, name)
            row = db.execute(self.dialect.sql("SELECT value FROM collection_items WHERE collection = ? AND key = ?"),
                             (name, key)).fetchone()
        return None if row is None else row[0]

    def page(self, name: str, query: Query, size: int) -> Page:
        after = _cursor_key(query.cursor)
        where, params = where_clause(self.dialect, name, query.key, time_bounds(query), after)
        with self._transaction(write=False) as db:
            self._require(db, name)
            rows = db.execute(f"SELECT key, value, created_at, updated_at FROM collection_items {where} "
                              f"ORDER BY key LIMIT {int(size) + 1}", params).fetchall()
        items = [(key, value, _text(created), _text(updated)) for key, value, created, updated in rows[:size]]
        return Page(items, encode_cursor(items[-1][0]) if len(rows) > size else None)

    def set_many(self, name: str, items: Iterable[tuple[str, str]]) -> int:
        latest = {check_key(key): value for key, value in items}  # each key once: the last value given wins
        if self._mask is not None:
            latest = {self._mask(key): self._mask(value) for key, value in latest.items()}
        now = now_iso()
        rows = [(name, key, latest[key], now, now) for key in sorted(latest)]
        with self._transaction() as db:
            self._require(db, name)
            db.cursor().executemany(self.dialect.upsert(), rows)
        return len(rows)

    def remove(self, name: str, query: Query) -> int:
        where, params = where_clause(self.dialect, name, query.key, time_bounds(query))
        with self._transaction() as db:
            self._require(db, name)
            return db.execute(f"DELETE FROM collection_items {where}", params).rowcount

    # -- helpers -----------------------------------------------------------------------------
    def _exists(self, db: Any, name: str) -> bool:
        return db.execute(self.dialect.sql("SELECT 1 FROM collections WHERE name = ?"), (name,)).fetchone() is not None

    def _require(self, db: Any, name: Any) -> None:
        if not isinstance(name, str) or not self._exists(db, name):
            raise CollectionNotFound(f"Collection '{name}' not found",
                                     fix=f"Create it first: pyfn collections create {name} (collections are "
                                         f"created explicitly, as in Lightning)")


def _cursor_key(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError as error:
        raise InvalidQuery(str(error), fix="Pass the cursor a previous get or each returned") from None


def _text(moment: Any) -> str:
    """A stored time as ISO 8601 UTC text (PostgreSQL gives datetimes, SQLite the text itself)."""
    return moment if isinstance(moment, str) else iso(moment)
