"""Group commit of webhook deliveries: the deliveries that reach the store in one turn of the event loop
are committed in one transaction, and each is answered only once the commit holding it is done.

A delivery costs the store a transaction (``BEGIN``, the commit's write of the WAL pages it changed);
deliveries arriving together share one. Nothing changes for the sender: its delivery is committed
before its 2xx, its dedupe key is checked against the deliveries committed before it (and those
earlier in its group), and a group that cannot commit is retried one delivery at a time, so one
delivery the store refuses does not refuse its neighbours.

Example:
    >>> import asyncio
    >>> from runtime.store import open_store
    >>> store = open_store(":memory:")
    >>> group = GroupCommit(store)
    >>> async def deliver():
    ...     return await asyncio.gather(*(group.accept("wf", "forms", {"data": {"id": n}}, f"k{n % 2}")
    ...                                   for n in range(3)))
    >>> [accepted.duplicate for accepted in asyncio.run(deliver())]
    [False, False, True]
    >>> store.counts()
    {'available': 2}
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from runtime.store import Accepted, RunStore

__all__ = ["GroupCommit"]


class GroupCommit:
    """Accepts deliveries into ``store`` in groups, one transaction per turn of the event loop.

    ``expect(accepted)`` is called for each new delivery accepted with ``sync=True`` inside the transaction
    that stores it, before its commit: no worker can end the run before its reply is expected. If that
    transaction is rolled back, ``forget(accepted)`` undoes it (the deliveries are then stored one by one).
    """

    def __init__(self, store: RunStore, expect: Callable[[Accepted], None] | None = None,
                 forget: Callable[[Accepted], None] | None = None):
        self.store, self.expect, self.forget = store, expect, forget
        self._pending: list[tuple[tuple, bool, asyncio.Future]] = []

    async def accept(self, workflow: str, trigger: str | None, input_state: Any,
                     dedupe_key: str | None = None, *, sync: bool = False) -> Accepted:
        """:meth:`RunStore.accept`, answered once the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._pending.append(((workflow, trigger, input_state, dedupe_key), sync, done))
        if len(self._pending) == 1:  # the first of this turn: commit after the others of the turn joined
            loop.call_soon(self._commit)
        return await done

    def _commit(self) -> None:
        group, self._pending = self._pending, []
        expected: list[Accepted] = []
        try:
            with self.store.batch():
                outcomes = [self._accept(delivery, sync, expected) for delivery, sync, _ in group]
        except Exception:  # noqa: BLE001 - nothing of the group was committed: each on its own
            for accepted in expected:
                self.forget(accepted)
            for delivery, sync, done in group:
                _settle(done, lambda: self._accept(delivery, sync, []))
            return
        for (_, _, done), accepted in zip(group, outcomes):
            if not done.done():
                done.set_result(accepted)

    def _accept(self, delivery: tuple, sync: bool, expected: list[Accepted]) -> Accepted:
        accepted = self.store.accept(*delivery)
        if sync and not accepted.duplicate and self.expect is not None:
            self.expect(accepted)
            expected.append(accepted)
        return accepted


def _settle(done: asyncio.Future, accept) -> None:
    try:
        accepted = accept()
    except Exception as exc:  # noqa: BLE001 - handed to the delivery's request (503)
        if not done.done():
            done.set_exception(exc)
        return
    if not done.done():
        done.set_result(accepted)
