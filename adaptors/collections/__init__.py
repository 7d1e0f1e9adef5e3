"""The collections adaptor: OpenFn's ``@openfn/language-collections``, a key/value store shared by a project's runs.

Every job has a ``collections`` namespace in scope, whatever its adaptor, as
Lightning allows ``collections.get(...)`` inside an http job::

    collections.get("crm-ids", state["data"]["case_id"])          # state["data"] = the value
    collections.set("crm-ids", lambda p: p["case_id"], state["data"]["patients"])
    collections.each("crm-ids", "2024-*", lambda state, value, key: ...)
    collections.remove("crm-ids", "old-*")

Values are JSON (at most 1 MiB each); keys are strings of 1 to 255
characters; ``*`` in a key pattern matches any characters. A collection is
created explicitly (``pyfn collections create NAME``), as in Lightning: an
operation on a missing one fails with ``CollectionNotFound``. The items are
kept in the project's run store (SQLite, or PostgreSQL when shared); the
runtime plugs the store in for each run (see :mod:`adaptors.collections.store`).

Differences from OpenFn:
    - Operations reach the run store through pyfn (a served run asks its server): no
      ``collections_endpoint`` or ``collections_token`` in the configuration.
    - A pattern ``get`` puts its cursor in ``state["collection_cursor"]``.
    - ``updated_after`` and ``updated_before`` filter as ``created_*`` do.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .plug import use_store

__all__ = ["collections", "get", "set", "remove", "each", "load_all"]

_OPERATIONS = ("get", "set", "remove", "each")
# what this package gives by name, loaded from its module on first use (PEP 562)
_LAZY = {**dict.fromkeys(_OPERATIONS, "operations"),
         **dict.fromkeys(("CollectionError", "CollectionExists", "CollectionNotFound", "CollectionsUnavailable",
                          "InvalidKey", "InvalidQuery", "ValueTooLarge"), "errors"),
         **dict.fromkeys(("MAX_KEY_LENGTH", "MAX_VALUE_BYTES", "CollectionStore", "Query"), "store")}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def load_all() -> None:
    """Load now what this package gives on first use: for a process about to lose read access to pyfn's files.

    A served run's process calls it before it becomes another user (``--run-as``).

    Example:
        >>> load_all()
        >>> import sys; "adaptors.collections.operations" in sys.modules
        True
    """
    for name in _LAZY:
        __getattr__(name)


class _Collections:
    """OpenFn's collections namespace: collections.get/set/remove/each.

    Every job has it in scope; the operations are loaded when a job first asks for one.

    Example:
        >>> collections.get.__module__
        'adaptors.collections.operations'
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name not in _OPERATIONS:
            raise AttributeError(f"collections has no operation {name!r} (it has {', '.join(_OPERATIONS)})")
        return __getattr__(name)

    def __dir__(self) -> list[str]:
        return list(_OPERATIONS)

    def __repr__(self) -> str:
        return f"<collections namespace: {', '.join(_OPERATIONS)}>"


collections = _Collections()

if TYPE_CHECKING:
    from .errors import (CollectionError, CollectionExists, CollectionNotFound, CollectionsUnavailable, InvalidKey,
                         InvalidQuery, ValueTooLarge)
    from .operations import each, get, remove, set  # noqa: A004 - OpenFn's names
    from .store import MAX_KEY_LENGTH, MAX_VALUE_BYTES, CollectionStore, Query
