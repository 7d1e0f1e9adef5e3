"""The v0.5 case API: ``/a/<domain>/api/v0.5/case/`` (alias ``/api/case/v1/``) and detail.

Filters: ``type`` (alias ``case_type``), ``owner_id``, ``user_id``, ``closed``
(``true``/``false``), ``name``, ``external_id``, and inclusive
``indexed_on_start/_end``, ``date_modified_start/_end``,
``server_date_modified_start/_end`` (a bad date is 400). ``order_by`` is
``indexed_on`` (the default), ``server_date_modified`` or ``date_modified``,
``-`` for descending. ``limit`` defaults to 20, at most 5000.
``child_cases__full=true`` / ``parent_cases__full=true`` add the related cases.

Example:
    >>> MAX_LIMIT
    5000
"""

from __future__ import annotations

import json

from ..messages import Response
from ..tastypie import BadRequest, Query, bounds, envelope, limit_offset, run_query

__all__ = ["register", "MAX_LIMIT", "case_query"]

MAX_LIMIT = 5000
_ORDERS = {"indexed_on": "indexed", "server_date_modified": "server_date_modified",
           "date_modified": "date_modified"}
_PATH = r"/a/(?P<domain>[^/]+)/api/(?:v0\.5/case|case/v1)/"


def case_query(request) -> Query:
    """Build the :class:`Query` a v0.5 case list request asks for (raises ``BadRequest``).

    Example:
        >>> from ..messages import Request
        >>> query = case_query(Request("GET", "/", "type=patient&closed=false", {}, b""))
        >>> [signature for signature, _ in query.checks]
        [('case_type', 'patient'), ('closed', 'false')]
    """
    order = request.param("order_by") or "indexed_on"
    if order.lstrip("-") not in _ORDERS:
        raise BadRequest(f"No matching '{order.lstrip('-')}' field for ordering on.")
    query = Query([], _ORDERS[order.lstrip("-")], order.startswith("-"))
    fields = {"case_type": request.param("type") or request.param("case_type"),
              "owner_id": request.param("owner_id"), "user_id": request.param("user_id"),
              "case_name": request.param("name"), "external_id": request.param("external_id")}
    for key, value in fields.items():
        if value:
            query.add((key, value), lambda r, k=key, v=value: r[k] == v)
    closed = (request.param("closed") or "").lower()
    if closed in ("true", "false"):
        query.add(("closed", closed), lambda r, want=closed == "true": r["closed"] == want)
    elif closed:
        raise BadRequest()
    for name in ("date_modified", "server_date_modified"):
        lo, hi = bounds(request, name)
        if lo is not None or hi is not None:
            query.add((name, lo, hi), lambda r, k=name, a=lo, b=hi:
                      (a is None or r[k] >= a) and (b is None or r[k] <= b))
    query.indexed_lo, query.indexed_hi = bounds(request, "indexed_on")
    return query


def _wants_related(request) -> bool:
    return any(request.param(f"{kind}_cases__full") for kind in ("child", "parent"))


class _Routes:
    """The v0.5 case API's handlers, bound to one simulator."""

    def __init__(self, sim) -> None:
        self.sim, self.store = sim, sim.store

    def _related(self, text: str, request) -> str:
        doc, cases = json.loads(text), self.store.cases
        if (request.param("child_cases__full") or "").lower() == "true":
            children = sorted(self.store.children.get(doc["case_id"], ()))
            doc["child_cases"] = {c: json.loads(self.sim.case_json(c)) for c in children if c in cases}
        if (request.param("parent_cases__full") or "").lower() == "true":
            parents = [i["case_id"] for i in doc["indices"].values()]
            doc["parent_cases"] = {p: json.loads(self.sim.case_json(p)) for p in parents if p in cases}
        return json.dumps(doc)

    def list_cases(self, request) -> Response:
        self.sim.check_domain(request)
        limit, offset = limit_offset(request, MAX_LIMIT)
        query = case_query(request)
        with self.store.lock:
            total, ids = run_query(self.store, "case", query, offset, limit)
            objects = self.sim.case_jsons(ids)
            if _wants_related(request):
                objects = [self._related(text, request) for text in objects]
        return envelope(request, total, limit, offset, objects)

    def case_detail(self, request) -> Response:
        self.sim.check_domain(request)
        with self.store.lock:
            if request.match["case_id"] not in self.store.cases:
                return Response.empty(404)
            text = self.sim.case_json(request.match["case_id"])
            return Response.json(self._related(text, request) if _wants_related(request) else text)


def register(app, sim) -> None:
    """Add the v0.5 case routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['GET']
    """
    routes = _Routes(sim)
    app.route("GET", _PATH, routes.list_cases)
    app.route("GET", _PATH + r"(?P<case_id>[^/]+)/", routes.case_detail)
