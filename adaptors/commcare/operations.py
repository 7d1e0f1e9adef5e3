"""OpenFn's generic CommCare calls: ``get`` (auto-paginated), ``post`` and ``request``.

Every call goes through ``client.call`` (auth header, one session per step, retries) and ends in
``prepare_next_state``, as language-commcare's ``prepareNextState``: a Tastypie list puts its
``objects`` in ``state["data"]`` and its ``meta`` in ``state["response"]["meta"]``; any other body
is ``state["data"]`` as it is.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from adaptors.common.references import compose_next_state, expand_references

from .client import Reply, api_path, call, settings
from .errors import CommCareHTTPError
from .paging import OffsetPager, drain, pages

__all__ = ["finish_stream", "get", "post", "prepare_next_state", "request"]

Operation = Callable[[dict], dict]


def prepare_next_state(state: dict, reply: Reply, callback: Callable | None = None) -> dict:
    """``callback({**compose_next_state(state, objects or body), "response": {..., "meta": meta}})``."""
    body = reply.data
    objects = body.get("objects") if isinstance(body, dict) and body.get("objects") is not None else body
    response = reply.meta()
    if isinstance(body, dict) and "meta" in body:
        response["meta"] = body["meta"]
    next_state = {**compose_next_state(state, objects), "response": response}
    return callback(next_state) if callback is not None else next_state


def finish_stream(state: dict, drained, **summary: Any) -> dict:
    """The state after a streamed pull: what the callbacks left, ``data`` = the counts."""
    base = {**drained.state, "data": state.get("data"), "references": state.get("references") or []}
    final = compose_next_state(base, {"count": drained.count, "pages": drained.pages, **summary})
    if drained.last is not None:
        final["response"] = drained.last.meta()
    return final


def _offset_given(query: dict) -> bool:
    """OpenFn's ``!isNaN(params.offset)``: any value JavaScript reads as a number (``""`` and null too)."""
    if "offset" not in query:
        return False
    value = query["offset"]
    if value is None or isinstance(value, (bool, int)):
        return True
    try:
        return not math.isnan(float(str(value).strip() or 0))
    except ValueError:
        return False


def get(path: Any, params: Any = None, callback: Callable | None = None, *,
        each_page: Callable | None = None, progress: bool = True) -> Operation:
    """Fetch a resource of the v0.5 API, following every page unless ``params`` has an ``offset``.

    Sends ``GET {hostUrl}/a/{domain}/api/v0.5/{path}/?{params}``. A list answer (``{meta, objects}``)
    is followed page by page: the next request repeats ``params`` with ``offset = meta.offset +
    meta.limit`` and ``limit = meta.limit`` while ``meta.next`` is set. ``state["data"]`` becomes all
    the objects, ``state["response"]["meta"]`` the last page's meta. A single resource
    (``get("case/<id>")``) is put in ``data`` as it is.

    Args:
        path: the resource, e.g. ``"case"``, ``"form"``, ``"case/<case_id>"``, ``"user"``.
        params: query parameters (filters, ``limit``, ``offset``); may be lazy.
        callback: called with the state of each page (``data`` = that page's objects); must return a
            state whose ``data`` is a list. The pages' ``data`` are concatenated.
        each_page: stream instead of keeping the pages: called with the state (``data`` = one page)
            and returns the state to go on with; ``data`` ends as ``{"count", "pages"}``.
        progress: report progress (a bar on a terminal, else a log line per page).

    Returns:
        An operation.

    Raises:
        CommCareHTTPError: HQ answered ≥ 400 (a 404's ``body`` is ``{"error": "Resource <path> not
            found"}``, as in OpenFn).

    Example:
        get("case", {"type": "patient", "closed": False, "limit": 1000})
        fn(lambda state: {**state, "patients": len(state["data"])})

    Differences from OpenFn:
        ``each_page`` and ``progress`` are pyfn only. A slash is added to the path (HQ's URLs end with
        one; OpenFn relies on HQ's redirect). The error message carries HQ's own message when there is
        one. Requests are retried on 429/5xx (see ``configuration.retries``).
    """

    def run(state: dict) -> dict:
        resolved = expand_references(state, path)
        query = expand_references(state, params) or {}
        url = api_path(settings(state), resolved)
        try:
            if _offset_given(query):
                return prepare_next_state(state, call(state, "GET", url, query=query), callback)
            return _all_pages(state, url, query, callback, each_page, progress)
        except CommCareHTTPError as error:
            if error.status_code == 404:
                error.body = {"error": f"Resource {resolved} not found"}
            raise

    return run


def _all_pages(state: dict, url: str, query: dict, callback: Callable | None, each_page: Callable | None,
               progress: bool) -> dict:
    label = url.rstrip("/").rsplit("/", 1)[-1]
    walk = pages(state, OffsetPager(url, query), label, progress)
    if each_page is not None:
        shaped = ((_page_data(state, reply, docs, callback), reply) for docs, reply in walk)
        return finish_stream(state, drain(state, shaped, each_page))
    rows: list = []
    last = state
    for docs, reply in walk:
        if not isinstance(docs, list):  # a single resource, not a list: data is the body
            return prepare_next_state(state, reply, callback)
        last = prepare_next_state(state, reply, callback)
        data = last.get("data")
        rows.extend(data if isinstance(data, list) else [data])
    return {**last, "data": rows}


def _page_data(state: dict, reply: Reply, docs: Any, callback: Callable | None) -> list:
    if not isinstance(docs, list):
        docs = [docs]
    if callback is None:
        return docs
    data = prepare_next_state(state, reply, callback).get("data")
    return data if isinstance(data, list) else [data]


def post(path: Any, data: Any = None, params: Any = None, callback: Callable | None = None) -> Operation:
    """Send JSON to a resource of the v0.5 API.

    Sends ``POST {hostUrl}/a/{domain}/api/v0.5/{path}/`` with ``data`` as JSON and ``params`` as the
    query string; ``state["data"]`` becomes the answer (its ``objects`` for a list).

    Args:
        path: the resource, e.g. ``"user"``.
        data: the body (a dict or list, sent as JSON); may be lazy.
        params: query parameters; may be lazy.
        callback: called with the next state; returns the state to go on with.

    Returns:
        An operation.

    Example:
        post("user", {"username": "chw9", "password": "secret", "first_name": state["data"]["name"]})

    Differences from OpenFn:
        On an error OpenFn throws HQ's ``error`` text alone; pyfn raises ``CommCareHTTPError`` whose
        message holds it (``POST to ... returned 400: Bad Request (bad user)``), with the body in
        ``details``. POSTs are retried only on 429 (HQ did not process them).
    """

    def run(state: dict) -> dict:
        url = api_path(settings(state), expand_references(state, path))
        reply = call(state, "POST", url, query=expand_references(state, params) or {},
                     body=expand_references(state, data))
        return prepare_next_state(state, reply, callback)

    return run


def request(method: str, path: Any, body: Any = None, params: Any = None) -> Operation:
    """Send any request to HQ, the path taken as given (no ``/a/<domain>/api/`` prefix).

    Args:
        method: ``"GET"``, ``"POST"``, ``"PUT"``, ``"DELETE"``...
        path: a path on ``hostUrl``, e.g. ``"/a/demo/api/v0.5/case/"``; may be lazy.
        body: sent as JSON (none when empty); may be lazy.
        params: query parameters; may be lazy.

    Returns:
        An operation; ``state["data"]`` is the answer (its ``objects`` for a list), no pagination.

    Example:
        request("GET", f"/a/demo/api/case/v2/{state['data']['case_id']}/")

    Differences from OpenFn:
        Retries on 429 (any method) and on 5xx for idempotent methods.
    """

    def run(state: dict) -> dict:
        reply = call(state, str(method).upper(), str(expand_references(state, path)),
                     query=expand_references(state, params) or {}, body=expand_references(state, body))
        return prepare_next_state(state, reply)

    return run
