"""Case API v2 reads: ``list_cases`` (following the cursor) and ``get_cases`` (by ids or external ids).

Paths: ``/a/<domain>/api/case/v2/`` (list) and ``/a/<domain>/api/case/v2/bulk-fetch/`` (by ids).
Cases come as HQ's v2 serialisation (``case_id``, ``case_type``, ``case_name``, ``external_id``,
``owner_id``, ``indexed_on``, ``properties``, ``indices``...).
"""

from __future__ import annotations

from typing import Any, Callable

from adaptors.common.references import compose_next_state, expand_references

from .client import call, settings
from .errors import CommCareError
from .operations import finish_stream
from .paging import CursorPager, drain, pages

__all__ = ["get_cases", "list_cases"]

Operation = Callable[[dict], dict]
PAGE_SIZE = 1000
FETCH_CHUNK = 100


def list_cases(filters: Any = None, *, each_page: Callable | None = None, progress: bool = True) -> Operation:
    """List cases with the Case API v2, following its cursor to the last page.

    Cases come sorted by ``indexed_on``; each appears once even when pages are many. ``filters`` are
    HQ's: ``case_type``, ``owner_id``, ``case_name``, ``external_id``, ``closed``, ``properties.<name>``,
    ``indices.<name>``, dates with ``.gt/.gte/.lt/.lte`` (``last_modified.gte``, ``indexed_on.gte``...),
    a list for several values (OR), and ``limit``, the page size (default 1000, at most 5000).

    Args:
        filters: a dict of HQ filters; may be lazy.
        each_page: stream: called with the state (``data`` = one page of cases), returns the state to
            go on with; the pages are not kept and ``data`` ends as ``{"count", "pages"}``.
        progress: report progress (a bar on a terminal, else a log line per page).

    Returns:
        An operation; ``state["data"]`` is the list of cases.

    Example:
        list_cases({"case_type": "patient", "closed": False, "properties.village": "Kondele"})

    Differences from OpenFn:
        pyfn only (OpenFn's ``http.get("case/v2")`` returns one page).
    """

    def run(state: dict) -> dict:
        query = {"limit": PAGE_SIZE, **(expand_references(state, filters) or {})}
        path = f"/a/{settings(state).domain}/api/case/v2/"
        drained = drain(state, pages(state, CursorPager(path, query), "cases", progress), each_page)
        if each_page is not None:
            return finish_stream(state, drained)
        next_state = compose_next_state(state, drained.docs)
        if drained.last is not None:
            next_state["response"] = drained.last.meta()
        return next_state

    return run


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def get_cases(ids: Any = None, external_ids: Any = None, *, missing: str = "keep") -> Operation:
    """Fetch cases by ``case_id`` and/or ``external_id`` (HQ's bulk fetch, 100 per request).

    ``state["data"]`` is the cases in the order asked (ids first, then external ids). A case HQ does
    not have is, as HQ returns it, a stub ``{"case_id": "...", "error": "not found"}``.

    Args:
        ids: a case id or a list of them; may be lazy.
        external_ids: an external id or a list of them; may be lazy.
        missing: ``"keep"`` the stubs (default), ``"drop"`` them, or ``"raise"`` an error naming them.

    Returns:
        An operation.

    Raises:
        CommCareError: with ``missing="raise"``, some ids were not found (``details["missing"]``).

    Example:
        get_cases(ids=state["data"]["case_ids"], missing="drop")

    Differences from OpenFn:
        pyfn only.
    """
    if missing not in ("keep", "drop", "raise"):
        raise ValueError(f"missing must be 'keep', 'drop' or 'raise', not {missing!r}")

    def run(state: dict) -> dict:
        wanted = [("case_ids", i) for i in _as_list(expand_references(state, ids))]
        wanted += [("external_ids", e) for e in _as_list(expand_references(state, external_ids))]
        path = f"/a/{settings(state).domain}/api/case/v2/bulk-fetch/"
        cases, last = [], None
        for start in range(0, len(wanted), FETCH_CHUNK):
            chunk = wanted[start:start + FETCH_CHUNK]
            body = {key: [v for k, v in chunk if k == key] for key in ("case_ids", "external_ids")}
            last = call(state, "POST", path, body={k: v for k, v in body.items() if v}, repeatable=True)
            cases.extend(last.data.get("cases") or [])
        cases = _apply_missing(cases, missing)
        next_state = compose_next_state(state, cases)
        if last is not None:
            next_state["response"] = last.meta()
        return next_state

    return run


def _apply_missing(cases: list, missing: str) -> list:
    absent = [c for c in cases if isinstance(c, dict) and c.get("error")]
    if not absent or missing == "keep":
        return cases
    if missing == "drop":
        return [c for c in cases if not (isinstance(c, dict) and c.get("error"))]
    names = [c.get("case_id") or c.get("external_id") for c in absent]
    raise CommCareError(f"{len(absent)} case(s) not found: {', '.join(map(str, names[:20]))}",
                        code="CASES_NOT_FOUND", missing=names)
