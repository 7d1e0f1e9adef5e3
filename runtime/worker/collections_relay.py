"""Collections in a served run: the run's process asks, its supervisor (which holds the run store) answers.

The run's process never opens the run store (it may not even be able to: ``--run-as``,
``--sandbox``). It plugs a :class:`RelayedCollections` into the collections adaptor
(``adaptors.collections.store.CollectionStore``); each call becomes a
``CollectionCall`` on the pipe to the supervisor and waits for its ``CollectionAnswer``
(``runtime.worker.messages``). The supervisor makes the call on the run store with
:func:`answer`. Secrets of the run in keys and values are masked in the run's process,
before they leave it.

Example (both ends in one process)::

    relayed = RelayedCollections(channel, mask)     # in the run's process
    answer(StoreCollections("state/pyfn.db"), call)  # in the supervisor, for each CollectionCall
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from typing import Any, Callable, Iterable

from adaptors.collections import errors
from adaptors.collections.store import Page, Query, encode_value
from runtime.worker.messages import CollectionAnswer, CollectionCall

__all__ = ["RelayedCollections", "answer"]


class RelayedCollections:
    """The adaptor's ``CollectionStore`` in a served run: every call answered by the supervisor.

    ``channel`` is the run's end of the pipe (``runtime.worker.messages.Channel``); ``mask``
    masks the run's secrets in a key or a value it sets.
    """

    def __init__(self, channel: Any, mask: Callable[[str], str]):
        self.channel, self.mask = channel, mask
        self._lock = threading.Lock()  # one call at a time: each answer belongs to the call before it

    def get(self, name: str, key: str) -> str | None:
        return self._call("get", name, key)

    def page(self, name: str, query: Query, size: int) -> Page:
        items, cursor = self._call("page", name, asdict(query), size)
        return Page([tuple(item) for item in items], cursor)

    def set_many(self, name: str, items: Iterable[tuple[str, str]]) -> int:
        return self._call("set_many", name, [[self.mask(key), self.mask(value)] for key, value in items])

    def remove(self, name: str, query: Query) -> int:
        return self._call("remove", name, asdict(query))

    def close(self) -> None:
        """Nothing to close: the supervisor holds the store."""

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            self.channel.send(CollectionCall(method, list(args)))
            reply = self.channel.recv()
        if not isinstance(reply, CollectionAnswer):
            raise errors.CollectionsUnavailable(f"The server answered a collections call with {type(reply).__name__}")
        if reply.error is not None:
            kind, message, fix = reply.error
            cls = getattr(errors, kind, None)
            raise (cls if isinstance(cls, type) and issubclass(cls, errors.CollectionError)
                   else errors.CollectionsUnavailable)(message, fix=fix)
        return reply.value


def answer(collections: Any, call: CollectionCall) -> CollectionAnswer:
    """Make ``call`` on ``collections`` (a ``runtime.store.collections.StoreCollections``) and say how it went.

    Whatever the run's process sent, the answer is a value or an error, never an exception here.

    Example:
        >>> from runtime.store.collections import StoreCollections
        >>> store = StoreCollections(":memory:")
        >>> store.create("ids")
        >>> answer(store, CollectionCall("set_many", ["ids", [["a", "1"]]])).value
        1
        >>> answer(store, CollectionCall("delete", ["ids"])).error[0]
        'CollectionsUnavailable'
    """
    try:
        return CollectionAnswer(_make(collections, call.method, call.args))
    except errors.CollectionError as error:
        return CollectionAnswer(error=[type(error).__name__, error.message, error.fix])
    except Exception as exc:  # noqa: BLE001 - a bad call or a store failure becomes the job's error
        return CollectionAnswer(error=["CollectionsUnavailable",
                                       f"The run store could not answer: {type(exc).__name__}: {exc}", None])


def _make(collections: Any, method: str, args: list) -> Any:
    if method == "get":
        name, key = args
        return collections.get(name, key)
    if method == "page":
        name, query, size = args
        page = collections.page(name, Query(**query), int(size))
        return [[list(item) for item in page.items], page.cursor]
    if method == "set_many":
        name, items = args
        return collections.set_many(name, [(key, _value(key, value)) for key, value in items])
    if method == "remove":
        name, query = args
        return collections.remove(name, Query(**query))
    raise ValueError(f"no collections method {method!r}")


def _value(key: Any, text: Any) -> str:
    """A value the run's process sent, checked as the adaptor checks it (JSON, at most 1 MiB)."""
    if not isinstance(text, str):
        raise ValueError(f"the value of {key!r} is not JSON text")
    return encode_value(json.loads(text), str(key))
