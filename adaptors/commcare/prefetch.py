"""Asking HQ for the next page of a list while the job handles the page in hand.

A pull spends its time in two places that can overlap: HQ composing and sending a page, and the
job's ``each_page`` (plus parsing) on the page before it. ``ReadAhead.ask`` sends the next request
on one helper thread, in the caller's context (its step session, its logger), as soon as the pager
knows it; the paging loop reads the answer (parses it, logs it, raises its error) only when it
needs it. At most one request is under way, so at most two pages are held.

Example:
    ahead = ReadAhead(state)
    following = ahead.ask(pager)          # None when the pager is finished
    ...                                   # the job handles the page in hand
    reply = following.result().read()     # the next page's Reply
    ahead.close()
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

from .client import fetch
from .errors import PaginationLoopError

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from .paging import Pager

__all__ = ["ReadAhead"]


class ReadAhead:
    """Asks for the next page on a helper thread, in the caller's context (its step session and logger)."""

    def __init__(self, state: dict) -> None:
        self.state = state
        self.pool: ThreadPoolExecutor | None = None

    def ask(self, pager: Pager) -> Future | None:
        """The next page's ``Answer`` to come (``None``: the pager is finished); a refused request
        (``PaginationLoopError``) is raised by ``result()``, after the page in hand."""
        if pager.finished:
            return None
        from concurrent.futures import Future, ThreadPoolExecutor  # loaded by the first pull of two pages

        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyfn-commcare-pages")
        try:
            path, query = pager.request()
        except PaginationLoopError as error:
            failed: Future = Future()
            failed.set_exception(error)
            return failed
        context = contextvars.copy_context()
        return self.pool.submit(context.run, fetch, self.state, "GET", path, query=query)

    def close(self) -> None:
        """Wait for a request still under way (the caller stopped early) and end the thread."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
