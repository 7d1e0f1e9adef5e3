"""The SQL of collections, for SQLite and PostgreSQL: two tables beside the runs, and each statement.

- ``collections``: one row per collection (name, created_at);
- ``collection_items``: ``(collection, key)`` is the primary key, so items are
  read in key order from the index and a pattern with a fixed prefix
  (``2024-*``) is an index range; ``value`` is JSON text.

A ``set`` is one upsert per key (``ON CONFLICT … DO UPDATE``) in one
transaction: concurrent writers of one key serialise on its row and the last
one wins; other keys are never touched. Keys are written in sorted order and
each key once, so two transactions never wait on each other in a cycle.

The PostgreSQL tables are made by migration 2 (``migrations/v0002_collections``);
SQLite files get them from :data:`SQLITE_SCHEMA` when collections are first opened.

Example:
    >>> import sqlite3
    >>> db = sqlite3.connect(":memory:")
    >>> db.executescript(SQLITE_SCHEMA) is not None
    True
    >>> SQLITE.pattern("2024-*"), POSTGRES.pattern("a_b*")
    ('2024-*', 'a\\\\_b%')
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Dialect", "SQLITE", "POSTGRES", "SQLITE_SCHEMA", "encode_cursor", "decode_cursor",
           "where_clause"]

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collection_items (
  collection TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY (collection, key)) WITHOUT ROWID;
"""

def _glob(pattern: str) -> str:
    """A key pattern as a SQLite GLOB (case-sensitive; only ``*`` is a wildcard)."""
    return pattern.replace("[", "[[]").replace("?", "[?]")


def _like(pattern: str) -> str:
    """A key pattern as a PostgreSQL LIKE (``\\`` escapes)."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


@dataclass(frozen=True)
class Dialect:
    """What differs between the two databases: placeholders, pattern matching, times."""

    name: str
    mark: str
    match: str
    pattern: Callable[[str], str]
    time: str  # how a bound time parameter is written
    unindexed: str  # before a column, keeps the planner from reading a pattern as the index range

    def sql(self, text: str) -> str:
        """``text`` with ``?`` placeholders in this dialect's style."""
        return text.replace("?", self.mark)

    def upsert(self) -> str:
        """Insert or replace one item, keeping its ``created_at``."""
        return self.sql(f"INSERT INTO collection_items (collection, key, value, created_at, updated_at) "
                        f"VALUES (?, ?, ?, {self.time}, {self.time}) ON CONFLICT (collection, key) DO UPDATE "
                        f"SET value = excluded.value, updated_at = excluded.updated_at")


SQLITE = Dialect("sqlite", "?", "GLOB", _glob, "?", "+")
POSTGRES = Dialect("postgresql", "%s", "LIKE", _like, "?::timestamptz", "")


def encode_cursor(key: str) -> str:
    """The opaque cursor after ``key``.

    Example:
        >>> decode_cursor(encode_cursor("case-9"))
        'case-9'
    """
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> str:
    """The key a cursor stands after; ``ValueError`` for a cursor pyfn did not make."""
    try:
        return base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (ValueError, UnicodeError):
        raise ValueError(f"Not a collection cursor: {cursor!r}") from None


def where_clause(dialect: Dialect, name: str, pattern: str, bounds: list[tuple[str, str, str]],
                 after: str | None = None) -> tuple[str, list[Any]]:
    """``WHERE`` for the items of ``name`` matching ``pattern``, the time ``bounds`` and keys after ``after``.

    The key range is written out — from the cursor or the pattern's fixed prefix, whichever is
    further, to the end of the prefix — so every page is one index seek, however deep the cursor.

    Example:
        >>> where_clause(SQLITE, "c", "item-*", [], "item-9")
        ('WHERE collection = ? AND +key GLOB ? AND key > ? AND key < ?', ['c', 'item-*', 'item-9', 'item-\U0010ffff'])
    """
    clauses, params = ["collection = ?"], [name]
    prefix = pattern.split("*", 1)[0]
    if "*" not in pattern:
        clauses.append("key = ?")
        params.append(pattern)
    elif pattern != "*":
        clauses.append(f"{dialect.unindexed}key {dialect.match} ?")  # matched row by row: the range below seeks
        params.append(dialect.pattern(pattern))
    for column, operator, moment in bounds:
        clauses.append(f"{column} {operator} {dialect.time}")
        params.append(moment)
    if after is not None and after >= prefix:
        clauses.append("key > ?")
        params.append(after)
    elif prefix and "*" in pattern:
        clauses.append("key >= ?")
        params.append(prefix)
    if prefix and "*" in pattern:
        clauses.append("key < ?")
        params.append(prefix + "\U0010ffff")
    return dialect.sql("WHERE " + " AND ".join(clauses)), params
