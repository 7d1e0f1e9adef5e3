"""Walking HQ's lists page by page: one pager per pagination scheme, one driver for all.

A pager says which request comes next (``request()``), reads an answer (``advance(body)`` returns
the page's new documents) and knows when to stop (``has_more``/``finished``). Asking twice for the
same path and parameters raises ``PaginationLoopError`` instead of looping forever.

- ``OffsetPager``: OpenFn's ``get``: the user's params first, then ``offset = meta.offset +
  meta.limit`` and ``limit = meta.limit`` while ``meta.next`` is set (Tastypie lists).
- ``CursorPager``: Case API v2: follows the ``cursor`` of ``next`` (only its query is used: the
  request stays on ``hostUrl``).
- ``IndexedOnPager``: commcare-export's ``date_indexed`` mode: ``order_by=indexed_on``,
  ``indexed_on_start`` = the last document's ``indexed_on``; the bound is inclusive, so documents at
  that exact time already delivered are dropped **by id** (ties are allowed). When a whole page
  shares the bound's time (more ties than a page), the next request adds ``offset`` = the ties
  already seen instead of asking for the same page again. ``cursor`` and ``boundary_ids`` are where
  the next run resumes.
- ``LinkPager``: follows a relative ``next_page`` link (report data).

``pages()`` runs a pager through ``client.fetch`` with progress reporting, asking for the next page
while the caller handles this one; ``drain()`` either keeps every document or hands each page to
an ``each_page`` callback and forgets it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from adaptors.http.urls import parse_query

from .client import Reply, fetch, local_path
from .errors import PaginationLoopError
from .prefetch import ReadAhead
from .progress import Progress

__all__ = ["CursorPager", "Drained", "IndexedOnPager", "LinkPager", "OffsetPager", "Pager", "canonical_time",
           "drain", "pages", "split_list"]

_LOOP_FIX = ("More documents share one indexed_on than fit a page, or the server repeats itself: raise "
             "the page size (limit) or report the server's behaviour.")


def split_list(body: Any) -> tuple[list, dict | None]:
    """``(objects, meta)`` of a Tastypie list; a body that is not one is its own single document."""
    if isinstance(body, dict) and isinstance(body.get("objects"), list):
        return body["objects"], body.get("meta") if isinstance(body.get("meta"), dict) else {}
    return body, None


def canonical_time(value: Any) -> str | None:
    """``indexed_on`` as ``2024-05-02T10:15:44.101223Z`` (UTC, microseconds); ``None`` stays ``None``."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Pager:
    """Base pager: the next request, loop detection, ``has_more`` and HQ's ``total`` estimate."""

    def __init__(self, path: str, params: dict | None) -> None:
        self.path, self.query = path, dict(params or {})
        self.has_more = True
        self.total: int | None = None
        self._asked: set[str] = set()

    @property
    def finished(self) -> bool:
        """No page left to ask for."""
        return not self.has_more

    def request(self) -> tuple[str, dict]:
        """``(path, query)`` of the next page.

        Raises:
            PaginationLoopError: this exact request was already made.
        """
        key = json.dumps([self.path, self.query], sort_keys=True, default=str)
        if key in self._asked:
            raise PaginationLoopError(f"Pagination loop: {self.path} was asked for {self.query} twice",
                                      code="PAGINATION_LOOP", path=self.path, query=self.query, fix=_LOOP_FIX)
        self._asked.add(key)
        return self.path, self.query

    def follow(self, link: str) -> None:
        """Make ``link`` (absolute or relative, from HQ) the next request, on ``hostUrl``."""
        path, _, query = local_path(link).partition("?")
        self.path, self.query = path, parse_query(query)

    def advance(self, body: Any) -> list:  # pragma: no cover - every pager overrides it
        raise NotImplementedError


class OffsetPager(Pager):
    """OpenFn's ``get`` pagination (see the module docstring)."""

    def __init__(self, path: str, params: dict | None) -> None:
        super().__init__(path, params)
        self.user = dict(params or {})

    def advance(self, body: Any) -> list:
        objects, meta = split_list(body)
        if meta is None:
            self.has_more = False
            return objects
        self.total = meta.get("total_count", self.total)
        if meta.get("next"):
            self.query = {**self.user, "offset": meta["offset"] + meta["limit"], "limit": meta["limit"]}
        else:
            self.has_more = False
        return objects


class CursorPager(Pager):
    """Case API v2 lists: ``cases``, ``matching_records`` (what remains) and an absolute ``next``."""

    def __init__(self, path: str, params: dict | None) -> None:
        super().__init__(path, params)
        self.delivered = 0

    def advance(self, body: Any) -> list:
        cases = (body.get("cases") or []) if isinstance(body, dict) else []
        remaining = body.get("matching_records") if isinstance(body, dict) else None
        if isinstance(remaining, int):
            self.total = self.delivered + remaining
        self.delivered += len(cases)
        link = body.get("next") if isinstance(body, dict) else None
        if link and cases:
            self.follow(link)
        else:
            self.has_more = False
        return cases


class LinkPager(Pager):
    """Lists whose body names the next page (``next_page``) and the total (``total_records``)."""

    def __init__(self, path: str, params: dict | None, rows: str = "data", link: str = "next_page",
                 total: str = "total_records") -> None:
        super().__init__(path, params)
        self.keys = (rows, link, total)

    def advance(self, body: Any) -> list:
        rows_key, link_key, total_key = self.keys
        body = body if isinstance(body, dict) else {}
        self.total = body.get(total_key, self.total)
        rows = body.get(rows_key) or []
        if body.get(link_key) and rows:
            self.follow(body[link_key])
        else:
            self.has_more = False
        return rows


class IndexedOnPager(Pager):
    """Incremental pulls ordered by ``indexed_on`` (see the module docstring)."""

    def __init__(self, path: str, params: dict | None, since: Any = None, boundary_ids: Any = (),
                 limit: int = 1000, until: Any = None) -> None:
        base = {**(params or {}), "order_by": "indexed_on", "limit": limit}
        if until is not None:
            base["indexed_on_end"] = _bound(until)
        super().__init__(path, base)
        self.base = base
        self.cursor = canonical_time(since) if _is_time(since) else since
        self.boundary = set(boundary_ids or ()) if self.cursor else set()
        self.listed: set = set()  # ids HQ listed at the cursor's time in this pull (the offset over ties)
        self.delivered = 0
        if since is not None:
            self.query = {**base, "indexed_on_start": _bound(since)}

    def advance(self, body: Any) -> list:
        objects, meta = split_list(body)
        meta = meta or {}
        fresh = [doc for doc in objects if not self._seen(doc)]
        if isinstance(meta.get("total_count"), int):
            self.total = self.delivered + meta["total_count"] - (len(objects) - len(fresh))
        self.delivered += len(fresh)
        before = self.cursor
        if objects:
            self._move_to(objects)
        self.has_more = bool(meta.get("next")) and bool(objects)
        self.query = {**self.base, "indexed_on_start": _bound(self.cursor)}
        if objects and self.cursor == before:  # a whole page at one indexed_on: step over the ties seen
            self.query["offset"] = len(self.listed)
        return fresh

    def _seen(self, doc: dict) -> bool:
        return bool(self.boundary) and _doc_id(doc) in self.boundary and \
            canonical_time(doc.get("indexed_on")) == self.cursor

    def _move_to(self, objects: list) -> None:
        if objects[-1].get("indexed_on") is None:
            raise PaginationLoopError(f"{self.path} answered documents without indexed_on", code="NO_INDEXED_ON",
                                      fix="Incremental pulls need HQ's indexed_on (API v0.5 forms and cases)")
        last = canonical_time(objects[-1].get("indexed_on"))
        at_last = set()
        for doc in reversed(objects):  # the page is ordered by indexed_on: its ties with the last are at its end
            if canonical_time(doc.get("indexed_on")) != last:
                break
            at_last.add(_doc_id(doc))
        if last == self.cursor:
            self.boundary |= at_last
            self.listed |= at_last
        else:
            self.boundary, self.listed = set(at_last), set(at_last)
        self.cursor = last


def _is_time(value: Any) -> bool:
    return isinstance(value, datetime) or (isinstance(value, str) and "T" in value)


def _bound(value: Any) -> str:
    """A bound HQ reads: ``YYYY-MM-DD`` as given, a time as naive UTC with microseconds."""
    if not _is_time(value):
        return str(value)
    return canonical_time(value)[:-1]


def _doc_id(doc: dict) -> Any:
    return doc.get("id") or doc.get("case_id")


@dataclass
class Drained:
    """The result of ``drain``: the state the callbacks left, the documents kept, counts, last reply."""

    state: dict
    docs: list | None
    count: int = 0
    pages: int = 0
    last: Reply | None = None
    metas: list = field(default_factory=list)


def pages(state: dict, pager: Pager, label: str, progress: bool = True) -> Iterator[tuple[list, Reply]]:
    """Yield ``(documents, reply)`` per page until the pager is finished, reporting progress.

    While the caller handles a page, the next one is already being asked for (on one helper
    thread: HQ composes it meanwhile); it is read, and its errors raised, only when asked for, after
    this page, so the caller sees pages, log lines and errors in the order of a one-by-one walk.
    """
    bar = Progress(label, progress)
    ahead = ReadAhead(state)
    try:
        path, query = pager.request()
        answer = fetch(state, "GET", path, query=query)
        while True:
            reply = answer.read()
            docs = pager.advance(reply.data)
            bar.page(len(docs) if isinstance(docs, list) else 1, pager.total)
            following = ahead.ask(pager)
            yield docs, reply
            docs = reply = None  # held no longer than the caller holds them
            if following is None:
                return
            answer = following.result()
    finally:
        ahead.close()
        bar.done()


def drain(state: dict, page_iter: Iterator[tuple[list, Reply]],
          each_page: Callable[[dict], Any] | None = None) -> Drained:
    """Keep every document, or hand each page to ``each_page`` as ``state["data"]`` and let it go.

    ``each_page`` gets the state (as the previous call returned it, ``data`` = this page's documents,
    ``response`` = this page's answer) and returns the state to go on with (``None``: unchanged).
    """
    outcome = Drained(state=state, docs=[] if each_page is None else None)
    for docs, reply in page_iter:
        outcome.count += len(docs)
        outcome.pages += 1
        outcome.last = replace(reply, data=None)  # what state["response"] shows; not the page
        if each_page is None:
            outcome.docs.extend(docs)
        else:
            result = each_page({**outcome.state, "data": docs, "response": reply.meta()})
            if isinstance(result, dict):
                outcome.state = {k: v for k, v in result.items() if k != "data"}
            result = None
        docs = reply = None  # the page goes before the next one is parsed: its memory is reused
    return outcome
