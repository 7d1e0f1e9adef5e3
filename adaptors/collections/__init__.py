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

from types import SimpleNamespace

from .errors import (CollectionError, CollectionExists, CollectionNotFound, CollectionsUnavailable, InvalidKey,
                     InvalidQuery, ValueTooLarge)
from .operations import each, get, remove, set  # noqa: A004 - OpenFn's names
from .store import MAX_KEY_LENGTH, MAX_VALUE_BYTES, CollectionStore, Query, use_store

__all__ = ["collections", "get", "set", "remove", "each"]

collections = SimpleNamespace(get=get, set=set, remove=remove, each=each,
                              __doc__="OpenFn's collections namespace: collections.get/set/remove/each.")
