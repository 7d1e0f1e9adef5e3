"""The form API: ``/a/<domain>/api/v0.5/form/`` (alias ``/api/form/v1/``), detail and attachment.

Filters: ``xmlns`` (or ``xmlns.exact``), ``app_id``, ``appVersion``, ``user_id``,
``case_id``, ``include_archived=true``, ``received_on_start/_end``,
``server_modified_on_start/_end``, ``indexed_on_start/_end`` (inclusive; a bad
date is 400 "Bad query parameter"), ``order_by`` (``received_on``,
``server_modified_on`` or ``indexed_on``, ``-`` for descending; the default is
``-received_on``), ``limit`` (default 20, at most 1000), ``offset``. Any other
parameter is an exact match on that (dotted) field of the form JSON, as in v0.4.

Example:
    >>> sorted(ORDERS)
    ['indexed_on', 'received_on', 'server_modified_on']
"""

from __future__ import annotations

import json

from . import forms
from .messages import Response
from .tastypie import BadRequest, Query, bounds, envelope, limit_offset, run_query

__all__ = ["register", "ORDERS", "MAX_LIMIT"]

MAX_LIMIT = 1000
ORDERS = {"received_on": "received", "server_modified_on": "modified", "indexed_on": "indexed"}
_PATH = r"/a/(?P<domain>[^/]+)/api/(?:v0\.5/form|form/v1)/"
_NOT_FILTERS = {"limit", "offset", "order_by", "format", "include_archived", "xmlns", "xmlns.exact", "app_id",
                "appVersion", "user_id", "case_id", "_search", "q", "otp"}
_RANGE_PARAMS = {f"{name}{suffix}" for name in ORDERS for suffix in ("_start", "_end")}


def _dotted(doc: dict, path: str) -> object:
    value: object = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _add_field_filters(request, query: Query) -> None:
    for name, values in request.query.items():
        if name in _NOT_FILTERS or name in _RANGE_PARAMS or name.endswith("__full"):
            continue
        value = values[-1]
        query.add((name, value), lambda r, n=name, v=value: str(_dotted(r["doc"], n)) == v)


def form_query(request) -> Query:
    """Build the :class:`Query` a form list request asks for (raises ``BadRequest``)."""
    if request.param("_search") or request.param("q"):
        raise BadRequest("Bad query parameter: _search and q are not supported by the simulator")
    order = request.param("order_by") or "-received_on"
    if order.lstrip("-") not in ORDERS:
        raise BadRequest(f"No matching '{order.lstrip('-')}' field for ordering on.")
    query = Query([], ORDERS[order.lstrip("-")], order.startswith("-"))
    if (request.param("include_archived") or "").lower() != "true":
        query.add(("archived",), lambda r: not r["archived"])
    simple = {"xmlns": request.param("xmlns.exact") or request.param("xmlns"), "app_id": request.param("app_id"),
              "user_id": request.param("user_id")}
    for key, value in simple.items():
        if value:
            query.add((key, value), lambda r, k=key, v=value: r[k] == v)
    if request.param("appVersion"):
        version = request.param("appVersion")
        query.add(("appVersion", version), lambda r: r["doc"]["metadata"]["appVersion"] == version)
    if request.param("case_id"):
        case_id = request.param("case_id")
        query.add(("case_id", case_id), lambda r: case_id in r["case_ids"])
    for name in ("received_on", "server_modified_on"):
        lo, hi = bounds(request, name)
        if lo is not None or hi is not None:
            query.add((name, lo, hi), lambda r, k=ORDERS[name], a=lo, b=hi:
                      (a is None or r[k] >= a) and (b is None or r[k] <= b))
    query.indexed_lo, query.indexed_hi = bounds(request, "indexed_on")
    _add_field_filters(request, query)
    return query


class _Routes:
    """The form API's handlers, bound to one simulator."""

    def __init__(self, sim) -> None:
        self.sim, self.store = sim, sim.store

    def _form_json(self, form_id: str) -> str:
        return self.store.cached_json("form", form_id, lambda: forms.to_api(self.store.forms[form_id], self.sim.url))

    def _with_cases(self, text: str) -> str:
        doc = json.loads(text)
        case_ids = self.store.forms[doc["id"]]["case_ids"]
        doc["cases"] = [json.loads(self.sim.case_json(c)) for c in case_ids if c in self.store.cases]
        return json.dumps(doc)

    def list_forms(self, request) -> Response:
        self.sim.check_domain(request)
        limit, offset = limit_offset(request, MAX_LIMIT)
        query = form_query(request)
        with self.store.lock:
            total, ids = run_query(self.store, "form", query, offset, limit)
            objects = [self._form_json(i) for i in ids]
            if (request.param("cases__full") or "").lower() == "true":
                objects = [self._with_cases(text) for text in objects]
        return envelope(request, total, limit, offset, objects)

    def form_detail(self, request) -> Response:
        self.sim.check_domain(request)
        with self.store.lock:
            if request.match["form_id"] not in self.store.forms:
                return Response.empty(404)
            return Response.json(self._form_json(request.match["form_id"]))

    def attachment(self, request) -> Response:
        """corehq/apps/api/object_fetch_api.py FormAttachmentAPI: the blob with its content type, or 404."""
        self.sim.check_domain(request)
        with self.store.lock:
            rec = self.store.forms.get(request.match["form_id"])
            found = None if rec is None else forms.attachment(rec, request.match["name"])
        if found is None:
            return Response.empty(404)
        return Response(200, found[1], {"Content-Type": found[0]})


def register(app, sim) -> None:
    """Add the form routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['GET']
    """
    routes = _Routes(sim)
    app.route("GET", _PATH, routes.list_forms)
    app.route("GET", _PATH + r"(?P<form_id>[^/]+)/", routes.form_detail)
    app.route("GET", r"/a/(?P<domain>[^/]+)/api/form/attachment/(?P<form_id>[^/]+)/(?P<name>[^/]+)",
              routes.attachment)
