"""The store a run plugs in for the collections operations, and how it is plugged in.

Kept apart from the operations and the store's rules, so that the runtime plugs a store in
for every run without loading either: a job that never touches collections does not pay for them.

Example:
    >>> with use_store("a store") as store:
    ...     current_store.get()
    'a store'
    >>> current_store.get() is None
    True
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from .store import CollectionStore

__all__ = ["current_store", "use_store"]

current_store: ContextVar[CollectionStore | None] = ContextVar("pyfn_collections_store", default=None)


@contextmanager
def use_store(store: CollectionStore) -> Iterator[CollectionStore]:
    """Make ``store`` the collections of the code run inside the ``with`` (a run, a test).

    Example::

        with use_store(my_store):
            execute_plan(plan, state, ctx)
    """
    token = current_store.set(store)
    try:
        yield store
    finally:
        current_store.reset(token)
