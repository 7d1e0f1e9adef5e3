"""What every v0.x ("Tastypie") list resource shares: limit/offset, date bounds, the envelope.

A list answer is ``{"meta": {"limit", "next", "offset", "previous",
"total_count"}, "objects": [...]}`` where ``next``/``previous`` are relative
URLs keeping every original query parameter. A :class:`Query` describes a
filtered, ordered selection of the store; :func:`run_query` pages it.

Example:
    >>> from .messages import Request
    >>> limit_offset(Request("GET", "/x/", "limit=5000&offset=3", {}, b""), max_limit=1000)
    (1000, 3)
"""

from __future__ import annotations

import base64
import json
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qsl, urlencode

from . import dates
from .messages import HTTPError, Request, Response

__all__ = ["BadRequest", "Query", "limit_offset", "bounds", "run_query", "envelope", "list_response",
           "encode_cursor", "decode_cursor"]


class BadRequest(HTTPError):
    """A bad query parameter: the route answers 400 with this message.

    Example:
        >>> BadRequest("Bad query parameter").status
        400
    """

    def __init__(self, message: str = "Bad query parameter") -> None:
        super().__init__(400, message)


def limit_offset(request: Request, max_limit: int, default: int = 20) -> tuple[int, int]:
    """``limit`` (clamped to ``max_limit``, as Tastypie does) and ``offset`` from the query.

    Example:
        >>> limit_offset(Request("GET", "/", "", {}, b""), max_limit=1000)
        (20, 0)
    """
    try:
        limit = int(request.param("limit") or default)
        offset = int(request.param("offset") or 0)
    except ValueError:
        raise BadRequest("Bad query parameter") from None
    if limit <= 0:
        limit = max_limit
    return min(limit, max_limit), max(offset, 0)


def encode_cursor(params: dict) -> str:
    """The ``cursor`` of HQ's cursor-paged APIs (messaging-event, ucr): the base64 of URL-encoded ``params``.

    Example:
        >>> encode_cursor({"last_doc_id": "a b"})
        'bGFzdF9kb2NfaWQ9YSti'
    """
    return base64.b64encode(urlencode(params).encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> dict:
    """The parameters a ``cursor`` carries (see :func:`encode_cursor`); ``ValueError`` if it carries none.

    Example:
        >>> decode_cursor(encode_cursor({"limit": "5", "last_doc_id": "x"}))
        {'limit': '5', 'last_doc_id': 'x'}
    """
    return dict(parse_qsl(base64.b64decode(cursor).decode("utf-8")))  # binascii.Error, UnicodeDecodeError: ValueErrors


def bounds(request: Request, name: str) -> tuple[int | None, int | None]:
    """Inclusive ``<name>_start`` / ``<name>_end`` bounds in microseconds (400 on a bad date).

    Example:
        >>> bounds(Request("GET", "/", "received_on_start=1970-01-01", {}, b""), "received_on")
        (0, None)
    """
    values = []
    for suffix, upper in (("_start", False), ("_end", True)):
        text = request.param(name + suffix)
        try:
            values.append(dates.parse_bound(text, upper) if text else None)
        except ValueError:
            raise BadRequest("Bad query parameter") from None
    return values[0], values[1]


@dataclass
class Query:
    """A selection: ``checks`` (a signature and a predicate each), an order, and an ``indexed`` range.

    The ``indexed`` range is applied by bisection when the order is
    ``indexed`` ascending, and as one more check otherwise.

    Example:
        >>> query = Query([], order="received", desc=True)
        >>> query.add(("xmlns", "x"), lambda rec: rec["xmlns"] == "x"); len(query.checks)
        1
    """

    checks: list
    order: str = "indexed"
    desc: bool = False
    indexed_lo: int | None = None
    indexed_hi: int | None = None

    def add(self, signature: tuple, predicate: Callable[[dict], bool]) -> None:
        """Add one filter.

        Example:
            >>> query = Query([]); query.add(("closed", "true"), lambda rec: rec["closed"])
            >>> query.checks[0][0]
            ('closed', 'true')
        """
        self.checks.append((signature, predicate))


def _selection(store, kind: str, query: Query) -> tuple[list, list, int, int]:
    checks = list(query.checks)
    bisected = query.order == "indexed" and not query.desc
    lo, hi = query.indexed_lo, query.indexed_hi
    if not bisected and (lo is not None or hi is not None):
        checks.append((("indexed", lo, hi), lambda r: (lo is None or r["indexed"] >= lo)
                       and (hi is None or r["indexed"] <= hi)))
    predicate = None
    if checks:
        predicates = [p for _, p in checks]
        predicate = lambda rec: all(p(rec) for p in predicates)  # noqa: E731
    signature = tuple(s for s, _ in checks)
    keys, ids = store.select(kind, signature, predicate, query.order, query.desc)
    start = bisect_left(keys, lo) if bisected and lo is not None else 0
    end = bisect_right(keys, hi) if bisected and hi is not None else len(ids)
    return keys, ids, start, end


def run_query(store, kind: str, query: Query, offset: int, limit: int) -> tuple[int, list[str]]:
    """``(total_count, ids of the page)``; the caller holds ``store.lock``.

    Example:
        >>> from .documents import Store
        >>> store = Store("demo")
        >>> _ = [store.put_case({"case_id": c, "external_id": None, "indices": {}}) for c in "xyz"]
        >>> with store.lock:
        ...     run_query(store, "case", Query([]), offset=1, limit=1)
        (3, ['y'])
    """
    _, ids, start, end = _selection(store, kind, query)
    return max(end - start, 0), ids[start + offset: min(start + offset + limit, end)]


def _page_url(request: Request, limit: int, offset: int) -> str:
    params = {k: v for k, v in request.query.items() if k not in ("limit", "offset")}
    params = {"limit": [str(limit)], "offset": [str(offset)], **params}
    return f"{request.path}?{urlencode(params, doseq=True)}"


def envelope(request: Request, total: int, limit: int, offset: int, objects: list[str]) -> Response:
    """The list response, from the JSON texts of the page's objects.

    Example:
        >>> import json
        >>> json.loads(envelope(Request("GET", "/l/", "limit=1", {}, b""), 3, 1, 0, ['{"id": 1}']).body)["meta"]["next"]
        '/l/?limit=1&offset=1'
    """
    meta = {
        "limit": limit,
        "next": _page_url(request, limit, offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": _page_url(request, limit, max(offset - limit, 0)) if offset > 0 else None,
        "total_count": total,
    }
    return Response.json('{"meta": ' + json.dumps(meta) + ', "objects": [' + ", ".join(objects) + "]}")


def list_response(request: Request, objects: list, max_limit: int = 1000, default: int = 20) -> Response:
    """Page a small in-memory list of objects (users, locations, fixtures...).

    Example:
        >>> import json
        >>> json.loads(list_response(Request("GET", "/l/", "", {}, b""), [{"id": 1}]).body)["meta"]["total_count"]
        1
    """
    limit, offset = limit_offset(request, max_limit, default)
    page = objects[offset: offset + limit]
    return envelope(request, len(objects), limit, offset, [json.dumps(o) for o in page])
